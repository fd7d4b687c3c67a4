/**
 * Helpers for the metrics and dashboard tests, on top of test/helpers: signed Stripe requests to any source
 * path, a Prometheus text reader, and the YAML of a Stripe source delivering to local destinations.
 */
import { SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';

export { SECRET };

export interface StripeEventInput {
  id: string;
  type?: string;
  /** Seconds; defaults to now. */
  timestamp?: number;
  secret?: string;
  extra?: Record<string, unknown>;
}

/** A Stripe-signed request for one event: headers and the exact body bytes. */
export function signedEvent({
  id,
  type = 'payment_intent.succeeded',
  timestamp = Math.floor(Date.now() / 1000),
  secret = SECRET,
  extra = {},
}: StripeEventInput) {
  return signedStripe(
    stripeEvent({ id, type, created: timestamp, data: { object: { id: `pi_${id}`, amount: 2000, currency: 'usd' } }, ...extra }),
    secret,
    timestamp,
  );
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
