/**
 * The checkpointer thread (checkpointer-worker.mjs): copies committed WAL frames into the database file in the
 * background, so ingest commits, wherever they run (writer thread or event loop), rarely checkpoint themselves.
 */
import { Worker } from 'node:worker_threads';
import type { ConnectionSettings } from './durability.ts';

/**
 * With the checkpointer, the ingest connections checkpoint by themselves only when the WAL reaches this many pages
 * (128 MB). Under steady writes the background checkpoints copy most frames but never quite catch up, so the WAL
 * starts over only at this backstop (the commit's own checkpoint then has little left to copy): the WAL file grows
 * to ~128 MB under sustained load. Writer thread, 40 s runs: p99 15-16 ms and +5% req/s against 21-23 ms with
 * 16 MB in-commit checkpoints; 32 or 64 MB backstops kept most of the stalls. Writes on the event loop, in turns
 * against 16 MB in-commit checkpoints: p99 27-31 against 42-56 ms and 5-9% more req/s (bench/RESULTS.md).
 */
export const BACKSTOP_CHECKPOINT_PAGES = 32_000;
const CHECKPOINT_INTERVAL_MS = 200;

export interface Checkpointer {
  /** PRAGMA synchronous and journal_mode as the thread's own connection answers them; null once it has exited. */
  connectionSettings(): Promise<ConnectionSettings | null>;
  close(): Promise<void>;
}

/** Start it on a database that already exists in WAL mode (migrate first). */
export async function startCheckpointer(path: string): Promise<Checkpointer> {
  const thread = new Worker(new URL('./checkpointer-worker.mjs', import.meta.url), {
    workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS },
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  });
  await new Promise<void>((resolve, reject) => {
    thread.once('message', () => resolve());
    thread.once('error', reject);
  });
  // Losing it costs only latency (commits checkpoint by themselves at the backstop), never data.
  thread.on('error', () => {});
  let exited = false;
  thread.once('exit', () => (exited = true));
  return {
    connectionSettings: () =>
      exited
        ? Promise.resolve(null)
        : new Promise((resolve) => {
            const onMessage = (message: { settings?: ConnectionSettings }) => {
              if (!message.settings) return;
              thread.off('message', onMessage);
              thread.off('exit', onExit);
              resolve(message.settings);
            };
            const onExit = () => {
              thread.off('message', onMessage);
              resolve(null);
            };
            thread.on('message', onMessage);
            thread.once('exit', onExit);
            thread.postMessage({ settings: true });
          }),
    async close() {
      if (thread.threadId < 0) return; // already exited
      await new Promise<void>((resolve) => {
        thread.once('exit', () => resolve());
        thread.on('message', (message: { closed?: boolean }) => message.closed && void thread.terminate());
        thread.postMessage('close');
      });
    },
  };
}
