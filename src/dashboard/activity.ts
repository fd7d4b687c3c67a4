/**
 * The chart's series: events received and delivery attempts failed per bucket, every bucket present
 * (zeros where the store has no row) so the chart's x axis is continuous.
 */
import type { Store } from '../store/types.ts';

export interface ActivitySeries {
  bucket_seconds: number;
  buckets: { start: string; events_received: number; attempts_failed: number }[];
}

export async function activitySeries(store: Pick<Store, 'activity'>, now: number, minutes: number, bucketSeconds: number): Promise<ActivitySeries> {
  const bucketMs = bucketSeconds * 1000;
  const last = Math.floor(now / bucketMs) * bucketMs;
  const first = last - (Math.ceil((minutes * 60_000) / bucketMs) - 1) * bucketMs;
  const rows = await store.activity(first, bucketMs);
  const byStart = new Map<number, { eventsReceived: number; attemptsFailed: number }>();
  for (const row of rows) {
    const start = Math.floor(row.start / bucketMs) * bucketMs;
    const seen = byStart.get(start) ?? { eventsReceived: 0, attemptsFailed: 0 };
    byStart.set(start, { eventsReceived: seen.eventsReceived + row.eventsReceived, attemptsFailed: seen.attemptsFailed + row.attemptsFailed });
  }
  const buckets: ActivitySeries['buckets'] = [];
  for (let start = first; start <= last; start += bucketMs) {
    const row = byStart.get(start);
    buckets.push({ start: new Date(start).toISOString(), events_received: row?.eventsReceived ?? 0, attempts_failed: row?.attemptsFailed ?? 0 });
  }
  return { bucket_seconds: bucketSeconds, buckets };
}
