/**
 * Operator reads on SQLite's reader thread: the whole store contract holds with listings and aggregates answered
 * there, and while one runs the event loop keeps turning (on the main connection it would stand still).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillSqlite } from '../../bench/operator-reads-fill.ts';
import { encodeCursor, InvalidCursorError } from '../../src/store/cursor.ts';
import { deliveryListStatement } from '../../src/store/sqlite/delivery-views.ts';
import { eventListCandidates, eventListStatement } from '../../src/store/sqlite/reader-events.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/types.ts';
import { describeStoreConformance } from '../store-conformance/conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'filab-operator-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
describeStoreConformance('sqlite, operator reads on the reader thread', {
  fresh: async () => makeSqliteStore(join(dir, `store-${++n}.db`), { readerThread: true }),
  execute: async (sql) => {
    const db = new Database(join(dir, `store-${n}.db`));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  },
});

/** Event-loop turns (setImmediate callbacks run) while `read` is pending. */
async function turnsDuring(read: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let pending = true;
  const spin = () => {
    if (!pending) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const done = read();
  await done.finally(() => (pending = false));
  return turns;
}

describe('sqlite reader thread', () => {
  const path = join(dir, 'filled.db');
  const shape = fillSqlite(path, 60_000, Date.parse('2026-12-01T00:00:00Z'), () => {});

  async function withStore<T>(readerThread: boolean, fn: (store: Store) => Promise<T>): Promise<T> {
    const store = makeSqliteStore(path, { readerThread });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  it('answers the same pages and counts as the main connection, while the event loop keeps turning', async () => {
    const reads = (store: Store) =>
      Promise.all([
        store.listEvents({ limit: 5, source: 'github', status: 'delivered' }),
        store.listEvents({ limit: 3, keyPrefix: shape.sampleKeys[0]!.slice(0, 7) }),
        store.listDeliveries({ limit: 4, status: 'dead', destination: 'ledger' }),
        store.destinationCounts(),
        store.activity(shape.now - 3_600_000, 60_000),
        store.stats(),
      ]);
    const direct = await withStore(false, reads);
    const threaded = await withStore(true, reads);
    expect(threaded).toEqual(direct);
    expect(direct[5].events.delivered).toBeGreaterThan(50_000);

    // On the main connection a read runs synchronously: the loop cannot turn until it ends. On the thread it turns.
    const day = (store: Store) => turnsDuring(() => store.activity(shape.now - 86_400_000, 60_000));
    expect(await withStore(false, day)).toBe(0);
    expect(await withStore(true, day)).toBeGreaterThan(0);
  });

  it('gives the same page whichever index leads (the probes only choose the fastest way)', () => {
    const db = new Database(path, { readonly: true });
    try {
      const rows = (statement: { sql: string; params: object }) => db.prepare(statement.sql).all(statement.params);
      const cursor = encodeCursor({ receivedAt: shape.now - 10 * 86_400_000, seq: 40_000 });
      const eventQueries = [
        { limit: 200, source: 'github', type: 'push' },
        { limit: 200, source: 'shopify', status: 'delivered' as const, cursor },
        { limit: 50, keyPrefix: 'evt_A', type: 'push' },
        { limit: 50, keyPrefix: 'evt_A', source: 'stripe', status: 'delivered' as const, since: shape.now - 20 * 86_400_000 },
      ];
      for (const query of eventQueries) {
        const expected = rows(eventListStatement(query, 'received'));
        expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
        for (const access of eventListCandidates(query)) expect(rows(eventListStatement(query, access)), access).toEqual(expected);
      }
      for (const query of [
        { limit: 500, source: 'quiet' },
        { limit: 100, source: 'shopify', status: 'delivered' as const, cursor },
      ]) {
        const expected = rows(deliveryListStatement(query));
        expect(expected.length).toBeGreaterThan(0);
        expect(rows(deliveryListStatement(query, true))).toEqual(expected);
      }
    } finally {
      db.close();
    }
  });

  it('answers an invalid cursor from the thread as InvalidCursorError (the API answers 400)', async () => {
    await withStore(true, async (store) => {
      await expect(store.listEvents({ limit: 1, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(InvalidCursorError);
      expect((await store.listEvents({ limit: 1 })).items).toHaveLength(1);
    });
  });
});
