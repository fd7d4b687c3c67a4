/**
 * Ingest's group commit: concurrent ingest requests wait here briefly and share one store write (one transaction,
 * one disk sync; see src/store/group-commit.ts), then each is answered after the commit that holds its events.
 * A request's events (a batch provider's) are never split. Bounded: past maxPending events waiting, submit()
 * rejects with `overloaded` (503 + Retry-After) instead of growing memory without limit.
 */
import { ApiError } from '../errors.ts';
import type { IngestTuning } from '../config/types.ts';
import { allOk, makeGroupCommit } from '../store/group-commit.ts';
import type { InsertOutcome, NewEvent, Store } from '../store/types.ts';

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
  /** After each hand-over to the store, stored or failed: its size in events and how long the store took (seconds). */
  onCommit?: (batchSize: number, seconds: number, stored: boolean) => void,
): CommitQueue {
  const commits = makeGroupCommit(
    async (requests: NewEvent[][]) => {
      const outcomes = await store.insertEvents(requests.flat());
      let offset = 0;
      return allOk(
        requests.map((events) => {
          offset += events.length;
          return outcomes.slice(offset - events.length, offset);
        }),
      );
    },
    {
      maxBatch: tuning.batchMax,
      size: (events) => events.length,
      waitMs: tuning.batchWaitMs,
      // Two let the next batch be handed over while the previous one syncs (SQLite writer thread, PostgreSQL
      // pool), so neither side waits for the other; one more would only shrink batches.
      maxInFlight: tuning.maxCommitsInFlight,
      ...(onCommit ? { onCommit } : {}),
    },
  );
  return {
    submit(events) {
      if (events.length === 0) return Promise.resolve([]);
      if (commits.pending() + events.length > tuning.maxPending) return Promise.reject(new ApiError('overloaded'));
      return commits.submit(events);
    },
    pending: commits.pending,
    drain: commits.drain,
  };
}
