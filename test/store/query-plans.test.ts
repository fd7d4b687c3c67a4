import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillPostgres } from '../../bench/operator-reads-fill.ts';
import { encodeCursor } from '../../src/store/cursor.ts';
import { eventListStatement as pgEventList } from '../../src/store/postgres/events.ts';
import * as pgViews from '../../src/store/postgres/views.ts';
import { CLAIM_DUE_SQL } from '../../src/store/sqlite/deliveries.ts';
import * as views from '../../src/store/sqlite/delivery-views.ts';
import { migrateSqlite } from '../../src/store/sqlite/migrate.ts';
import { openSqlite } from '../../src/store/sqlite/open.ts';
import { eventListCandidates, eventListProbe, eventListStatement, type EventListAccess } from '../../src/store/sqlite/reader-events.ts';
import type { DeliveryQuery, EventQuery } from '../../src/store/types.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

const cursor = encodeCursor({ receivedAt: 1_796_000_000_000, seq: 500 });

/** Every combination of the given optional fields (2^n queries). */
function combinations<Q extends object>(base: Q, fields: Partial<Q>): Q[] {
  let out: Q[] = [base];
  for (const [key, value] of Object.entries(fields)) out = out.flatMap((q) => [q, { ...q, [key]: value }]);
  return out;
}

const EVENT_QUERIES = combinations<EventQuery>(
  { limit: 50 },
  { cursor, source: 'github', type: 'push', status: 'dead', since: 1_795_000_000_000, until: 1_796_000_000_000, keyPrefix: 'evt_Ab' },
);
const DELIVERY_QUERIES = combinations<DeliveryQuery>({ limit: 50 }, { cursor, status: 'dead', destination: 'ledger', source: 'github' });
const label = (q: object) => JSON.stringify({ ...q, cursor: 'cursor' in q ? '…' : undefined });

describe('SQLite query plans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'filab-plans-'));
  const db = openSqlite(join(dir, 'plans.db'));
  migrateSqlite(db);
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const plan = (sql: string, params: object = {}) =>
    db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(params)
      .map((r) => (r as { detail: string }).detail);
  const scansTable = (lines: string[], table: string) =>
    lines.some((l) => new RegExp(`^SCAN ${table}( AS \\w+)?$`).test(l) || l === `SCAN ${table.slice(0, 1)}`);

  it('claims due deliveries in due order from deliveries_due: no sort of the backlog, whatever its size', () => {
    const lines = plan(CLAIM_DUE_SQL, { now: 1_796_000_000_000, destination: 'ledger', limit: 16 });
    expect(lines, String(lines)).toContain('SEARCH d USING INDEX deliveries_due (next_attempt_at<?)');
    expect(
      lines.some((l) => l.includes('TEMP B-TREE')),
      String(lines),
    ).toBe(false);
  });

  it('lists events through the chosen index for every filter combination, never a table scan or a sort', () => {
    let checked = 0;
    for (const query of EVENT_QUERIES) {
      const candidates = eventListCandidates(query);
      // What listEvents may choose: any candidate, or receipt order when none (or only the key range) is usable.
      const accesses: EventListAccess[] = [...candidates, ...(candidates.every((c) => c === 'key') ? ['received' as const] : [])];
      for (const access of accesses) {
        const { sql, params } = eventListStatement(query, access);
        const lines = plan(sql, params);
        expect(scansTable(lines, 'events'), `${label(query)} via ${access}: ${lines}`).toBe(false);
        expect(
          lines.some((l) => /^(SEARCH|SCAN) events USING (COVERING )?INDEX (events_live_by_|sqlite_autoindex_events_2)/.test(l)),
          `${label(query)} via ${access}: ${lines}`,
        ).toBe(true);
        // Through the key index the matches are sorted, but only when a probe found fewer than PROBE_LIMIT.
        // Through the unique (source, event_key) index, one range per source: the named one, or each that has events.
        if (access === 'key')
          expect(lines.join(' | ')).toMatch(
            query.source === undefined
              ? /SEARCH events USING INDEX sqlite_autoindex_events_2 \(source=\? AND event_key>\? AND event_key<\?\).*USING INDEX sqlite_autoindex_event_sources_1 FOR IN-OPERATOR/
              : /SEARCH events USING INDEX sqlite_autoindex_events_2 \(source=\? AND event_key>\? AND event_key<\?\)/,
          );
        else expect(lines.join(' | '), `${label(query)} via ${access}`).not.toContain('TEMP B-TREE');
        if (access !== 'received') {
          const probe = eventListProbe(query, access);
          expect(plan(probe.sql, probe.params).join(' | ')).toMatch(
            /SEARCH events USING (COVERING INDEX events_live_by_\w+ \((source=\?|event_type=\?|source=\? AND event_type=\?|status=\?)\)|INDEX sqlite_autoindex_events_2 \(source=\? AND event_key>\? AND event_key<\?\))/,
          );
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('lists deliveries through an index in listing order for every filter combination', () => {
    for (const query of DELIVERY_QUERIES) {
      const { sql, params } = views.deliveryListStatement(query);
      const lines = plan(sql, params);
      expect(
        lines.some((l) => /^(SEARCH|SCAN) d USING INDEX deliveries_by_/.test(l)),
        `${label(query)}: ${lines}`,
      ).toBe(true);
      expect(lines, label(query)).toContain('SEARCH e USING INDEX sqlite_autoindex_events_1 (id=?)');
      expect(lines.join(' | '), label(query)).not.toContain('TEMP B-TREE');
      if (query.source === undefined) continue;
      // From a source with few events (a probe counted fewer than PROBE_LIMIT): its deliveries, sorted.
      const fromSource = plan(...(Object.values(views.deliveryListStatement(query, true)) as [string, object]));
      expect(fromSource.slice(0, 2), label(query)).toEqual([
        'SEARCH e USING INDEX events_live_by_source (source=?)',
        'SEARCH d USING INDEX deliveries_by_event (event_id=?)',
      ]);
    }
  });

  it('counts from the counts tables, charts from indexes, and finds the oldest waiting delivery by a seek', () => {
    // Counts read the few rows of the counts tables, never the events or deliveries.
    expect(plan(views.DELIVERY_COUNTS_SQL)).toEqual(['SCAN delivery_counts']);
    expect(plan(views.EVENT_COUNTS_SQL)).toEqual(['SCAN event_counts']);
    expect(plan(views.OLDEST_FOR_DESTINATION_SQL, { status: 'pending', destination: 'ledger' })[0]).toMatch(
      /^SEARCH deliveries USING COVERING INDEX \w+ \(status=\? AND destination=\?\)/,
    );
    expect(plan(views.OLDEST_PENDING_SQL, { status: 'pending' })[0]).toMatch(
      /^SEARCH deliveries USING COVERING INDEX deliveries_by_status_created \(status=\?\)/,
    );
    // Grouping a bounded time range (at most a day of events) by bucket; the range itself is an index search.
    expect(plan(views.RECEIVED_BUCKETS_SQL, { since: 1, bucket: 60_000 })[0]).toMatch(
      /^SEARCH events USING (COVERING )?INDEX events_live_by_received \(received_at>\?\)/,
    );
    expect(plan(views.FAILED_BUCKETS_SQL, { since: 1, bucket: 60_000 })[0]).toMatch(/^SEARCH attempts USING INDEX attempts_by_started \(started_at>\?\)/);
  });
});

describe('PostgreSQL query plans', () => {
  let database: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    await fillPostgres(database.url, 20_000, Date.parse('2026-12-01T00:00:00Z'), () => {});
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_sort = off');
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });
  async function plan(sql: string, params: unknown[] = []): Promise<string> {
    const { rows } = await client.query(`EXPLAIN ${sql}`, params);
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  }

  it('lists events and deliveries through indexes for every filter combination, never a table scan or a sort', async () => {
    for (const query of EVENT_QUERIES) {
      const { sql, params } = pgEventList(query);
      const text = await plan(sql, params);
      expect(text, label(query)).not.toMatch(/Seq Scan on events/);
      expect(text, label(query)).toMatch(/Index (Only )?Scan (Backward )?using events_live_by_|Bitmap Index Scan on events_live_by_/);
      // A key prefix may be read as a range of the key index and its matches sorted (the planner weighs how many).
      if (query.keyPrefix === undefined) expect(text, `${label(query)}\n${text}`).not.toMatch(/\bSort\b/);
    }
    for (const query of DELIVERY_QUERIES) {
      const text = await plan(...(Object.values(pgViews.deliveryListStatement(query)) as [string, unknown[]]));
      expect(text, label(query)).not.toMatch(/Seq Scan on (deliveries|events)|\bSort\b/);
      expect(text, label(query)).toMatch(/Index Scan (Backward )?using deliveries_by_/);
    }
  });

  it('counts from the counts tables and charts from indexes', async () => {
    for (const sql of [pgViews.DELIVERY_COUNTS_SQL, pgViews.DELIVERY_STATUS_COUNTS_SQL, pgViews.EVENT_COUNTS_SQL]) {
      expect(await plan(sql), sql).not.toMatch(/on (events|deliveries)\b/);
    }
    for (const sql of [pgViews.OLDEST_WAITING_SQL, pgViews.OLDEST_PENDING_SQL]) expect(await plan(sql), sql).not.toMatch(/Seq Scan/);
    expect(await plan(pgViews.RECEIVED_BUCKETS_SQL, [1, 60_000])).toMatch(/Index (Only )?Scan using events_live_by_received/);
    expect(await plan(pgViews.FAILED_BUCKETS_SQL, [1, 60_000])).toMatch(/Index Scan using attempts_by_started|Bitmap Index Scan on attempts_by_started/);
  });
});
