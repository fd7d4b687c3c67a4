/** The YAML config file's shape (snake_case, as users write it). Semantic checks live in load.ts. */
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (max 63)');

const secretEntry = z.union([
  z.string(),
  z
    .object({
      value: z.string(),
      label: z.string().min(1).max(64).optional(),
      expires_at: z.iso.datetime({ offset: true }).optional(),
    })
    .strict(),
]);

export const sourceSchema = z
  .object({
    name,
    provider: z.string(),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/, 'an absolute URL path')
      .optional(),
    secrets: z.array(secretEntry).min(1),
    tolerance_seconds: z.number().int().min(1).max(86_400).optional(),
    max_body_bytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024)
      .optional(),
    retention_delivered_days: z.number().positive().optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const destinationSchema = z
  .object({
    name,
    url: z.url({ protocol: /^https?$/ }).optional(),
    handler: z.string().min(1).optional(),
    sources: z.array(z.string().min(1)).optional(),
    event_types: z.array(z.string().min(1)).optional(),
    signing_secret: z.string().optional(),
    timeout_ms: z.number().int().min(100).max(300_000).optional(),
    max_in_flight: z.number().int().min(1).max(1000).optional(),
    retry_schedule: z
      .array(
        z
          .number()
          .min(0)
          .max(7 * 86_400),
      )
      .min(1)
      .max(50)
      .optional(),
    /** Checked in load.ts (outbound-headers rules): a name or value that cannot go on the wire stops startup. */
    headers: z.record(z.string(), z.string()).optional(),
    ordering_key: z.string().startsWith('/').optional(),
  })
  .strict()
  .refine((d) => (d.url === undefined) !== (d.handler === undefined), { message: 'give exactly one of url or handler' });

export const fileSchema = z
  .object({
    server: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        /**
         * The reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed. `true` is accepted by the
         * schema only so load.ts can refuse it with a message naming the alternatives.
         */
        trust_proxy: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
        headers_timeout_ms: z.number().int().min(100).max(120_000).optional(),
        request_timeout_ms: z.number().int().min(100).max(600_000).optional(),
        max_header_count: z.number().int().min(8).max(1000).optional(),
      })
      .strict()
      .optional(),
    database: z
      .object({
        path: z.string().optional(),
        url: z.string().optional(),
        pool_size: z.number().int().min(1).max(1000).optional(),
        /** Start even when the database does not commit durably (PostgreSQL synchronous_commit off, fsync off). */
        allow_unsafe_commit: z.boolean().optional(),
      })
      .strict()
      .optional(),
    sources: z.array(sourceSchema).optional(),
    destinations: z.array(destinationSchema).optional(),
    retention: z
      .object({
        delivered_days: z.number().positive().optional(),
        interval_minutes: z.number().positive().optional(),
        /** How long a pruned event's dedupe tombstone (source, event key, content digest) is kept. */
        dedupe_days: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    ingest: z
      .object({
        batch_max: z.number().int().min(1).max(4096).optional(),
        batch_wait_ms: z.number().min(0).max(100).optional(),
        max_pending: z.number().int().min(1).optional(),
        sqlite_writer_thread: z.boolean().optional(),
        max_commits_in_flight: z.number().int().min(1).max(16).optional(),
        /** Per-client-IP token bucket on ingest routes; off unless set (providers send bursts). */
        rate_limit: z
          .object({ per_second: z.number().positive(), burst: z.number().int().min(1) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    worker: z
      .object({
        poll_interval_ms: z.number().int().min(10).optional(),
        lease_ms: z.number().int().min(1000).optional(),
        concurrency: z.number().int().min(1).max(1000).optional(),
        shutdown_grace_ms: z.number().int().min(0).optional(),
        allow_private_destinations: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;
export type FileSource = z.infer<typeof sourceSchema>;
export type FileDestination = z.infer<typeof destinationSchema>;
