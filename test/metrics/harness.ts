/**
 * Test harness shared by the metrics and dashboard tests: a real inbox on a real socket (127.0.0.1, port 0)
 * over a real SQLite file in a fresh temp dir, signed Stripe requests, and a Prometheus text reader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createInbox, type Inbox } from '../../src/inbox.ts';
import { makeLogger } from '../../src/log.ts';
import { stripe } from '../../src/providers/stripe.ts';
import type { pino } from 'pino';

export const SECRET = 'whsec_test_metrics_secret_0123456789';

export interface Started {
  inbox: Inbox;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** filab.yaml contents; without it the seed's single Stripe source at /webhooks/provider. */
  yaml?: string;
  clock?: Clock;
  logger?: pino.Logger;
}

export async function startInbox({ env = {}, yaml, clock, logger }: StartOptions = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'filab-ops-'));
  if (yaml !== undefined) writeFileSync(join(dir, 'filab.yaml'), yaml);
  const config = loadConfig({
    env: { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db'), LOG_LEVEL: 'silent', ...env },
    cwd: dir,
    ...(yaml !== undefined ? { configPath: 'filab.yaml' } : {}),
  });
  const inbox = await createInbox({ config, logger: logger ?? makeLogger('silent', { pretty: false }), ...(clock ? { clock } : {}) });
  const url = await inbox.listen(0);
  return {
    inbox,
    url,
    dir,
    async stop() {
      await inbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StripeEventInput {
  id: string;
  type?: string;
  /** Seconds; defaults to now. */
  timestamp?: number;
  secret?: string;
  extra?: Record<string, unknown>;
}

/** A Stripe-signed request: headers and the exact body bytes. */
export function signedStripe({ id, type = 'payment_intent.succeeded', timestamp = Math.floor(Date.now() / 1000), secret = SECRET, extra = {} }: StripeEventInput) {
  const body = JSON.stringify({ id, object: 'event', type, created: timestamp, data: { object: { id: `pi_${id}`, amount: 2000, currency: 'usd' } }, ...extra });
  return stripe.sign({ body, secret, timestamp });
}

export async function postSigned(url: string, signed: { headers: Record<string, string>; body: Buffer }): Promise<Response> {
  return fetch(url, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
}

/** The value of one sample in Prometheus text, matching every given label; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** filab.yaml with one Stripe source `stripe` (secret from $STRIPE_SECRET, label `current`), the given destinations and a quick worker. */
export function stripeToDestinationsYaml(destinations: { name: string; url: string; retrySchedule: number[]; eventTypes?: string[] }[]): string {
  return [
    'sources:',
    '  - name: stripe',
    '    provider: stripe',
    '    secrets: [{ value: "${STRIPE_SECRET}", label: current }]',
    'destinations:',
    ...destinations.flatMap((d) => [
      `  - name: ${d.name}`,
      `    url: ${d.url}`,
      `    retry_schedule: ${JSON.stringify(d.retrySchedule)}`,
      '    timeout_ms: 2000',
      ...(d.eventTypes ? [`    event_types: ${JSON.stringify(d.eventTypes)}`] : []),
    ]),
    'worker:',
    '  poll_interval_ms: 100',
    '  allow_private_destinations: true',
  ].join('\n');
}
