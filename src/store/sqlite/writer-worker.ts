/**
 * The SQLite writer thread: every write of the store (ingest inserts, claims, attempt records, requeues, leases,
 * destination state, audit sealing, retention) runs here on its own connection, so the event loop that serves
 * HTTP never blocks on a lock or a disk sync. Requests that arrive while a commit syncs wait in the port, and are
 * then committed together, in one transaction and one fsync (writes.ts); each still gets exactly its own answer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBatch, type EncodedBatch } from './batch-codec.ts';
import { openSqlite } from './open.ts';
import { toWriteFailure } from './write-failure.ts';
import { groupedWrites, type WriteRequest } from './writes.ts';

const { path, autoCheckpointPages } = workerData as { path: string; autoCheckpointPages: number };
const db = openSqlite(path, { autoCheckpointPages });
// Each transaction that held events is reported to the main thread, where the commit metrics live.
const { submit } = groupedWrites(db, (events, seconds, committed) => parentPort!.postMessage({ commit: { events, seconds, committed } }));

type Message = { id: number; op: 'insertEvents'; batch: EncodedBatch } | ({ id: number } & WriteRequest);

parentPort!.on('message', (message: Message | 'close') => {
  if (message === 'close') {
    // Commit what is still queued (its answers go out first), then stop.
    void Promise.allSettled(pending).then(() => {
      // A close that fails still reports closed: the main thread terminates the thread either way.
      try {
        db.close();
      } catch {
        // nothing more to do with this connection
      }
      parentPort!.postMessage({ closed: true });
    });
    return;
  }
  const request = 'batch' in message ? { op: 'insertEvents' as const, args: [decodeBatch(message.batch)] as [ReturnType<typeof decodeBatch>] } : message;
  const answered = submit(request)
    .then(
      (result) => parentPort!.postMessage({ id: message.id, result: result ?? null }),
      (err: unknown) => parentPort!.postMessage({ id: message.id, error: toWriteFailure(err) }),
    )
    // A result that cannot be posted (not cloneable) must still answer its caller, or it would wait forever.
    .catch((err: unknown) => parentPort!.postMessage({ id: message.id, error: toWriteFailure(err) }));
  pending.add(answered);
  void answered.finally(() => pending.delete(answered));
});
const pending = new Set<Promise<void>>();
parentPort!.postMessage({ ready: true });
