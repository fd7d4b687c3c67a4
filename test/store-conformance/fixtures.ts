/** Builders for the store conformance suite: events, claims and attempt results with readable defaults. */
import { createHash } from 'node:crypto';
import type { AttemptOutcome, AttemptResult, ClaimOptions, NewEvent, Store } from '../../src/store/types.ts';

let counter = 0;
export const nextId = (prefix: string) => `${prefix}_${process.pid}_${++counter}`;

export function newEvent(overrides: Partial<NewEvent> & { destinations?: (string | [string, string | null])[] } = {}): NewEvent {
  const id = overrides.id ?? nextId('msg');
  const payload = overrides.payload ?? Buffer.from(JSON.stringify({ id, amount: 10 }));
  const { destinations = [], ...rest } = overrides;
  return {
    id,
    source: 'stripe',
    eventKey: `evt_${id}`,
    eventType: 'payment_intent.succeeded',
    providerCreatedAt: 1_700_000_000,
    receivedAt: 1_000_000,
    headers: { 'stripe-signature': 't=1,v1=abc', 'content-type': 'application/json' },
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    secretLabel: 'primary',
    deliveries: destinations.map((d) => {
      const [destination, orderingKey] = Array.isArray(d) ? d : [d, null];
      return { id: nextId('dlv'), destination, orderingKey };
    }),
    ...rest,
    payload,
  };
}

export function claimOptions(overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return { now: 2_000_000, workerId: 'worker-a', leaseMs: 30_000, limit: 10, destinations: [{ name: 'dest', maxInFlight: 10 }], ...overrides };
}

export function attempt(deliveryId: string, outcome: AttemptOutcome, overrides: Partial<AttemptResult> = {}): AttemptResult {
  const delivered = outcome.kind === 'delivered';
  return {
    deliveryId,
    workerId: 'worker-a',
    attemptId: nextId('att'),
    startedAt: 2_000_000,
    durationMs: 12,
    statusCode: delivered ? 200 : 500,
    error: null,
    responseSnippet: delivered ? 'ok' : 'boom',
    outcome,
    ...overrides,
  };
}

/** The one delivery of an event (most tests give events one destination). */
export async function deliveryOf(store: Store, eventId: string) {
  const event = await store.getEvent(eventId);
  if (event?.deliveries.length !== 1) throw new Error(`expected one delivery for ${eventId}`);
  return { event, delivery: event.deliveries[0]! };
}
