/**
 * Group commit: concurrent ingest requests wait here briefly and share one transaction (one disk sync),
 * then each is answered after the commit that holds its events. Bounded: past maxPending events waiting,
 * submit() rejects with `overloaded` (503 + Retry-After) instead of growing memory without limit.
 */
import { ApiError } from '../errors.ts';
import type { IngestTuning } from '../config/types.ts';
import type { InsertOutcome, NewEvent, Store } from '../store/types.ts';

interface Waiting {
  events: NewEvent[];
  resolve(outcomes: InsertOutcome[]): void;
  reject(err: unknown): void;
}

export interface CommitQueue {
  submit(events: NewEvent[]): Promise<InsertOutcome[]>;
  /** Events waiting for or inside a commit. */
  pending(): number;
  /** Resolves once everything submitted so far is committed or failed. */
  drain(): Promise<void>;
}

export function makeCommitQueue(
  store: Pick<Store, 'insertEvents'>,
  tuning: IngestTuning,
  /** After each commit, stored or failed: its size in events and how long the store took (seconds). */
  onCommit: (batchSize: number, seconds: number, stored: boolean) => void = () => {},
): CommitQueue {
  let queue: Waiting[] = [];
  let pendingEvents = 0;
  let scheduled = false;
  // Commits under way. Two let the next batch be handed over while the previous one syncs (SQLite writer
  // thread, PostgreSQL pool), so neither side waits for the other; one more would only shrink batches.
  const flushing = new Set<Promise<void>>();
  const maxInFlight = tuning.maxCommitsInFlight;

  function schedule(): void {
    if (scheduled || flushing.size >= maxInFlight) return;
    scheduled = true;
    const run = () => {
      scheduled = false;
      const done: Promise<void> = flush().finally(() => {
        flushing.delete(done);
        if (queue.length > 0) schedule();
      });
      flushing.add(done);
      if (queue.length > 0) schedule();
    };
    if (tuning.batchWaitMs > 0) setTimeout(run, tuning.batchWaitMs);
    else setImmediate(run);
  }

  async function flush(): Promise<void> {
    // Take whole submissions up to batchMax events (a batch provider's request is never split).
    const batch: Waiting[] = [];
    let size = 0;
    while (queue.length > 0 && (size === 0 || size + queue[0]!.events.length <= tuning.batchMax)) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.events.length;
    }
    const started = performance.now();
    let stored = false;
    try {
      const outcomes = await store.insertEvents(batch.flatMap((w) => w.events));
      stored = true;
      let offset = 0;
      for (const w of batch) {
        w.resolve(outcomes.slice(offset, offset + w.events.length));
        offset += w.events.length;
      }
    } catch (err) {
      // A failed commit stored nothing: every request in it is told so (503), none is acknowledged.
      for (const w of batch) w.reject(err);
    } finally {
      pendingEvents -= size;
      onCommit(size, (performance.now() - started) / 1000, stored);
    }
  }

  return {
    submit(events) {
      if (events.length === 0) return Promise.resolve([]);
      if (pendingEvents + events.length > tuning.maxPending) return Promise.reject(new ApiError('overloaded'));
      pendingEvents += events.length;
      return new Promise<InsertOutcome[]>((resolve, reject) => {
        queue.push({ events, resolve, reject });
        schedule();
      });
    },
    pending: () => pendingEvents,
    async drain() {
      while (queue.length > 0 || flushing.size > 0 || scheduled) {
        await (flushing.size > 0 ? Promise.all(flushing) : new Promise((r) => setImmediate(r)));
      }
    },
  };
}
