/**
 * Issue 17, cases 1 and 2, against a real `filab serve` process: a refused private destination and an event
 * type that no HTTP header may carry used to kill the process (a ReferenceError thrown before the timeout
 * existed; ERR_INVALID_CHAR thrown synchronously by http.request). Now each is an attempt like any other,
 * /health stays 200 throughout and ingest keeps answering.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventBody,
  eventsByKeyPrefix,
  expectStillServing,
  firstAttempt,
  postSigned,
  startDeliveryReceiver,
  startDeliveryServer,
  until,
  watchHealth,
  type DeliveryReceiver,
  type DeliveryServer,
} from '../helpers/delivery-server.ts';

let server: DeliveryServer | undefined;
let receiver: DeliveryReceiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
  server = receiver = undefined;
});

/** Fresh signed events, each answered 200 while the bad deliveries run; returns their keys. */
async function ingestKeepsAnswering(url: string, prefix: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i}`;
    const res = await postSigned(url, eventBody({ id: key, type: 'charge.succeeded' }));
    expect(res, key).toEqual({ status: 200, text: '{"status":"received"}' });
    keys.push(key);
  }
  return keys;
}

describe('a delivery attempt cannot take the process down', () => {
  it('case 1: http://127.0.0.1:9/hook with allow_private_destinations unset is a refused, recorded attempt', async () => {
    server = await startDeliveryServer(`destinations:
  - { name: private, url: "http://127.0.0.1:9/hook", retry_schedule: [0, 1, 1, 1] }
worker: { poll_interval_ms: 100 }
`);
    const health = watchHealth(server.url);
    const first = await postSigned(server.url, eventBody({ id: 'evt_case1_first' }));
    expect(first.status).toBe(200);
    const keys = await ingestKeepsAnswering(server.url, 'evt_case1_', 8);
    const reason = 'refused: 127.0.0.1 is a loopback address (set worker.allow_private_destinations to allow)';
    for (const key of ['evt_case1_first', ...keys]) {
      await until(async () => (await firstAttempt(server!.url, key)) !== null, `the attempt of ${key}`);
      expect(await firstAttempt(server.url, key)).toMatchObject({ attempt_number: 1, status_code: null, error: reason });
    }
    // Retries are scheduled like any failure: the first event's second attempt is refused the same way.
    await until(async () => (await eventsByKeyPrefix(server!.url, 'evt_case1_first'))[0]!.deliveries[0]!.attempts.length >= 2, 'a retry');
    const [event] = await eventsByKeyPrefix(server.url, 'evt_case1_first');
    expect(event!.deliveries[0]).toMatchObject({ destination: 'private', last_error: reason });
    await expectStillServing(server, health);
    expect(server.process.output()).not.toMatch(/ReferenceError|ERR_INVALID_CHAR/);
  });

  it('case 2: an event type with a control and a non-Latin-1 character is delivered, its header percent-encoded', async () => {
    receiver = await startDeliveryReceiver();
    server = await startDeliveryServer(`destinations:
  - { name: app, url: "${receiver.origin}/hook", retry_schedule: [0, 1, 1] }
worker: { allow_private_destinations: true, poll_interval_ms: 100 }
`);
    const health = watchHealth(server.url);
    const type = 'charge.\u0001x\u00e9';
    expect((await postSigned(server.url, eventBody({ id: 'evt_case2_bad', type }))).status).toBe(200);
    const keys = await ingestKeepsAnswering(server.url, 'evt_case2_', 8);
    await until(() => receiver!.requests.length >= keys.length + 1, 'every delivery');
    const bad = receiver.requests.find((r) => r.headers['x-filab-event-key'] === 'evt_case2_bad')!;
    expect(bad.headers['x-filab-event-type']).toBe('charge.%01x%C3%A9');
    expect(decodeURIComponent(String(bad.headers['x-filab-event-type']))).toBe(type);
    expect(JSON.parse(bad.body)).toMatchObject({ id: 'evt_case2_bad', type });
    // Plain ASCII values go unchanged.
    expect(receiver.requests.filter((r) => r.headers['x-filab-event-type'] === 'charge.succeeded')).toHaveLength(keys.length);
    await until(async () => (await eventsByKeyPrefix(server!.url, 'evt_case2_bad'))[0]?.status === 'delivered', 'recorded as delivered');
    const [event] = await eventsByKeyPrefix(server.url, 'evt_case2_bad');
    expect(event).toMatchObject({ type, status: 'delivered' });
    expect(event!.deliveries[0]!.attempts).toMatchObject([{ attempt_number: 1, status_code: 200, error: null }]);
    await expectStillServing(server, health);
    expect(server.process.output()).not.toMatch(/ReferenceError|ERR_INVALID_CHAR/);
  });
});
