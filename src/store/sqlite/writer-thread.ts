/**
 * Main-thread side of the SQLite writer thread. better-sqlite3 is synchronous, so a commit's fsync would stall
 * every request on the event loop; in a worker thread it stalls nothing (see bench/RESULTS.md for the figures).
 */
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageUnavailableError } from '../../errors.ts';
import type { InsertOutcome, NewEvent } from '../types.ts';
import { toStorable } from '../storable.ts';
import { encodeBatch } from './batch-codec.ts';
import { BACKSTOP_CHECKPOINT_PAGES } from './checkpointer.ts';
import { toStorageError } from './errors.ts';

export interface WriterThread {
  insertEvents(batch: NewEvent[]): Promise<InsertOutcome[]>;
  sealAudit(limit: number, now: number): Promise<number>;
  close(): Promise<void>;
}

export async function startWriterThread(path: string): Promise<WriterThread> {
  const worker = new Worker(await writerModule(), {
    workerData: { path, autoCheckpointPages: BACKSTOP_CHECKPOINT_PAGES },
    // Its garbage is short-lived rows and messages: a small young generation keeps RSS down at no measured cost.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  const pending = new Map<number, { resolve(result: never): void; reject(e: unknown): void }>();
  let nextId = 0;
  let alive = true;
  const failAll = (err: unknown) => {
    alive = false;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', (err) => failAll(new StorageUnavailableError(err)));
  worker.on('exit', () => failAll(new StorageUnavailableError(new Error('SQLite writer thread exited'))));
  worker.on('message', (message: { id: number; result?: never; error?: { code?: string; message: string } }) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.result !== undefined) waiter.resolve(message.result);
    else waiter.reject(toStorageError(Object.assign(new Error(message.error?.message), { code: message.error?.code })));
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  function call<T>(request: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (!alive) return Promise.reject(new StorageUnavailableError(new Error('SQLite writer thread is not running')));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (result: never) => void, reject });
      worker.postMessage({ id, ...request }, transfer);
    });
  }
  return {
    insertEvents: (batch) => {
      const encoded = encodeBatch(batch.map(toStorable));
      return call<InsertOutcome[]>({ batch: encoded }, [encoded.bytes]);
    },
    sealAudit: (limit, now) => call<number>({ seal: { limit, now } }),
    async close() {
      if (!alive) return;
      alive = false;
      // The thread commits what it still holds first; their answers arrive before its `closed`.
      await new Promise<void>((resolve) => {
        worker.on('message', (message: { closed?: boolean }) => message.closed && resolve());
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}

/**
 * The writer's code as one plain-JavaScript module (a data: URL), bundled by esbuild in ~25 ms at start. Worker
 * threads do not inherit the parent's TypeScript loader, and registering one in the thread would start another
 * loader thread (~25 MB resident) just to compile a few files once. better-sqlite3 stays external, by absolute URL.
 */
async function writerModule(): Promise<URL> {
  const sqlite = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./writer-worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [{ name: 'absolute-better-sqlite3', setup: (b) => void b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true })) }],
  });
  return new URL(`data:text/javascript,${encodeURIComponent(result.outputFiles[0]!.text)}`);
}
