/**
 * Property: correctly signed Stripe events whose type, id and object id are any Unicode (control characters,
 * lone surrogates, bidi marks, '%', strings of a few KB) go through ingest and delivery of a real `filab serve`
 * without crashing it. Each is stored (200) or refused with a 4xx; each stored event's delivery is recorded;
 * what a receiver gets decodes (decodeURIComponent) to the stored type and key.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventsByKeyPrefix,
  expectStillServing,
  postSigned,
  startDeliveryReceiver,
  startDeliveryServer,
  until,
  watchHealth,
  type DeliveryReceiver,
  type DeliveryServer,
} from '../helpers/delivery-server.ts';

const RUNS = 50;

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)); // lone surrogates too
const nasty = fc.constantFrom('\u0000', '\u0001', '\r', '\n', '\u007f', '\u00e9', '\u202e', '\u200f', '\u061c', '\ud83d\udcb3', '%', '%zz', ' ', '"', '\\');
const longUnit = fc.oneof(nasty, fc.constantFrom('a', 'b', '.'));
/** A string with a lone surrogate somewhere: ingest must refuse it with a 4xx (it cannot be stored as signed). */
const loneSurrogate = fc
  .tuple(fc.string({ unit: nasty, maxLength: 10 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ unit: nasty, maxLength: 10 }))
  .map((parts) => parts.join(''));
const hostile = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: anyUnit, minLength: 1, maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: nasty, minLength: 1, maxLength: 20 }), weight: 3 },
  { arbitrary: loneSurrogate, weight: 1 },
  { arbitrary: fc.constant(''), weight: 1 },
  // Around Stripe's 255-character limit on id and type, and far past it (the object id has no limit).
  { arbitrary: fc.string({ unit: longUnit, minLength: 230, maxLength: 280 }), weight: 1 },
  { arbitrary: fc.string({ unit: longUnit, minLength: 1000, maxLength: 4000 }), weight: 1 },
);

/** No lone surrogates: the string survives UTF-8 unchanged. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

/**
 * Stripe's format (src/providers/stripe.ts): id and type are strings of 1 to 255 UTF-16 units; and ingest refuses
 * an id or type with a lone surrogate, which no store could keep as signed.
 */
const storable = (key: string, type: string) => type.length >= 1 && type.length <= 255 && key.length <= 255 && wellFormed(key) && wellFormed(type);

let receiver: DeliveryReceiver;
let server: DeliveryServer;
beforeAll(async () => {
  receiver = await startDeliveryReceiver();
  server = await startDeliveryServer(`destinations:
  - { name: app, url: "${receiver.origin}/hook", retry_schedule: [0] }
worker: { allow_private_destinations: true, poll_interval_ms: 100 }
`);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

it('any Unicode type, key and id: stored or a 4xx, every delivery recorded, the process up', { timeout: 120_000 }, async () => {
  const health = watchHealth(server.url);
  const stored: Array<{ prefix: string; key: string; type: string }> = [];
  const bodies = new Map<string, string>();
  const storedTypes = new Map<string, string>();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(hostile, hostile, hostile, async (type, keyTail, objectId) => {
      const prefix = `evt_p${run++}_`;
      const key = prefix + keyTail;
      const body = JSON.stringify({ id: key, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: objectId } } });
      bodies.set(key, body);
      const res = await postSigned(server.url, body);
      expect(res.status === 200, `${res.status} ${res.text}`).toBe(storable(key, type));
      if (res.status === 200) {
        expect(res.text).toBe('{"status":"received"}');
        stored.push({ prefix, key, type });
      } else {
        expect(res.status, res.text).toBeGreaterThanOrEqual(400);
        expect(res.status, res.text).toBeLessThan(500);
        expect(Object.keys(JSON.parse(res.text) as object).sort()).toEqual(['code', 'detail']);
      }
    }),
    { numRuns: RUNS },
  );
  expect(run).toBe(RUNS);
  // About half the cases are storable (both strings well-formed and within Stripe's limits); a quarter leaves room.
  expect(stored.length).toBeGreaterThan(RUNS / 4);

  for (const { prefix, key, type } of stored) {
    let events: Awaited<ReturnType<typeof eventsByKeyPrefix>> = [];
    await until(async () => {
      events = await eventsByKeyPrefix(server.url, prefix);
      return events.length === 1 && events[0]!.deliveries.length === 1 && events[0]!.deliveries[0]!.attempts.length === 1;
    }, `the delivery of ${prefix} recorded`);
    const [event] = events;
    expect(event!.event_key).toBe(key);
    expect(event!.type).toBe(type);
    storedTypes.set(event!.event_key, event!.type);
    const delivery = event!.deliveries[0]!;
    expect(['delivered', 'dead'], JSON.stringify(delivery)).toContain(delivery.status);
    if (delivery.status === 'dead') expect(delivery.attempts[0]!.error).toEqual(expect.any(String));
  }

  // What reached the receiver decodes to the stored values, and its body is the signed one, byte for byte.
  expect(receiver.requests.length).toBeGreaterThan(0);
  for (const request of receiver.requests) {
    const key = decodeURIComponent(String(request.headers['x-filab-event-key']));
    expect(storedTypes.has(key), key.slice(0, 80)).toBe(true);
    expect(decodeURIComponent(String(request.headers['x-filab-event-type']))).toBe(storedTypes.get(key));
    expect(bodies.get((JSON.parse(request.body) as { id: string }).id)).toBe(request.body);
  }

  await expectStillServing(server, health);
});
