/** Audit chain operations over a Store: verify every source's chain; a background sealer; retention pruning. */
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import type { Store } from '../store/types.ts';
import { GENESIS, verifyEntries, type ChainVerdict } from './chain.ts';

export interface SourceVerdict {
  source: string;
  verdict: ChainVerdict;
}

/** Recompute every source's chain from its first entry; stops each at its first broken link. */
export async function verifyAuditChains(
  store: Pick<Store, 'auditSources' | 'listAuditEntries'>,
  onProgress?: (checked: number) => void,
): Promise<SourceVerdict[]> {
  const results: SourceVerdict[] = [];
  let checked = 0;
  for (const source of await store.auditSources()) {
    let verdict: ChainVerdict = { ok: true, entries: 0, head: GENESIS };
    for (let after = 0; ; ) {
      const page = await store.listAuditEntries(source, after, 1000);
      if (page.length === 0 || !verdict.ok) break;
      verdict = verifyEntries(page, verdict.head, verdict.entries);
      after = page[page.length - 1]!.seq;
      checked += page.length;
      onProgress?.(checked);
    }
    results.push({ source, verdict });
  }
  return results;
}

export interface MaintenanceOptions {
  store: Store;
  clock: Clock;
  log: Log;
  sealIntervalMs: number;
  /**
   * Retention of delivered events per source (days); sources without a rule keep everything. A pruned event stays
   * a dedupe tombstone for dedupeDays after it was pruned (a replay of it is still a replay), then is deleted.
   */
  retention: { rules: { source: string; days: number }[]; intervalMs: number; dedupeDays: number };
}

const DAY_MS = 86_400_000;
/** Rows pruned or expired per transaction: bounds how long one holds the write lock. */
const PRUNE_BATCH = 1000;

/**
 * Background upkeep: seal new events into the audit chain every sealIntervalMs (off the ingest hot path), prune
 * delivered events past their source's retention (each prune writes its checkpoint into the chain in the same
 * transaction), and delete tombstones past dedupe_days. Failures are logged and retried next tick.
 */
export function startMaintenance(options: MaintenanceOptions): { stop(): Promise<void>; sealNow(): Promise<number>; pruneNow(): Promise<number> } {
  const { store, clock, log, retention } = options;
  let running: Promise<unknown> = Promise.resolve();
  const sealAll = async () => {
    let total = 0;
    for (let n = await store.sealAudit(500, clock.now()); n > 0; n = await store.sealAudit(500, clock.now())) total += n;
    return total;
  };
  const prune = async () => {
    await sealAll(); // only sealed events may be pruned: seal first so nothing waits a whole interval
    let total = 0;
    for (const rule of retention.rules) {
      const before = clock.now() - rule.days * DAY_MS;
      let pruned = 0;
      for (let n = PRUNE_BATCH; n === PRUNE_BATCH; pruned += n)
        n = await store.pruneDelivered({ before, source: rule.source, now: clock.now(), limit: PRUNE_BATCH });
      if (pruned > 0) log.info({ source: rule.source, pruned }, 'retention pruned delivered events');
      total += pruned;
    }
    let expired = 0;
    for (let n = PRUNE_BATCH; n === PRUNE_BATCH; expired += n) n = await store.expireTombstones(clock.now() - retention.dedupeDays * DAY_MS, PRUNE_BATCH);
    if (expired > 0) log.info({ expired }, 'retention deleted dedupe tombstones past dedupe_days');
    return total;
  };
  const queue = <T>(task: () => Promise<T>): Promise<T> => {
    const next = running.then(task);
    running = next.catch(() => {});
    return next;
  };
  const tick = (what: string, task: () => Promise<unknown>) => () =>
    void queue(task).catch((err: unknown) => log.warn({ err: (err as Error).message }, `${what} failed; will retry`));
  const sealTimer = setInterval(tick('audit sealing', sealAll), options.sealIntervalMs);
  // Always: tombstones left by rules since removed still expire.
  const pruneTimer = setInterval(tick('retention', prune), retention.intervalMs);
  sealTimer.unref();
  pruneTimer.unref();
  return {
    async stop() {
      clearInterval(sealTimer);
      clearInterval(pruneTimer);
      await running;
    },
    sealNow: () => queue(sealAll),
    pruneNow: () => queue(prune),
  };
}
