/**
 * The SQLite reader thread: answers the operator listings and aggregates on its own read-only connection, so a
 * slow one (a large page, counts over a big table) never holds the event loop that serves ingest. WAL lets it
 * read while the writer commits; each query sees what was committed when it started.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { InvalidCursorError } from '../cursor.ts';
import { makeSqliteDeliveryReads } from './delivery-views.ts';
import { makeSqliteEventReads } from './reader-events.ts';

const { path } = workerData as { path: string };
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 2000');
const events = makeSqliteEventReads(db);
const deliveries = makeSqliteDeliveryReads(db);

/** What the thread answers; every one is a plain function of its arguments. */
const READS: Record<string, (...args: never[]) => unknown> = {
  listEvents: events.listEvents,
  listDeliveries: deliveries.listDeliveries,
  destinationCounts: deliveries.destinationCounts,
  activity: deliveries.activity,
  stats: deliveries.stats,
};

parentPort!.on('message', (message: { id: number; method: string; args: never[] } | 'close') => {
  if (message === 'close') {
    db.close();
    return void parentPort!.postMessage({ closed: true });
  }
  try {
    parentPort!.postMessage({ id: message.id, result: READS[message.method]!(...message.args) });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    parentPort!.postMessage({ id: message.id, error: { code: e.code, message: e.message, invalidCursor: err instanceof InvalidCursorError } });
  }
});
parentPort!.postMessage({ ready: true });
