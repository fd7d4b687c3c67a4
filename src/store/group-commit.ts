/**
 * Group commit, the one primitive every write path uses: ingest's event inserts (src/ingest/commit-queue.ts), the
 * SQLite writer (every write of the store, on its thread or on the main connection) and PostgreSQL's delivery
 * bookkeeping (claims, attempt records). Items submitted while no group is being written are gathered (until the
 * next turn of the event loop, or for waitMs) and written together by `write`, in one transaction: one disk sync
 * instead of one each. At most maxInFlight groups are written at once; items submitted meanwhile form the next.
 *
 * `write` settles each item on its own (an item that failed alone is rejected alone); if it throws, the whole group
 * failed and every item in it is rejected (none was committed).
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<A> {
  /** Most units (see size) in one group; an item is never split, so one larger than this goes alone. Default: no bound. */
  maxBatch?: number;
  /** An item's units (events for an insert); default 1. */
  size?: (item: A) => number;
  /** Gather for this long before writing; 0 (default): until the next turn of the event loop. */
  waitMs?: number;
  /** Groups written at once (default 1). Two let the next group be handed over while the previous one syncs. */
  maxInFlight?: number;
  /** After each group, committed or failed: its units and how long `write` took (seconds). */
  onCommit?: (units: number, seconds: number, committed: boolean) => void;
}

export interface GroupCommit<A, R> {
  submit(item: A): Promise<R>;
  /** Units waiting for or inside a group. */
  pending(): number;
  /** Resolves once everything submitted so far is committed or failed. */
  drain(): Promise<void>;
}

interface Waiting<A, R> {
  item: A;
  units: number;
  resolve(value: R): void;
  reject(err: unknown): void;
}

export function makeGroupCommit<A, R>(write: (items: A[]) => Settled<R>[] | Promise<Settled<R>[]>, options: GroupCommitOptions<A> = {}): GroupCommit<A, R> {
  const { maxBatch = Infinity, size = () => 1, waitMs = 0, maxInFlight = 1, onCommit } = options;
  const queue: Waiting<A, R>[] = [];
  let pendingUnits = 0;
  let scheduled = false;
  const writing = new Set<Promise<void>>();

  function schedule(): void {
    if (scheduled || writing.size >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    const run = () => {
      scheduled = false;
      const done: Promise<void> = writeGroup().finally(() => {
        writing.delete(done);
        schedule();
      });
      writing.add(done);
      schedule();
    };
    if (waitMs > 0) setTimeout(run, waitMs);
    else setImmediate(run);
  }

  async function writeGroup(): Promise<void> {
    const group: Waiting<A, R>[] = [];
    let units = 0;
    while (queue.length > 0 && (units === 0 || units + queue[0]!.units <= maxBatch)) {
      const next = queue.shift()!;
      group.push(next);
      units += next.units;
    }
    if (group.length === 0) return;
    const started = performance.now();
    let committed = false;
    try {
      const settled = await write(group.map((w) => w.item));
      committed = true;
      settled.forEach((s, i) => {
        if (s.ok) group[i]!.resolve(s.value);
        else group[i]!.reject(s.error);
      });
    } catch (err) {
      for (const w of group) w.reject(err);
    } finally {
      pendingUnits -= units;
      onCommit?.(units, (performance.now() - started) / 1000, committed);
    }
  }

  return {
    submit(item) {
      const units = size(item);
      pendingUnits += units;
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, units, resolve, reject });
        schedule();
      });
    },
    pending: () => pendingUnits,
    async drain() {
      while (queue.length > 0 || writing.size > 0 || scheduled) {
        await (writing.size > 0 ? Promise.all(writing) : new Promise((r) => setImmediate(r)));
      }
    },
  };
}

/** The same value for every item of a group that one write answers as a whole (e.g. one INSERT of all their events). */
export const allOk = <R>(values: R[]): Settled<R>[] => values.map((value) => ({ ok: true, value }));

/** One transaction that held event inserts: how many events, how long it took (seconds), whether it committed. */
export type CommitReport = (events: number, seconds: number, committed: boolean) => void;

/**
 * Where a store's transactions are reported (Store.observeCommits): made before the writer that commits them (the
 * SQLite writer thread is started before its store), observed by the metrics once the store exists.
 */
export function makeCommitRelay(): { report: CommitReport; observe(listener: CommitReport): void } {
  let listener: CommitReport = () => {};
  return {
    report: (events, seconds, committed) => listener(events, seconds, committed),
    observe: (l) => {
      listener = l;
    },
  };
}
