/**
 * Optional per-client-IP token bucket for ingest routes (off by default: providers legitimately burst).
 * Memory is bounded: past maxClients the least recently seen client is forgotten.
 */
import type { Clock } from '../clock.ts';

export interface RateLimiter {
  /** 0 when the request may pass, else seconds until a token is available (for Retry-After). */
  take(client: string): number;
}

export function makeRateLimiter(perSecond: number, burst: number, clock: Clock, maxClients = 10_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; updated: number }>();
  return {
    take(client) {
      const now = clock.now();
      const bucket = buckets.get(client) ?? { tokens: burst, updated: now };
      buckets.delete(client); // re-insert below: Map order doubles as recency order
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
      bucket.updated = now;
      let wait = 0;
      if (bucket.tokens >= 1) bucket.tokens -= 1;
      else wait = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      buckets.set(client, bucket);
      if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
      return wait;
    },
  };
}
