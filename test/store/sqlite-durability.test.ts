/**
 * Every SQLite connection that writes commits durably: the main connection, the writer thread's and the
 * checkpointer's each answer PRAGMA synchronous = 2 (FULL) and journal_mode = wal themselves, on a real file.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { readConnectionSettings, settingsProblem } from '../../src/store/sqlite/durability.ts';
import type { SqliteStore } from '../../src/store/sqlite/index.ts';
import { makeTempDir } from '../helpers/inbox.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FULL_WAL = { synchronous: 2, journalMode: 'wal' };

it.each([
  ['with the writer thread', true, ['main connection', 'writer thread connection', 'checkpointer connection']],
  ['without it', false, ['main connection', 'checkpointer connection']],
])('reads synchronous=FULL and journal_mode=wal on every connection that writes (%s)', async (label, sqliteWriterThread, connections) => {
  const store = (await openStore({ databasePath: join(dir, `${label}.db`), databaseUrl: null, ingest: { sqliteWriterThread } })) as SqliteStore;
  try {
    const settings = await store.connectionSettings();
    expect(Object.keys(settings)).toEqual(connections);
    for (const name of connections) expect(settings[name]).toEqual(FULL_WAL);
    expect(await store.durabilityProblem?.()).toBeNull();
  } finally {
    await store.close();
  }
});

it('names a connection that would not commit durably', () => {
  const db = new Database(join(dir, 'loose.db'));
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = NORMAL');
    const loose = readConnectionSettings(db);
    expect(loose).toEqual({ synchronous: 1, journalMode: 'delete' });
    expect(settingsProblem({ 'main connection': FULL_WAL, 'test connection': loose })).toBe(
      'SQLite test connection runs with synchronous=NORMAL (durable commits need FULL); SQLite test connection runs with journal_mode=delete (the inbox needs wal)',
    );
  } finally {
    db.close();
  }
});
