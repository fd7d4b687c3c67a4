/**
 * Every write the SQLite store makes, as synchronous functions over one connection, and the one group commit they
 * all go through. With the writer thread (the default) they run there, so the event loop never waits on a lock or
 * a disk sync; with ingest.sqlite_writer_thread off they run on the main connection. Both ways use the same table
 * and the same grouping, so the two modes cannot drift apart.
 */
import { makeGroupCommit, type CommitReport, type Settled } from '../group-commit.ts';
import type { StorableEvent } from '../storable.ts';
import { makeSqliteAuditWrites } from './audit.ts';
import { makeSqliteDeliveryWrites } from './deliveries.ts';
import { makeSqliteDeliveryViews } from './delivery-views.ts';
import { readConnectionSettings } from './durability.ts';
import { toStorageError } from './errors.ts';
import { makeSqliteEvents } from './events.ts';
import type { SqliteDb } from './open.ts';

export function makeSqliteWrites(db: SqliteDb) {
  const events = makeSqliteEvents(db);
  const { setDisabled } = makeSqliteDeliveryViews(db);
  return {
    insertEvents: (batch: StorableEvent[]) => events.insertEventsSync(batch),
    ...makeSqliteDeliveryWrites(db),
    setDestinationDisabled: (name: string, disabled: boolean, reason: string | null, now: number): void => setDisabled(name, disabled, reason, now),
    ...makeSqliteAuditWrites(db),
    /** The durability check asks the writing connection itself (durability.ts). */
    connectionSettings: () => readConnectionSettings(db),
  };
}

export type SqliteWrites = ReturnType<typeof makeSqliteWrites>;
export type WriteName = keyof SqliteWrites;
export type WriteRequest = { [K in WriteName]: { op: K; args: Parameters<SqliteWrites[K]> } }[WriteName];

/** The same writes, answered asynchronously (by the writer thread, or by the main connection's group commit). */
export type SqliteWriter = { [K in WriteName]: (...args: Parameters<SqliteWrites[K]>) => Promise<ReturnType<SqliteWrites[K]>> };

/** Most events in one transaction: keeps one commit's latency (and a failure's reach) bounded. */
const GROUP_MAX_EVENTS = 1024;

/**
 * Every write request made while the previous transaction synced is run in ONE immediate transaction (one fsync):
 * inserts, claims, attempt records, requeues alike. The write functions above are plain functions that assume that
 * transaction around them.
 *
 * A request that throws (a bug, a constraint) must undo only itself and be rejected alone with what SQLite threw.
 * Savepoints give that, but under a savepoint SQLite copies every page a request touches into a journal first,
 * and for attempt records (small writes to the same few pages, many per group) that copying was the larger part
 * of the work. So a group runs first with no savepoint at all; only when a request throws is that transaction rolled
 * back and the group run again with each request in its own savepoint, where the one that throws is rejected alone.
 * The requests are deterministic (ids, times and leases come in their arguments), so the second run writes what the
 * first would have. A failure outside any request (a lock wait that timed out at BEGIN, an I/O error at COMMIT)
 * rejects the whole group, nothing committed.
 */
export function groupedWrites(db: SqliteDb, report: CommitReport = () => {}): { submit(request: WriteRequest): Promise<unknown>; names: WriteName[] } {
  const writes = makeSqliteWrites(db);
  const call = (request: WriteRequest) => (writes[request.op] as (...args: unknown[]) => unknown)(...request.args);
  let requestThrew = false;
  const runPlain = db.transaction((requests: WriteRequest[]) =>
    requests.map((request): Settled<unknown> => {
      try {
        return { ok: true, value: call(request) };
      } catch (error) {
        requestThrew = true;
        throw error;
      }
    }),
  );
  const runOne = db.transaction(call);
  const runEachInSavepoint = db.transaction((requests: WriteRequest[]) =>
    requests.map((request): Settled<unknown> => {
      try {
        return { ok: true, value: runOne(request) };
      } catch (error) {
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  const runAll = (requests: WriteRequest[]): Settled<unknown>[] => {
    requestThrew = false;
    try {
      return runPlain.immediate(requests);
    } catch (error) {
      if (!requestThrew) throw error;
      return runEachInSavepoint.immediate(requests);
    }
  };
  const eventsIn = (request: WriteRequest) => (request.op === 'insertEvents' ? request.args[0].length : 0);
  const commits = makeGroupCommit(
    (requests: WriteRequest[]) => {
      const started = performance.now();
      const settled = runAll(requests);
      // Failed ones are reported by the store, per call, whether or not they reached this connection (index.ts).
      const events = requests.reduce((n, r) => n + eventsIn(r), 0);
      if (events > 0) report(events, (performance.now() - started) / 1000, true);
      return settled;
    },
    { maxBatch: GROUP_MAX_EVENTS, size: (request) => Math.max(1, eventsIn(request)) },
  );
  // Reading the connection's settings writes nothing: answered at once, never behind a lock wait (for /ready).
  const submit = (request: WriteRequest) =>
    request.op === 'connectionSettings' ? Promise.resolve().then(() => writes.connectionSettings()) : commits.submit(request);
  return { submit, names: Object.keys(writes) as WriteName[] };
}

/** The writes run on this connection, on the event loop (ingest.sqlite_writer_thread off). */
export function writeOnThisConnection(db: SqliteDb, report?: CommitReport): SqliteWriter {
  const { submit, names } = groupedWrites(db, report);
  const writer: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const op of names) {
    writer[op] = (...args) => submit({ op, args } as WriteRequest).catch((err: unknown) => Promise.reject(toStorageError(err)));
  }
  return writer as SqliteWriter;
}
