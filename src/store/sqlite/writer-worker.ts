/**
 * The SQLite writer thread: runs the group-commit inserts (and their fsync) on its own connection, so the
 * event loop that serves HTTP never blocks on a disk sync. Same statements, same transaction, same durability.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StorableEvent } from '../storable.ts';
import { makeSqliteAudit } from './audit.ts';
import { decodeBatch, type EncodedBatch } from './batch-codec.ts';
import { readConnectionSettings } from './durability.ts';
import { makeSqliteEvents } from './events.ts';
import { openSqlite } from './open.ts';

const { path, autoCheckpointPages } = workerData as { path: string; autoCheckpointPages: number };
const db = openSqlite(path, { autoCheckpointPages });
const events = makeSqliteEvents(db);
const audit = makeSqliteAudit(db);

type Request = { id: number; batch: EncodedBatch } | { id: number; seal: { limit: number; now: number } } | { id: number; settings: true };
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
      const outcomes = events.insertEventsSync(group.flatMap((r) => r.events));
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
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  parentPort!.postMessage({ id, error: { code: e.cause?.code ?? e.code, message: e.message } });
}

// Every write of the ingest path happens here, sealing included, so writers never wait on each other's locks.
parentPort!.on('message', async (message: Request | 'close') => {
  if (message === 'close') {
    commitQueued();
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  if ('batch' in message) {
    if (queued.push({ id: message.id, events: decodeBatch(message.batch) }) === 1) setImmediate(commitQueued);
    return;
  }
  // The durability check asks this connection itself (durability.ts).
  if ('settings' in message) return void parentPort!.postMessage({ id: message.id, result: readConnectionSettings(db) });
  try {
    parentPort!.postMessage({ id: message.id, result: await audit.sealAudit(message.seal.limit, message.seal.now) });
  } catch (err) {
    reply(message.id, err);
  }
});
parentPort!.postMessage({ ready: true });
