/**
 * "Delivery keeps up without slowing ingest", per backend, in one run:
 *   1. peak: `filab serve` with no destination takes N signed events at full speed (64 connections);
 *   2. with a fresh database, `filab serve` with one destination on a local receiver (its own process) takes N more.
 * Ingest in 2 as a share of the peak (target >= 80%), and the delivery drain rate, counted from the first ingest
 * request of 2 to the last delivery received, as a share of the peak (target >= 50%).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTurnsInChild, SECRET, type LoadResult } from './load.ts';
import { FILAB, startChild } from './processes.ts';

const RECEIVER = ['--import', 'tsx', 'bench/receiver-server.ts'];
const DRAIN_LIMIT_MS = 180_000;

export interface KeepUpRow {
  backend: string;
  events: number;
  peakRps: number;
  /** Ingest req/s with the destination, and as a share of the peak. */
  ingestRps: number;
  ingestRatio: number;
  /** Distinct events delivered (by webhook-id), and every delivery request including repeats. */
  delivered: number;
  deliveryRequests: number;
  /** From the first ingest request to the last delivery received. */
  drainSeconds: number;
  drainRps: number;
  drainRatio: number;
  /** Whether every accepted event was delivered within the limit (about 3 minutes). */
  finished: boolean;
  /** Errors and non-2xx answers to ingest, both steps. */
  failedRequests: number;
}

/** Runs `fn` with the environment naming a fresh, empty database; a string when the backend is not there. */
export type FreshDatabase = <T>(fn: (env: Record<string, string>) => Promise<T>) => Promise<T | string>;

interface Counts {
  received: number;
  distinct: number;
  lastMs: number;
}

function configFile(dir: string, name: string, destinationUrl: string | null): string {
  const file = join(dir, `${name}.yaml`);
  const destination = destinationUrl ? `destinations:\n  - { name: receiver, url: "${destinationUrl}" }\n` : '';
  writeFileSync(
    file,
    `sources:\n  - { name: stripe, provider: stripe, secrets: ["${SECRET}"], path: /webhooks/provider }\n${destination}worker:\n  allow_private_destinations: true\n`,
  );
  return file;
}

/** `filab serve` on a fresh database with `config`, sent `events` signed events at full speed. */
async function ingest(
  config: string,
  db: Record<string, string>,
  events: number,
  whileUp: (result: LoadResult) => Promise<void> = async () => {},
): Promise<LoadResult> {
  const server = await startChild([...FILAB, 'serve'], { ...db, FILAB_CONFIG: config });
  try {
    const [result] = await runTurnsInChild({ urls: [server.url], warmupSeconds: 0, windows: 1, windowSeconds: 0, amount: events, connections: 64 });
    await whileUp(result!);
    return result!;
  } finally {
    await server.stop();
  }
}

async function waitForDeliveries(receiverUrl: string, expected: number, label: string): Promise<Counts> {
  const read = async () => (await (await fetch(`${receiverUrl}/count`)).json()) as Counts;
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  let counts = await read();
  for (let shown = Date.now(); counts.distinct < expected && Date.now() < deadline; counts = await read()) {
    await new Promise((r) => setTimeout(r, 200));
    if (Date.now() - shown >= 5000) {
      process.stderr.write(`bench: ${label}: ${counts.distinct}/${expected} delivered\n`);
      shown = Date.now();
    }
  }
  return counts;
}

export async function benchKeepUp(backend: string, dir: string, events: number, freshDatabase: FreshDatabase): Promise<KeepUpRow | string> {
  const label = `keep-up ${backend}`;
  process.stderr.write(`bench: ${label}: peak ingest, ${events} events, no destination\n`);
  const peak = await freshDatabase((db) => ingest(configFile(dir, 'keep-up-peak', null), db, events));
  if (typeof peak === 'string') return peak;
  const receiver = await startChild(RECEIVER, {}, '/count');
  try {
    process.stderr.write(`bench: ${label}: ${events} events with one destination\n`);
    let counts: Counts = { received: 0, distinct: 0, lastMs: 0 };
    const loaded = await freshDatabase((db) =>
      ingest(configFile(dir, 'keep-up-deliver', `${receiver.url}/hook`), db, events, async (result) => {
        counts = await waitForDeliveries(receiver.url, result.requests - result.non2xx, label);
      }),
    );
    if (typeof loaded === 'string') return loaded;
    const drainSeconds = (counts.lastMs - loaded.startedAtMs!) / 1000;
    const drainRps = counts.distinct / Math.max(drainSeconds, 0.001);
    return {
      backend,
      events,
      peakRps: peak.rps,
      ingestRps: loaded.rps,
      ingestRatio: loaded.rps / peak.rps,
      delivered: counts.distinct,
      deliveryRequests: counts.received,
      drainSeconds,
      drainRps,
      drainRatio: drainRps / peak.rps,
      finished: counts.distinct >= loaded.requests - loaded.non2xx,
      failedRequests: peak.errors + peak.non2xx + loaded.errors + loaded.non2xx,
    };
  } finally {
    await receiver.stop();
  }
}
