/**
 * The SQLite writer thread: runs the group-commit inserts (and their fsync) on its own connection, so the
 * event loop that serves HTTP never blocks on a disk sync. Same statements, same transaction, same durability.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NewEvent } from '../types.ts';
import { makeSqliteAudit } from './audit.ts';
import { makeSqliteEvents } from './events.ts';
import { openSqlite } from './open.ts';

const db = openSqlite((workerData as { path: string }).path);
const events = makeSqliteEvents(db);
const audit = makeSqliteAudit(db);

type Request = { id: number; batch: NewEvent[] } | { id: number; seal: { limit: number; now: number } };

// Every write of the ingest path happens here, sealing included, so writers never wait on each other's locks.
parentPort!.on('message', async (message: Request | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  try {
    if ('seal' in message) {
      parentPort!.postMessage({ id: message.id, result: await audit.sealAudit(message.seal.limit, message.seal.now) });
      return;
    }
    // Buffers arrive as Uint8Array after structured cloning; better-sqlite3 stores either as a BLOB.
    const batch = message.batch.map((e) => ({ ...e, payload: Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength) }));
    parentPort!.postMessage({ id: message.id, result: await events.insertEvents(batch) });
  } catch (err) {
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    parentPort!.postMessage({ id: message.id, error: { code: e.cause?.code ?? e.code, message: e.message } });
  }
});
parentPort!.postMessage({ ready: true });
