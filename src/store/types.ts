/**
 * Terminology
 * - event: one verified inbound message, stored with its raw payload and the headers that matter.
 *   Unique per (source, event key) and per (source, content digest): the database enforces both in the insert
 *   itself, never check-then-write.
 * - tombstone: what retention leaves of a pruned event (its row without payload, headers or deliveries, marked
 *   pruned) for retention.dedupe_days, so a replay of it is still refused by the same unique constraints. No read
 *   of the store (listing, detail, stats, activity) shows a tombstone as an event.
 * - delivery: one event x one destination, created in the same transaction as its event (transactional outbox).
 *   Status: pending (waiting for its first attempt), failed (last attempt failed, a retry is scheduled),
 *   delivered, dead (schedule exhausted, or a manual replay failed).
 * - attempt: one try of a delivery: time, status code, latency, error, first bytes of the response.
 * - lease: a worker that claims a delivery owns it until lease_expires_at; a crashed worker's lease expires
 *   and another worker claims the delivery again (at-least-once).
 *
 * One interface, two backends (src/store/sqlite, src/store/postgres); SQL never leaves its backend, and
 * test/store-conformance runs the same contract tests against both.
 */

export type EventStatus = 'received' | 'delivered' | 'failed' | 'dead';
export type DeliveryStatus = 'pending' | 'failed' | 'delivered' | 'dead';

export interface NewDelivery {
  id: string;
  destination: string;
  /** Value read from the payload by the destination's ordering_key pointer, or null. */
  orderingKey: string | null;
}

export interface NewEvent {
  /** Internal id (`msg_...`). */
  id: string;
  source: string;
  eventKey: string;
  eventType: string;
  /** Provider's creation time in seconds, when it sends one. */
  providerCreatedAt: number | null;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  payload: Buffer;
  /** The headers that matter (signature, ids, topic, content-type), lower-case names. */
  headers: Record<string, string>;
  /** SHA-256 hex of payload, to tell a true replay from a conflicting one. */
  payloadSha256: string;
  /** Label of the secret that verified it (never the secret). */
  secretLabel: string | null;
  /**
   * SHA-256 hex of what the signature covers plus the event type (see VerifiedEvent.contentDigest): a second copy
   * of the same signed content is a replay whatever its unsigned id header says. Null/absent: no digest dedupe.
   */
  contentDigest?: string | null;
  /** Deliveries to create with the event, due at receivedAt. */
  deliveries: NewDelivery[];
}

export type InsertOutcome =
  | { inserted: true; id: string }
  /**
   * Not stored: a stored event (or tombstone) `id` has the same content digest (a replay: conflict false) or the same
   * key (`conflict`: with a different payload hash).
   */
  | { inserted: false; id: string; conflict: boolean };

export interface EventSummary {
  id: string;
  source: string;
  eventKey: string;
  eventType: string;
  providerCreatedAt: number | null;
  receivedAt: number;
  status: EventStatus;
}

export interface AttemptRecord {
  id: string;
  deliveryId: string;
  attemptNumber: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
  manual: boolean;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  destination: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: number | null;
  orderingKey: string | null;
  lastError: string | null;
  updatedAt: number;
}

export interface EventDetail extends EventSummary {
  payload: Buffer;
  headers: Record<string, string>;
  payloadSha256: string;
  secretLabel: string | null;
  deliveries: (DeliveryRecord & { attempts: AttemptRecord[] })[];
}

export interface EventQuery {
  /** 1..500 */
  limit: number;
  /** Opaque cursor from a previous page's nextCursor. */
  cursor?: string | null;
  source?: string;
  type?: string;
  status?: EventStatus;
  /** receivedAt bounds, ms, inclusive. */
  since?: number;
  until?: number;
  /** Event key starts with this. */
  keyPrefix?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A delivery handed to a worker, with what it needs to deliver without another query. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  destination: string;
  /** 1 for the first attempt. */
  attemptNumber: number;
  /** A manual replay: one extra attempt that never reschedules itself. */
  manual: boolean;
  /**
   * Scheduled (non-manual) attempts made since the retry schedule last (re)started: this attempt is step
   * `scheduleStep` of the schedule (0 = the first). A bulk retry (requeue with manual: false) restarts it at 0;
   * manual replays do not move it. Absent: taken as attemptNumber - 1.
   */
  scheduleStep?: number;
  orderingKey: string | null;
  source: string;
  eventKey: string;
  eventType: string;
  receivedAt: number;
  payload: Buffer;
}

export interface ClaimOptions {
  now: number;
  workerId: string;
  leaseMs: number;
  limit: number;
  /**
   * Destinations this worker delivers to, each with its max_in_flight: the count of unexpired leases
   * for a destination (across all workers) never exceeds it. Disabled destinations are never claimed. Filled in
   * this order: the caller rotates it between claims (delivery-rules.ts rotated) so no destination takes every slot.
   */
  destinations: { name: string; maxInFlight: number }[];
}

export type AttemptOutcome =
  | { kind: 'delivered' }
  /** Schedule the next attempt at nextAttemptAt (status failed). */
  | { kind: 'retry'; nextAttemptAt: number }
  /** Schedule exhausted, or a failed manual replay of a dead delivery. */
  | { kind: 'dead' }
  /**
   * Manual replay failed: the delivery goes back to the status and schedule it had when the replay was requested
   * (a dead delivery stays dead, a failed one keeps its next retry, a delivered one stays delivered).
   */
  | { kind: 'restore' };

export interface AttemptResult {
  deliveryId: string;
  workerId: string;
  attemptId: string;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
  outcome: AttemptOutcome;
}

export interface RequeueFilter {
  now: number;
  /** Which delivery statuses to requeue (e.g. ['dead'] or ['dead','failed']). */
  statuses: DeliveryStatus[];
  eventId?: string;
  destination?: string;
  source?: string;
  /** Event receivedAt bounds. */
  since?: number;
  until?: number;
  /** Mark as a manual replay (one extra attempt) instead of restarting the schedule. */
  manual: boolean;
  /** At most this many (oldest first), so callers can requeue in batches and show progress. Absent: all. */
  limit?: number;
}

export interface DestinationState {
  name: string;
  disabled: boolean;
  disabledReason: string | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  failureStreak: number;
}

export interface Stats {
  events: Record<EventStatus, number>;
  deliveries: Record<DeliveryStatus, number>;
  /** receivedAt of the oldest pending/failed delivery's event, or null. */
  oldestPendingAt: number | null;
}

export interface DeliveryQuery {
  limit: number;
  cursor?: string | null;
  status?: DeliveryStatus;
  destination?: string;
  source?: string;
}

export interface DeliveryListItem extends DeliveryRecord {
  source: string;
  eventKey: string;
  eventType: string;
  receivedAt: number;
}

/** One time bucket of activity, for the dashboard's chart. */
export interface ActivityBucket {
  /** Bucket start, ms. */
  start: number;
  eventsReceived: number;
  attemptsFailed: number;
}

export interface DestinationCounts {
  destination: string;
  pending: number;
  failed: number;
  delivered: number;
  dead: number;
  /** receivedAt of the oldest event whose delivery here is pending/failed. */
  oldestPendingAt: number | null;
}

/** One audit chain entry with the event as stored now (null once retention pruned it). */
export type { AuditEntry } from '../audit/chain.ts';

export interface Store {
  /** 'sqlite' or 'postgres', for display; never branch on it outside src/store. */
  readonly kind: string;
  migrate(): Promise<void>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Names of the migrations this code ships that the database has not applied (empty when up to date),
   * for /ready. Optional so a backend can land before it; /ready then checks the connection only.
   */
  pendingMigrations?(): Promise<string[]>;
  close(): Promise<void>;
  /**
   * Why commits on this connection are not durable (e.g. PostgreSQL synchronous_commit=off, fsync off, a dead
   * SQLite writer thread), or null when they are. Checked at startup (refuse unless allow_unsafe_commit) and by /ready.
   */
  durabilityProblem?(): Promise<string | null>;

  /**
   * Insert events with their deliveries in ONE transaction (group commit). Outcomes in input order.
   * Duplicates (same source + event key, stored before or earlier in the same batch) insert nothing.
   * Rejects with StorageUnavailableError when the database cannot commit; then nothing was stored.
   */
  insertEvents(events: NewEvent[]): Promise<InsertOutcome[]>;
  /**
   * Tell `listener` about every committed transaction that held event inserts, as the database ran it (a SQLite
   * writer merges concurrent insertEvents calls into one): its events and how long it took (seconds); and about every
   * insertEvents call that failed (committed false). The commit metrics (filab_commit_batch_size,
   * filab_commit_duration_seconds) come from here. One listener.
   */
  observeCommits?(listener: (events: number, seconds: number, committed: boolean) => void): void;
  listEvents(query: EventQuery): Promise<Page<EventSummary>>;
  getEvent(id: string): Promise<EventDetail | null>;

  /**
   * Call `listener` when deliveries may have become due (new events, requeues, released leases), so workers
   * wake at once instead of polling fast. SQLite: in-process. PostgreSQL: LISTEN/NOTIFY, across processes.
   * Workers still poll slowly as a fallback. Returns an unsubscribe function.
   */
  subscribeDue(listener: () => void): () => void;
  /**
   * Claim due deliveries (pending/failed with nextAttemptAt <= now and no live lease), leasing them. A claim sees
   * every attempt whose completeAttempt was called before it (and recorded): its lease given back is room for this
   * claim, so a worker claims as it hands over a finished attempt, without waiting for the record.
   */
  claimDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Record an attempt and apply its outcome atomically, only if workerId still holds the lease
   * (returns false when the lease was lost, and then records nothing). Updates the event's status.
   */
  completeAttempt(result: AttemptResult): Promise<boolean>;
  /** Give back every lease a worker holds (graceful shutdown); returns how many. */
  releaseLeases(workerId: string): Promise<number>;
  /**
   * Make matching deliveries due now; returns how many. Replay = manual: true; bulk retry = manual: false
   * (status pending, schedule restarted). Deliveries with a live lease (an attempt in flight) are skipped.
   */
  requeueDeliveries(filter: RequeueFilter): Promise<number>;

  /** Deliveries newest first (dead-letter view); cursor pagination like listEvents. */
  listDeliveries(query: DeliveryQuery): Promise<Page<DeliveryListItem>>;
  /** Per-destination counts by status and oldest pending, for health views and metrics. */
  destinationCounts(): Promise<DestinationCounts[]>;
  /** Events received and attempts failed per bucket from `since` (ms), in time order; empty buckets are left out. */
  activity(since: number, bucketMs: number): Promise<ActivityBucket[]>;

  listDestinationStates(): Promise<DestinationState[]>;
  setDestinationDisabled(name: string, disabled: boolean, reason: string | null, now: number): Promise<void>;
  stats(): Promise<Stats>;

  /**
   * Append up to `limit` events that have no audit entry yet to their source's chain, oldest first, in one
   * transaction serialised against other sealers. Returns how many were sealed.
   */
  sealAudit(limit: number, now: number): Promise<number>;
  /** Sources that have audit entries. */
  auditSources(): Promise<string[]>;
  /** A source's entries in chain order with position > afterPosition (seq in AuditEntry = position). */
  listAuditEntries(source: string, afterPosition: number, limit: number): Promise<import('../audit/chain.ts').AuditEntry[]>;
  /**
   * Retention: prune up to `limit` events whose status is `delivered` and that were received before `before`,
   * optionally for one source; never dead, failed, pending or received ones, and only events already sealed into
   * the audit chain (whose entries stay). A pruned event loses its payload, headers, deliveries and attempts and
   * stays as a tombstone (pruned at `now`); the same transaction appends retention checkpoints naming the pruned
   * events to their sources' chains. Returns how many events were pruned (call again while it returns `limit`).
   */
  pruneDelivered(options: PruneOptions): Promise<number>;
  /** Delete up to `limit` tombstones pruned before `before` (their dedupe keys then stop counting). Returns how many. */
  expireTombstones(before: number, limit: number): Promise<number>;
}

export interface PruneOptions {
  before: number;
  source?: string;
  now: number;
  limit: number;
}
