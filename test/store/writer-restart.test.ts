/**
 * A SQLite writer thread that cannot start again (its database path is not openable) is retried with a doubling
 * backoff instead of spinning; once the path is fixed the next attempt takes over and commits again.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StoreDownError } from '../../src/store/store-down.ts';
import { migrateSqlite } from '../../src/store/sqlite/migrate.ts';
import { openSqlite } from '../../src/store/sqlite/open.ts';
import { RESTART_BASE_MS, startWriterThread } from '../../src/store/sqlite/writer-thread.ts';
import { WRITER_THREAD_NAME } from '../../src/store/sqlite/writer-spawn.ts';
import { toStorable } from '../../src/store/storable.ts';
import { newEvent } from '../store-conformance/fixtures.ts';
import { exitThread } from '../helpers/durability-threads.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { until } from '../metrics/receiver.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('backs off 100, 200, 400, 800, 1600 ms while the thread cannot start, then takes over with one restart', async () => {
  const path = join(dir, 'app.db');
  const db = openSqlite(path);
  migrateSqlite(db);
  db.close();
  const deaths: { reason: string; restartInMs: number }[] = [];
  let restarts = 0;
  const writer = await startWriterThread(path, { died: (reason, restartInMs) => deaths.push({ reason, restartInMs }), restarted: () => restarts++ });
  try {
    expect(await writer.insertEvents([toStorable(newEvent({ eventKey: 'evt_before' }))])).toMatchObject([{ inserted: true }]);
    expect(writer.downReason()).toBeNull();

    // The database goes away (a directory where the file was): every new thread dies while opening it.
    renameSync(path, `${path}.moved`);
    mkdirSync(path);
    await exitThread(WRITER_THREAD_NAME);
    await until(() => deaths.length >= 5, 'five deaths in a row', 15_000);
    expect(deaths[0]!.reason).toBe('exited (code 1)');
    expect(deaths.slice(1).every((d) => d.reason.startsWith('could not start again: SQLite writer thread failed'))).toBe(true);
    expect(deaths.slice(0, 5).map((d) => d.restartInMs)).toEqual([1, 2, 4, 8, 16].map((k) => k * RESTART_BASE_MS));
    expect(writer.downReason()).toBe('SQLite writer thread is down; a new one is starting');
    await expect(writer.insertEvents([toStorable(newEvent({ eventKey: 'evt_while_down' }))])).rejects.toBeInstanceOf(StoreDownError);
    expect(restarts).toBe(0);

    // Put it back: the next attempt (at most 3.2 s later) takes over.
    rmSync(path, { recursive: true });
    renameSync(`${path}.moved`, path);
    await until(() => restarts === 1, 'the restart', 10_000);
    expect(writer.downReason()).toBeNull();
    expect(await writer.insertEvents([toStorable(newEvent({ eventKey: 'evt_after' }))])).toMatchObject([{ inserted: true }]);
    expect(await writer.connectionSettings()).toEqual({ synchronous: 2, journalMode: 'wal' });
  } finally {
    await writer.close();
  }
});
