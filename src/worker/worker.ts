/**
 * The delivery worker: claim due deliveries with a lease, run each attempt, record it and its outcome.
 * Wakes on store.subscribeDue and as each finished attempt is handed over to be recorded (the store records it
 * before the claim that follows), and polls slowly as a fallback.
 * stop(): stop claiming, let in-flight attempts finish within the grace period, abort the rest and release
 * their leases so another worker takes them at once instead of waiting for the leases to expire.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { DestinationConfig, WorkerTuning } from '../config/types.ts';
import { newId } from '../ids.ts';
import type { Log } from '../log.ts';
import { rotated } from '../store/delivery-rules.ts';
import type { AttemptOutcome, ClaimedDelivery, Store } from '../store/types.ts';
import { runAttempt } from './attempt.ts';
import type { Handlers } from './handlers.ts';
import { decideOutcome, disablesDestination } from './retry-policy.ts';

export interface WorkerDeps {
  store: Store;
  destinations: readonly DestinationConfig[];
  tuning: WorkerTuning;
  clock: Clock;
  log: Log;
  handlers?: Handlers;
  /** [0, 1); injected so tests get exact retry times. */
  random?: () => number;
  workerId?: string;
  /** Told about every recorded attempt (metrics); never about one whose lease was lost. */
  onAttempt?: (attempt: { destination: string; outcome: AttemptOutcome['kind']; durationMs: number }) => void;
}

export interface Worker {
  readonly id: string;
  start(): void;
  /** Claim now instead of waiting for the next wake-up. */
  poke(): void;
  /** Claim and deliver until nothing is due (by the injected clock) and nothing is in flight. For tests and tools. */
  runUntilIdle(): Promise<void>;
  inFlight(): number;
  /** Graceful stop; resolves when every attempt finished or was abandoned and its lease released. */
  stop(graceMs?: number): Promise<void>;
}

export function makeWorker(deps: WorkerDeps): Worker {
  const { store, tuning, clock, log } = deps;
  const handlers = deps.handlers ?? {};
  const random = deps.random ?? Math.random;
  const id = deps.workerId ?? `wrk_${randomBytes(6).toString('hex')}`;
  // A handler destination without its handler in this process is left to a process that has it.
  const deliverable = deps.destinations.filter((d) => d.url !== null || (d.handler !== null && handlers[d.handler] !== undefined));
  const byName = new Map(deliverable.map((d) => [d.name, d]));
  const claimTargets = deliverable.map((d) => ({ name: d.name, maxInFlight: d.maxInFlight }));
  // The lease must outlive the slowest attempt, or a second worker would start the same delivery meanwhile.
  const leaseMs = Math.max(tuning.leaseMs, ...deliverable.map((d) => d.timeoutMs + 1_000));

  // Attempts in flight, until recorded. Not keyed by delivery: a retry due at once can be claimed again by the claim
  // that shares its record's transaction, before this attempt's promise has settled.
  const running = new Set<Promise<void>>();
  /** Of those, attempts handed over to be recorded: their slots are free (the store records before it claims). */
  let recording = 0;
  /** This worker's attempts in flight per destination, until handed over: a floor under the destination's leases. */
  const runningTo = new Map<string, number>();
  const abort = new AbortController();
  let started = false;
  let stopping = false;
  let claiming: Promise<number> | null = null;
  let claimTurn = 0;
  let again = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};

  async function claimOnce(): Promise<number> {
    const room = tuning.concurrency - (running.size - recording);
    // A destination whose max_in_flight this worker's own attempts fill has no room whatever other workers hold:
    // asking the store would only cost a transaction (wake-ups come with every ingest commit).
    const targets = claimTargets.filter((d) => (runningTo.get(d.name) ?? 0) < d.maxInFlight);
    if (stopping || room <= 0 || targets.length === 0) return 0;
    let claimed: ClaimedDelivery[];
    try {
      // The store fills destinations in this order: start at the next one each time, so none takes every slot.
      claimed = await store.claimDeliveries({ now: clock.now(), workerId: id, leaseMs, limit: room, destinations: rotated(targets, claimTurn++) });
    } catch (err) {
      log.error({ err, workerId: id }, 'claiming deliveries failed; will retry at the next poll');
      return 0;
    }
    for (const delivery of claimed) {
      const to = delivery.destination;
      runningTo.set(to, (runningTo.get(to) ?? 0) + 1);
      let handedOver = false;
      // Its slot frees once the attempt is handed over to be recorded (or abandoned): claim again at once, so the
      // claim shares the record's transaction where the store can (PostgreSQL) and sees its lease given back.
      const handOver = () => {
        if (handedOver) return;
        handedOver = true;
        runningTo.set(to, runningTo.get(to)! - 1);
        recording++;
        pump();
      };
      const attempt: Promise<void> = deliver(delivery, handOver).finally(() => {
        handOver();
        recording--;
        running.delete(attempt);
      });
      running.add(attempt);
    }
    return claimed.length;
  }

  /** Serialised claiming: one claim query at a time per worker; a wake-up during one runs another after it. */
  function claimSerial(): Promise<number> {
    if (claiming) {
      again = true;
      return claiming;
    }
    claiming = (async () => {
      let total = 0;
      do {
        again = false;
        total += await claimOnce();
      } while (again && !stopping);
      return total;
    })().finally(() => {
      claiming = null;
    });
    return claiming;
  }

  function pump(): void {
    if (started && !stopping) void claimSerial();
  }

  /** Never rejects: runAttempt turns every failure into a failed attempt, and a failure to record it is logged. */
  async function deliver(claimed: ClaimedDelivery, handOver: () => void): Promise<void> {
    try {
      await attemptAndRecord(claimed, handOver);
    } catch (err) {
      // Not recorded: the lease expires and the delivery is attempted again (at-least-once).
      log.error(
        { err, deliveryId: claimed.id, destination: claimed.destination },
        'recording the attempt failed; unless it was recorded, the delivery is retried when its lease expires',
      );
    }
  }

  async function attemptAndRecord(claimed: ClaimedDelivery, handOver: () => void): Promise<void> {
    const destination = byName.get(claimed.destination);
    if (!destination) throw new Error(`claimed a delivery for unknown destination ${claimed.destination}`);
    const report = await runAttempt({ clock, handlers, allowPrivateDestinations: tuning.allowPrivateDestinations }, destination, claimed, abort.signal);
    if (abort.signal.aborted) return; // abandoned at shutdown: its lease is released, the attempt not recorded
    const now = clock.now();
    const outcome = decideOutcome({
      schedule: destination.retrySchedule,
      scheduleStep: claimed.scheduleStep ?? claimed.attemptNumber - 1,
      manual: claimed.manual,
      attempt: report,
      now,
      random,
    });
    const recorded = store.completeAttempt({
      deliveryId: claimed.id,
      workerId: id,
      attemptId: newId('atmpt', report.startedAt),
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      statusCode: report.statusCode,
      error: report.error,
      responseSnippet: report.responseSnippet,
      outcome,
    });
    handOver();
    const kept = await recorded;
    if (kept) deps.onAttempt?.({ destination: destination.name, outcome: outcome.kind, durationMs: report.durationMs });
    if (!kept) log.warn({ deliveryId: claimed.id, workerId: id }, 'lease lost before the attempt was recorded; another worker owns the delivery');
    const level = report.ok ? 'debug' : 'info';
    log[level](
      {
        deliveryId: claimed.id,
        destination: destination.name,
        attempt: claimed.attemptNumber,
        status: report.statusCode,
        error: report.error,
        outcome: outcome.kind,
      },
      'delivery attempt',
    );
    if (kept && disablesDestination(report)) {
      await store.setDestinationDisabled(destination.name, true, 'receiver answered 410 Gone', now);
      log.warn(
        { destination: destination.name, deliveryId: claimed.id },
        'destination disabled: the receiver answered 410 Gone; enable it again with `filab destinations enable`',
      );
    }
  }

  return {
    id,
    inFlight: () => running.size,
    start() {
      if (started) return;
      started = true;
      unsubscribe = store.subscribeDue(pump);
      pollTimer = setInterval(pump, tuning.pollIntervalMs);
      pollTimer.unref();
      pump();
    },
    poke: pump,
    async runUntilIdle() {
      for (;;) {
        const claimed = await claimSerial();
        if (claimed === 0 && running.size === 0) return;
        if (running.size > 0) await Promise.race(running.values());
      }
    },
    async stop(graceMs = tuning.shutdownGraceMs) {
      if (stopping) return;
      stopping = true;
      clearInterval(pollTimer);
      unsubscribe();
      await claiming;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled(running.values()), grace]);
      clearTimeout(timer);
      if (running.size > 0) {
        log.warn({ workerId: id, unfinished: running.size }, 'grace period over: aborting unfinished attempts and releasing their leases');
        abort.abort();
        await Promise.allSettled(running.values());
      }
      const released = await store.releaseLeases(id).catch(() => 0);
      if (released > 0) log.info({ workerId: id, released }, 'released leases');
    },
  };
}
