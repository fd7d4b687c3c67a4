/**
 * The validated, frozen configuration every layer reads. Built once at startup by loadConfig().
 * Vocabulary: a source is an inbound endpoint (path + provider scheme + secrets); a destination is where
 * stored events are delivered next.
 */
import type { SecretRef, Verifier } from '../providers/types.ts';

export interface SourceConfig {
  name: string;
  path: string;
  provider: string;
  secrets: SecretRef[];
  toleranceSeconds: number;
  maxBodyBytes: number;
  /** Provider-specific options as written (validated by the provider's configure); the CLI signs with them. */
  options: Record<string, unknown>;
  /** The provider configured once for this source (options, secrets, tolerance): ingest only calls verify. */
  verifier: Verifier;
  /** Delete delivered events older than this many days (null: keep). */
  retentionDeliveredDays: number | null;
  /** The seed's default source: its misconfiguration text names STRIPE_WEBHOOK_SECRET. */
  fromEnvironment: boolean;
}

export interface DestinationConfig {
  name: string;
  url: string | null;
  /** Name of an in-process handler registered with createInbox({ handlers }). */
  handler: string | null;
  /** Source names (globs); empty means every source. */
  sources: string[];
  /** Event type globs such as `charge.*`; empty means every type. */
  eventTypes: string[];
  signingSecret: string | null;
  timeoutMs: number;
  maxInFlight: number;
  /** Delay in seconds before each attempt: [0, 5, 300, ...]; its length is the number of attempts. */
  retrySchedule: number[];
  headers: Record<string, string>;
  /** JSON pointer into the payload; events with the same value are delivered one at a time, in order. */
  orderingKey: string | null;
}

export interface IngestTuning {
  /** Most events gathered into one commit. */
  batchMax: number;
  /** Longest a request waits for others to share its commit, in ms (0 = next tick). */
  batchWaitMs: number;
  /** Most events waiting for a commit before ingest answers 503. */
  maxPending: number;
  /** Group commits under way at once (2: the next batch is handed over while the previous one syncs). */
  maxCommitsInFlight: number;
  /** SQLite: run ingest commits (and their fsync) on a writer thread, off the event loop. */
  sqliteWriterThread: boolean;
  /** Per-client-IP token bucket for ingest routes, or null (off). */
  rateLimit: { perSecond: number; burst: number } | null;
}

export interface ServerTuning {
  /**
   * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed; empty: none, the TCP peer is the
   * client. With proxies listed, the client is the right-most X-Forwarded-For address that is not a proxy.
   */
  trustProxy: string[];
  /** A client must send all headers within this (slowloris). */
  headersTimeoutMs: number;
  /** A client must send the whole request within this. */
  requestTimeoutMs: number;
  /** More request headers than this is refused with 431. */
  maxHeaderCount: number;
}

export interface WorkerTuning {
  pollIntervalMs: number;
  leaseMs: number;
  concurrency: number;
  shutdownGraceMs: number;
  /** Allow destinations on loopback/private addresses (refused by default, SSRF). */
  allowPrivateDestinations: boolean;
}

export interface Config {
  host: string;
  port: number;
  databasePath: string;
  databaseUrl: string | null;
  /** PostgreSQL connections per process (each process opens up to this many, plus one for LISTEN). */
  databasePoolSize: number;
  /** Start (with a warning) even when the database does not commit durably. Default false: refuse to start. */
  allowUnsafeCommit: boolean;
  adminToken: string | null;
  logLevel: string;
  configFile: string | null;
  sources: SourceConfig[];
  destinations: DestinationConfig[];
  server: ServerTuning;
  /** dedupeDays: how long a pruned event still counts as a replay (its tombstone's lifetime). */
  retention: { intervalMs: number; dedupeDays: number };
  ingest: IngestTuning;
  worker: WorkerTuning;
}
