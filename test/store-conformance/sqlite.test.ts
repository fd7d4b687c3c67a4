import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyEntries } from '../../src/audit/chain.ts';
import { openStore } from '../../src/store/index.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import { describeStoreConformance } from './conformance.ts';
import { newEvent } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'filab-conformance-'));
let n = 0;
/** Run SQL on the last store's file through a connection of its own. */
function executeOnLast(sql: string): void {
  const db = new Database(join(dir, `store-${n}.db`));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}
describeStoreConformance('sqlite', {
  fresh: async () => makeSqliteStore(join(dir, `store-${++n}.db`)),
  execute: async (sql) => executeOnLast(sql),
});

// The default: every write (inserts, claims, attempts, requeues, sealing, retention) on the writer thread.
describeStoreConformance('sqlite with the writer thread', {
  fresh: async () => openStore({ databasePath: join(dir, `store-${++n}.db`), databaseUrl: null, ingest: { sqliteWriterThread: true } }),
  execute: async (sql) => executeOnLast(sql),
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite audit sealing', () => {
  it('seals each new event in its insert transaction, and still drains events queued by older versions', async () => {
    const path = join(dir, 'sealing.db');
    const store = makeSqliteStore(path);
    const first = newEvent({ source: 'stripe', receivedAt: 1_000_000 });
    await store.insertEvents([first, newEvent({ source: 'stripe', eventKey: first.eventKey, receivedAt: 1_000_001 })]);
    const entries = await store.listAuditEntries('stripe', 0, 10);
    expect(entries.map((e) => e.eventId)).toEqual([first.id]); // the replay is not an event, so not an entry
    expect(verifyEntries(entries)).toMatchObject({ ok: true, entries: 1 });

    // An event stored by a version that queued sealing (audit_pending) is sealed by sealAudit, after the first.
    const legacy = newEvent({ source: 'stripe', receivedAt: 1_000_002 });
    const db = new Database(path);
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO events (id, source, event_key, event_type, received_at, payload, headers, payload_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        legacy.id,
        legacy.source,
        legacy.eventKey,
        legacy.eventType,
        legacy.receivedAt,
        legacy.payload,
        JSON.stringify(legacy.headers),
        legacy.payloadSha256,
      );
    db.prepare('INSERT INTO audit_pending (seq, event_id) VALUES (?, ?)').run(lastInsertRowid, legacy.id);
    db.close();
    expect(await store.sealAudit(100, 2_000_000)).toBe(1);
    expect(await store.sealAudit(100, 2_000_001)).toBe(0);
    const after = await store.listAuditEntries('stripe', 0, 10);
    expect(after.map((e) => e.eventId)).toEqual([first.id, legacy.id]);
    expect(verifyEntries(after)).toMatchObject({ ok: true, entries: 2 });
    await store.close();
  });
});

describe.each([
  ['with the writer thread', true],
  ['writing on the event loop', false],
])('sqlite ingest store %s', (_name, sqliteWriterThread) => {
  it('checkpoints the WAL into the database file in the background, without closing or a commit doing it', async () => {
    const path = join(dir, `checkpointed-${sqliteWriterThread}.db`);
    const store = await openStore({ databasePath: path, databaseUrl: null, ingest: { sqliteWriterThread } });
    try {
      const before = statSync(path).size;
      // ~1 MB of events: far below the connections' own 128 MB checkpoint threshold.
      await store.insertEvents(Array.from({ length: 400 }, (_, i) => newEvent({ payload: Buffer.alloc(2048, i % 256), receivedAt: 1_000_000 + i })));
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(800_000);
      const deadline = Date.now() + 5_000;
      while (statSync(path).size < before + 800_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(path).size).toBeGreaterThan(before + 800_000);
    } finally {
      await store.close();
    }
  });
});
