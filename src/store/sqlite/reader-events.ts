/**
 * Event reads on SQLite: the listing (every filter the admin API, /events and the dashboard offer) and the detail.
 * Each listing is served by one index in listing order (migration 006), never a sort or a scan of the table.
 * SQLite keeps no statistics here to tell which filter is rarest, so the listing asks: a few cheap counts on the
 * candidate indexes (at most PROBE_LIMIT index entries each, no rows read) pick the one that leads.
 */
import { addTerm } from '../sql-terms.ts';
import { cursorPosition, prefixRange, toPage } from '../cursor.ts';
import { toAttempt, toDelivery, toSummary } from '../rows.ts';
import type { EventDetail, EventQuery, EventStatus, EventSummary, Page } from '../types.ts';
import { makeStatementCache, type SqliteDb } from './open.ts';

/** Which index leads a listing: a filter's own, the key range's, or receipt order alone. */
export type EventListAccess = 'source' | 'type' | 'sourceType' | 'status' | 'key' | 'received';

const INDEX: Record<EventListAccess, string> = {
  received: 'events_live_by_received',
  source: 'events_live_by_source',
  sourceType: 'events_live_by_source_type',
  type: 'events_live_by_type',
  status: 'events_live_by_status',
  // The unique (source, event_key) index (the table's second UNIQUE constraint): one key range per source.
  key: 'sqlite_autoindex_events_2',
};

/**
 * Most index entries a probe counts. A key prefix matching fewer events is listed through the key index, its
 * matches sorted (at most this many); one matching more is listed in receipt order, where its matches are dense.
 */
export const PROBE_LIMIT = 2000;

export interface Statement {
  sql: string;
  params: Record<string, string | number>;
}

const LIVE = 'pruned_at IS NULL'; // tombstones are not events; also what makes the listing indexes usable

/**
 * The key range; with no source filter also every source that has events (migration 008), so that through the
 * (source, event_key) index the range is read once per source rather than by scanning all keys.
 */
function keyTerms(query: EventQuery, params: Statement['params']): string[] {
  const prefix = query.keyPrefix!;
  const { from, to } = prefixRange(prefix);
  const sources = query.source === undefined ? ['source IN (SELECT source FROM event_sources)'] : [];
  params.keyFrom = from;
  if (to !== null) {
    params.keyTo = to;
    return [...sources, 'event_key >= @keyFrom', 'event_key < @keyTo'];
  }
  params.keyPrefix = prefix;
  return [...sources, 'event_key >= @keyFrom', 'substr(event_key, 1, length(@keyPrefix)) = @keyPrefix'];
}

/** The indexes that could lead this listing (a probe decides between several). */
export function eventListCandidates(query: EventQuery): EventListAccess[] {
  const candidates: EventListAccess[] = [];
  if (query.keyPrefix !== undefined) candidates.push('key');
  // Source and type together have an index of their own, never worse than either alone.
  if (query.source !== undefined && query.type !== undefined) candidates.push('sourceType');
  else if (query.source !== undefined) candidates.push('source');
  else if (query.type !== undefined) candidates.push('type');
  if (query.status !== undefined) candidates.push('status');
  return candidates;
}

/** Counts (up to PROBE_LIMIT) the index entries a candidate would start from. */
export function eventListProbe(query: EventQuery, access: Exclude<EventListAccess, 'received'>): Statement {
  const params: Statement['params'] = { probe: PROBE_LIMIT };
  const term: string[] = [];
  if (access === 'key') term.push(...keyTerms(query, params));
  if (access === 'source' || access === 'sourceType' || access === 'key') addTerm(term, params, 'source = @source', 'source', query.source);
  if (access === 'type' || access === 'sourceType') addTerm(term, params, 'event_type = @type', 'type', query.type);
  if (access === 'status') addTerm(term, params, 'status = @status', 'status', query.status);
  return { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM events INDEXED BY ${INDEX[access]} WHERE ${[LIVE, ...term].join(' AND ')} LIMIT @probe)`, params };
}

/** The listing through the given index (newest first, keyset cursor on (receivedAt, seq)). */
export function eventListStatement(query: EventQuery, access: EventListAccess): Statement {
  const where = [LIVE];
  const params: Statement['params'] = { limit: query.limit + 1 };
  const position = cursorPosition(query.cursor);
  if (position) {
    // A row value: the index serves it as one range after the leading filter.
    where.push('(received_at, seq) < (@cRecv, @cSeq)');
    Object.assign(params, { cRecv: position.receivedAt, cSeq: position.seq });
  }
  addTerm(where, params, 'source = @source', 'source', query.source);
  addTerm(where, params, 'event_type = @type', 'type', query.type);
  addTerm(where, params, 'status = @status', 'status', query.status);
  addTerm(where, params, 'received_at >= @since', 'since', query.since);
  addTerm(where, params, 'received_at <= @until', 'until', query.until);
  if (query.keyPrefix !== undefined) where.push(...keyTerms(query, params));
  return {
    sql: `SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, status FROM events INDEXED BY ${INDEX[access]}
     WHERE ${where.join(' AND ')} ORDER BY received_at DESC, seq DESC LIMIT @limit`,
    params,
  };
}

interface EventRow {
  seq: number;
  id: string;
  source: string;
  event_key: string;
  event_type: string;
  provider_created_at: number | null;
  received_at: number;
  status: EventStatus;
}

export function makeSqliteEventReads(db: SqliteDb) {
  /** Listings come in a few dozen shapes: each is prepared once. */
  const prepared = makeStatementCache(db);

  /** The candidate with the fewest entries; a key range only while its matches stay few enough to sort. */
  function chooseAccess(query: EventQuery): EventListAccess {
    const candidates = eventListCandidates(query);
    if (candidates.length === 1 && candidates[0] !== 'key') return candidates[0]!;
    let best: EventListAccess = 'received';
    let fewest = Infinity;
    for (const access of candidates) {
      const probe = eventListProbe(query, access as Exclude<EventListAccess, 'received'>);
      const n = (prepared(probe.sql).get(probe.params) as { n: number }).n;
      if (access === 'key' && n >= PROBE_LIMIT) continue;
      if (n < fewest) {
        best = access;
        fewest = n;
      }
    }
    return best;
  }

  function listEvents(query: EventQuery): Page<EventSummary> {
    const { sql, params } = eventListStatement(query, chooseAccess(query));
    const rows = prepared(sql).all(params) as EventRow[];
    return toPage(rows, query.limit, toSummary, (r) => ({ receivedAt: r.received_at, seq: r.seq }));
  }

  const getEventRow = db.prepare<[string], EventRow & { payload: Buffer; headers: string; payload_sha256: string; secret_label: string | null }>(
    'SELECT * FROM events WHERE id = ? AND pruned_at IS NULL',
  );
  const getDeliveries = db.prepare<[string], Record<string, unknown>>('SELECT * FROM deliveries WHERE event_id = ? ORDER BY seq');
  const getAttempts = db.prepare<[string], Record<string, unknown>>('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY started_at, attempt_number');

  function getEvent(id: string): EventDetail | null {
    const row = getEventRow.get(id);
    if (!row) return null;
    return {
      ...toSummary(row),
      payload: row.payload,
      headers: JSON.parse(row.headers) as Record<string, string>,
      payloadSha256: row.payload_sha256,
      secretLabel: row.secret_label,
      deliveries: getDeliveries.all(id).map((d) => ({ ...toDelivery(d), attempts: getAttempts.all(d.id as string).map(toAttempt) })),
    };
  }

  return { listEvents, getEvent };
}
