/**
 * The SQLite writer thread: every write of the store (ingest inserts, claims, attempt records, requeues, leases,
 * destination state, audit sealing, retention) runs here on its own connection, so the event loop that serves
 * HTTP never blocks on a lock or a disk sync. Same statements (writes.ts), same transactions, same durability.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StorableEvent } from '../storable.ts';
import { decodeBatch, type EncodedBatch } from './batch-codec.ts';
import { openSqlite } from './open.ts';
import { toWriteFailure } from './write-failure.ts';
import { makeSqliteWrites, type WriteName } from './writes.ts';

const { path, autoCheckpointPages } = workerData as { path: string; autoCheckpointPages: number };
const db = openSqlite(path, { autoCheckpointPages });
const writes = makeSqliteWrites(db);

type Request = { id: number; op: 'insertEvents'; batch: EncodedBatch } | { id: number; op: Exclude<WriteName, 'insertEvents'>; args: unknown[] };
/** A batch decoded as it arrived, waiting for the commit that will hold it. */
type Queued = { id: number; events: StorableEvent[] };

/** Most events merged into one transaction: keeps one commit's latency (and a failure's reach) bounded. */
const MERGE_MAX_EVENTS = 1024;
let queued: Queued[] = [];

// Batches that arrive while a commit syncs wait in the port; they are then committed together, in one
// transaction and one fsync. Each batch still gets exactly its own outcomes, and a failed commit fails
// every batch in it (each answers 503; none was acknowledged).
function commitQueued(): void {
  while (queued.length > 0) {
    const group: Queued[] = [];
    let size = 0;
    while (queued.length > 0 && (size === 0 || size + queued[0]!.events.length <= MERGE_MAX_EVENTS)) {
      const next = queued.shift()!;
      group.push(next);
      size += next.events.length;
    }
    try {
      const outcomes = writes.insertEvents(group.flatMap((r) => r.events));
      let offset = 0;
      for (const r of group) {
        parentPort!.postMessage({ id: r.id, result: outcomes.slice(offset, offset + r.events.length) });
        offset += r.events.length;
      }
    } catch (err) {
      for (const r of group) reply(r.id, err);
    }
  }
}

function reply(id: number, err: unknown): void {
  parentPort!.postMessage({ id, error: toWriteFailure(err) });
}

parentPort!.on('message', (message: Request | 'close') => {
  if (message === 'close') {
    commitQueued();
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  if (message.op === 'insertEvents') {
    if (queued.push({ id: message.id, events: decodeBatch(message.batch) }) === 1) setImmediate(commitQueued);
    return;
  }
  try {
    const write = writes[message.op] as (...args: unknown[]) => unknown;
    parentPort!.postMessage({ id: message.id, result: write(...message.args) ?? null });
  } catch (err) {
    reply(message.id, err);
  }
});
parentPort!.postMessage({ ready: true });
