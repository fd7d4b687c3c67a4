/**
 * Main-thread side of the SQLite writer thread. better-sqlite3 is synchronous, so a commit's fsync would stall
 * every request on the event loop; in a worker thread it stalls nothing (see bench/RESULTS.md for the figures).
 *
 * A thread that dies (a crash, out of memory, terminated) fails the batches it held with StorageUnavailableError
 * (503 + Retry-After: none was acknowledged), and a new thread is started after a backoff. Meanwhile commits and
 * ping() fail with StoreDownError, so /ready answers 503 until the new thread is up.
 */
import { StorageUnavailableError } from '../storage-error.ts';
import { threadModule } from './thread-module.ts';
import { StoreDownError } from '../store-down.ts';
import type { ClaimedDelivery } from '../types.ts';
import { encodeBatch } from './batch-codec.ts';
import { spawnWriter, type RunningWriter } from './writer-spawn.ts';
import type { CommitReport } from '../group-commit.ts';
import type { SqliteWriter, WriteName } from './writes.ts';

/** Every write of writes.ts, run on the thread (connectionSettings: as the thread's own connection answers them). */
export interface WriterThread extends SqliteWriter {
  /** Why the thread cannot commit now (it died and its successor is not up yet), or null while it runs and after close(). */
  downReason(): string | null;
  close(): Promise<void>;
}

/** Told about deaths and restarts (logs, the restarts metric). */
export interface WriterThreadEvents {
  died?(reason: string, restartInMs: number): void;
  restarted?(): void;
  /** Each transaction on the thread that held event inserts (the commit metrics). */
  committed?: CommitReport;
}

/** First restart after this long, doubling for each death in a row up to the cap: a thread that dies at once never spins. */
export const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A thread that ran this long before dying starts the backoff over. */
const STABLE_MS = 60_000;
const DOWN = 'SQLite writer thread is down; a new one is starting';

export async function startWriterThread(path: string, events: WriterThreadEvents = {}): Promise<WriterThread> {
  const module = await threadModule('writer-worker');
  let current: RunningWriter | null = await spawnWriter(module, path, onDeath, (...commit) => events.committed?.(...commit));
  let startedAt = Date.now();
  let deathsInARow = 0;
  let closed = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;

  function onDeath(reason: string): void {
    current = null;
    if (closed) return;
    if (Date.now() - startedAt >= STABLE_MS) deathsInARow = 0;
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** deathsInARow);
    deathsInARow++;
    events.died?.(reason, delay);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      starting = restart().finally(() => (starting = undefined));
    }, delay);
  }

  async function restart(): Promise<void> {
    let next: RunningWriter;
    try {
      next = await spawnWriter(module, path, onDeath, (...commit) => events.committed?.(...commit));
    } catch (err) {
      startedAt = Date.now();
      return onDeath(`could not start again: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (closed) return next.close();
    current = next;
    startedAt = Date.now();
    events.restarted?.();
  }

  function call<T>(request: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (!current) return Promise.reject(closed ? new StorageUnavailableError(new Error('SQLite writer thread is closed')) : new StoreDownError(DOWN));
    return current.call<T>(request, transfer);
  }

  const write =
    <K extends WriteName>(op: K) =>
    (...args: Parameters<SqliteWriter[K]>) =>
      call<Awaited<ReturnType<SqliteWriter[K]>>>({ op, args });

  return {
    insertEvents: (batch) => {
      const encoded = encodeBatch(batch);
      return call({ op: 'insertEvents', batch: encoded }, [encoded.bytes]);
    },
    // A Buffer crosses the thread boundary as a plain Uint8Array: make each payload a Buffer again (no copy).
    claimDeliveries: async (options) => (await write('claimDeliveries')(options)).map(asBufferPayload),
    completeAttempt: write('completeAttempt'),
    releaseLeases: write('releaseLeases'),
    requeueDeliveries: write('requeueDeliveries'),
    setDestinationDisabled: write('setDestinationDisabled'),
    sealAudit: write('sealAudit'),
    pruneDelivered: write('pruneDelivered'),
    expireTombstones: write('expireTombstones'),
    connectionSettings: write('connectionSettings'),
    downReason: () => (current || closed ? null : DOWN),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(restartTimer);
      await starting;
      const last = current;
      current = null;
      await last?.close();
    },
  };
}

function asBufferPayload(claimed: ClaimedDelivery): ClaimedDelivery {
  const { payload } = claimed;
  return { ...claimed, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) };
}
