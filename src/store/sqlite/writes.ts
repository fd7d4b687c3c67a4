/**
 * Every write the SQLite store makes, as synchronous functions over one connection. With the writer thread
 * (the default) they run there, so the event loop never waits on a lock or a disk sync; with
 * ingest.sqlite_writer_thread off they run on the main connection. Both ways go through the same table, so the
 * two modes cannot drift apart. Each throws what SQLite throws; the caller translates (errors.ts).
 */
import type { StorableEvent } from '../storable.ts';
import { makeSqliteAuditWrites } from './audit.ts';
import { makeSqliteDeliveryWrites } from './deliveries.ts';
import { makeSqliteDeliveryViews } from './delivery-views.ts';
import { readConnectionSettings } from './durability.ts';
import { makeSqliteEvents } from './events.ts';
import { guarded } from './errors.ts';
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

/** The same writes, answered asynchronously (by the writer thread, or at once on the main connection). */
export type SqliteWriter = { [K in WriteName]: (...args: Parameters<SqliteWrites[K]>) => Promise<ReturnType<SqliteWrites[K]>> };

/** The writes run on this connection, on the event loop (ingest.sqlite_writer_thread off). */
export function writeOnThisConnection(writes: SqliteWrites): SqliteWriter {
  const entries = Object.entries(writes).map(([name, write]) => [name, (...args: unknown[]) => guarded(() => (write as (...a: unknown[]) => unknown)(...args))]);
  return Object.fromEntries(entries) as SqliteWriter;
}
