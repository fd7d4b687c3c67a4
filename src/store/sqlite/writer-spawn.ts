/** One SQLite writer thread's life: start it, ask it things, close it, and notice when it dies (writer-thread.ts restarts it). */
import { Worker } from 'node:worker_threads';
import { StorageUnavailableError } from '../storage-error.ts';
import { BACKSTOP_CHECKPOINT_PAGES } from './checkpointer.ts';
import { fromWriteFailure, type WriteFailure } from './write-failure.ts';
import type { CommitReport } from '../group-commit.ts';

/** The thread's name, as diagnostics (inspector, heap snapshots) show it. */
export const WRITER_THREAD_NAME = 'filab-sqlite-writer';

export interface RunningWriter {
  call<T>(request: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T>;
  /** Commit what it holds, then stop. */
  close(): Promise<void>;
}

type Reply = {
  id?: number;
  result?: never;
  error?: WriteFailure;
  ready?: boolean;
  closed?: boolean;
  commit?: { events: number; seconds: number; committed: boolean };
};

/**
 * Resolves once the thread has opened its database, rejects if it dies before. After that, a death fails every
 * request it held with StorageUnavailableError and calls onDeath once (not for a death during close()).
 */
export function spawnWriter(module: URL, path: string, onDeath: (reason: string) => void, onCommit: CommitReport = () => {}): Promise<RunningWriter> {
  const worker = new Worker(module, {
    name: WRITER_THREAD_NAME,
    workerData: { path, autoCheckpointPages: BACKSTOP_CHECKPOINT_PAGES },
    // Its garbage is short-lived rows and messages: a small young generation keeps RSS down at no measured cost.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  const pending = new Map<number, { resolve(result: never): void; reject(e: unknown): void }>();
  let nextId = 0;
  let state: 'starting' | 'running' | 'closing' | 'dead' = 'starting';
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const die = (reason: string) => {
      if (state === 'dead') return;
      const was = state;
      state = 'dead';
      const err = new StorageUnavailableError(new Error(`SQLite writer thread ${reason}`));
      for (const waiter of pending.values()) waiter.reject(err);
      pending.clear();
      if (was === 'starting') reject(new Error(`SQLite writer thread ${reason}`));
      else if (was === 'running') onDeath(reason);
    };
    worker.on('error', (err) => die(`failed: ${err.message}`));
    worker.on('exit', (code) => die(`exited (code ${code})`));
    worker.on('message', (message: Reply) => {
      if (message.ready && state === 'starting') {
        state = 'running';
        return resolve({ call, close });
      }
      if (message.closed) return void worker.terminate();
      if (message.commit) return onCommit(message.commit.events, message.commit.seconds, message.commit.committed);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.result !== undefined) waiter.resolve(message.result);
      else waiter.reject(fromWriteFailure(message.error ?? { message: 'no answer' }));
    });
  });

  function call<T>(request: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (state !== 'running') return Promise.reject(new StorageUnavailableError(new Error('SQLite writer thread is not running')));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (result: never) => void, reject });
      worker.postMessage({ id, ...request }, transfer);
    });
  }

  async function close(): Promise<void> {
    if (state !== 'running') return;
    state = 'closing';
    // The thread commits what it still holds first; their answers arrive before its `closed`, then it is terminated.
    worker.postMessage('close');
    await exited;
  }
}
