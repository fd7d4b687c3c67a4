/**
 * Per-source ingest numbers for the health view, read from the in-memory prom-client counters (so they
 * cover this process since it started) plus the last stored event. Secrets appear by label only.
 */
import type { SourceConfig } from '../config/types.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';

export interface SourceIngestStats {
  name: string;
  provider: string;
  path: string;
  accepted: number;
  replays: number;
  handshakes: number;
  rejected: Record<string, number>;
  rejected_total: number;
  conflicts: number;
  secrets: { label: string; verifications: number; expires_at: string | null }[];
  last_event_at: string | null;
}

type Sample = { labels: Record<string, string | number>; value: number };

function sum(values: Sample[], match: Record<string, string>): number {
  return values.filter((v) => Object.entries(match).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

export async function ingestStats(sources: readonly SourceConfig[], metrics: Metrics, store: Pick<Store, 'listEvents'>): Promise<SourceIngestStats[]> {
  const requests = (await metrics.ingestRequests.get()).values as Sample[];
  const secrets = (await metrics.secretMatches.get()).values as Sample[];
  const conflicts = (await metrics.ingestConflicts.get()).values as Sample[];
  return Promise.all(
    sources.map(async (source) => {
      const rejected: Record<string, number> = {};
      for (const v of requests) {
        const outcome = String(v.labels.outcome);
        if (v.labels.source !== source.name || ['accepted', 'replay', 'handshake'].includes(outcome)) continue;
        rejected[outcome] = (rejected[outcome] ?? 0) + v.value;
      }
      const last = await store.listEvents({ limit: 1, source: source.name });
      return {
        name: source.name,
        provider: source.provider,
        path: source.path,
        accepted: sum(requests, { source: source.name, outcome: 'accepted' }),
        replays: sum(requests, { source: source.name, outcome: 'replay' }),
        handshakes: sum(requests, { source: source.name, outcome: 'handshake' }),
        rejected,
        rejected_total: Object.values(rejected).reduce((a, b) => a + b, 0),
        conflicts: sum(conflicts, { source: source.name }),
        secrets: source.secrets.map((s) => ({
          label: s.label,
          verifications: sum(secrets, { source: source.name, secret: s.label }),
          expires_at: s.expiresAt === undefined ? null : new Date(s.expiresAt).toISOString(),
        })),
        last_event_at: last.items[0] ? new Date(last.items[0].receivedAt).toISOString() : null,
      };
    }),
  );
}
