/**
 * Main-thread side of the SQLite reader thread (reader-worker.ts): the operator listings and aggregates run there,
 * so however long one takes, the event loop keeps serving ingest. Started at once, used when ready; a thread that
 * dies fails what it held with StorageUnavailableError (503), and the next read starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { StorageUnavailableError } from '../storage-error.ts';
import { threadModule } from './thread-module.ts';
import { InvalidCursorError } from '../cursor.ts';
import type { Store } from '../types.ts';
import { toStorageError } from './errors.ts';

/** The thread's name, as diagnostics (inspector, heap snapshots) show it. */
export const READER_THREAD_NAME = 'filab-sqlite-reader';

export type OperatorReads = Pick<Store, 'listEvents' | 'listDeliveries' | 'destinationCounts' | 'activity' | 'stats'>;

export interface ReaderThread {
  reads: OperatorReads;
  close(): Promise<void>;
}

type Reply = { id?: number; result?: unknown; error?: { code?: string; message?: string; invalidCursor?: boolean }; ready?: boolean; closed?: boolean };

interface Running {
  worker: Worker;
  pending: Map<number, { resolve(result: unknown): void; reject(err: unknown): void }>;
  exited: Promise<void>;
  dead: boolean;
}

export function startReaderThread(path: string): ReaderThread {
  let running: Promise<Running> | undefined;
  let nextId = 0;
  let closed = false;

  function spawn(): Promise<Running> {
    return readerModule().then(
      (module) =>
        new Promise<Running>((resolve, reject) => {
          const worker = new Worker(module, { name: READER_THREAD_NAME, workerData: { path }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
          const self: Running = { worker, pending: new Map(), exited: new Promise((done) => worker.once('exit', () => done())), dead: false };
          let ready = false;
          const die = (reason: string) => {
            self.dead = true; // the next read starts a new thread
            const err = new StorageUnavailableError(new Error(`SQLite reader thread ${reason}`));
            for (const waiter of self.pending.values()) waiter.reject(err);
            self.pending.clear();
            if (!ready) reject(err);
          };
          worker.on('error', (err) => die(`failed: ${err.message}`));
          worker.on('exit', (code) => die(`exited (code ${code})`));
          worker.on('message', (message: Reply) => {
            if (message.ready) {
              ready = true;
              return resolve(self);
            }
            if (message.closed) return void worker.terminate();
            const waiter = message.id === undefined ? undefined : self.pending.get(message.id);
            if (!waiter) return;
            self.pending.delete(message.id!);
            if (!message.error) return waiter.resolve(message.result);
            if (message.error.invalidCursor) return waiter.reject(new InvalidCursorError());
            waiter.reject(toStorageError(Object.assign(new Error(message.error.message), { code: message.error.code })));
          });
        }),
    );
  }

  async function call<T>(method: keyof OperatorReads, args: unknown[]): Promise<T> {
    if (closed) throw new StorageUnavailableError(new Error('SQLite reader thread is closed'));
    const seen = running;
    let current = await seen?.catch(() => null);
    if (!current || current.dead) {
      // None yet, or it could not start, or it died: start one (once, however many reads found it so).
      if (running === seen) running = spawn();
      current = await running!;
    }
    const { worker, pending } = current;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });
  }

  running = spawn();
  running.catch(() => {}); // a failed start is retried by the first read
  return {
    reads: {
      listEvents: (query) => call('listEvents', [query]),
      listDeliveries: (query) => call('listDeliveries', [query]),
      destinationCounts: () => call('destinationCounts', []),
      activity: (since, bucketMs) => call('activity', [since, bucketMs]),
      stats: () => call('stats', []),
    },
    async close() {
      if (closed) return;
      closed = true;
      const current = await running?.catch(() => null);
      if (!current) return;
      current.worker.postMessage('close');
      await current.exited;
    },
  };
}

const readerModule = () => threadModule('reader-worker');
