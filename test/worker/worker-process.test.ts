/**
 * Issue 17 cases 1 and 2 with the worker in its own process (`filab serve --no-worker` + `filab worker`):
 * a refused private destination and an event type no header may carry are recorded attempts, and the worker
 * process keeps running, its /metrics showing no escaped error.
 */
import { afterEach, expect, it } from 'vitest';
import {
  eventBody,
  eventsByKeyPrefix,
  postSigned,
  startDeliveryReceiver,
  startDeliveryServer,
  until,
  DELIVERY_ADMIN_TOKEN,
  type DeliveryReceiver,
  type DeliveryServer,
} from '../helpers/delivery-server.ts';
import { startFilab, type Child } from './process.ts';

let server: DeliveryServer | undefined;
let receiver: DeliveryReceiver | undefined;
let worker: Child | undefined;
afterEach(async () => {
  if (worker && worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGKILL');
  await worker?.exited;
  await server?.close();
  await receiver?.close();
  server = receiver = worker = undefined;
});

/** serve --no-worker plus a `filab worker --metrics-port 0` on the same config and database; the metrics URL. */
async function startSplit(yaml: string): Promise<string> {
  server = await startDeliveryServer(yaml, ['serve', '--no-worker']);
  worker = startFilab(['worker', '--metrics-port', '0'], { cwd: server.dir, env: server.env });
  await until(() => /"url":"(http:\/\/[^"]+)"/.test(worker!.output()), 'the worker to serve its metrics');
  return /"url":"(http:\/\/[^"]+)"/.exec(worker.output())![1]!;
}

/** The only delivery's first attempt of the event, once recorded. */
async function attemptOf(key: string) {
  let attempt: { status_code: number | null; error: string | null } | undefined;
  await until(async () => {
    const [event] = await eventsByKeyPrefix(server!.url, key);
    attempt = event?.deliveries[0]?.attempts[0];
    return attempt !== undefined;
  }, `the attempt of ${key}`);
  return attempt!;
}

async function expectWorkerRunning(metricsUrl: string, attempts: string): Promise<void> {
  expect(worker!.process.exitCode).toBeNull();
  const metrics = await fetch(`${metricsUrl}/metrics`, { headers: { authorization: `Bearer ${DELIVERY_ADMIN_TOKEN}` } });
  expect(metrics.status).toBe(200);
  const text = await metrics.text();
  expect(text).toContain(attempts);
  expect(text).not.toMatch(/filab_uncaught_errors_total\{[^}]*\} [1-9]/);
  expect(worker!.output()).not.toMatch(/ReferenceError|ERR_INVALID_CHAR|an error escaped every handler/);
}

it('case 1: filab worker records http://127.0.0.1:9/hook as refused and keeps running', async () => {
  const metricsUrl = await startSplit(`destinations:
  - { name: private, url: "http://127.0.0.1:9/hook", retry_schedule: [0] }
`);
  expect((await postSigned(server!.url, eventBody({ id: 'evt_wp_1' }))).status).toBe(200);
  expect(await attemptOf('evt_wp_1')).toMatchObject({
    status_code: null,
    error: 'refused: 127.0.0.1 is a loopback address (set worker.allow_private_destinations to allow)',
  });
  expect((await postSigned(server!.url, eventBody({ id: 'evt_wp_2' }))).status).toBe(200);
  await attemptOf('evt_wp_2');
  await expectWorkerRunning(metricsUrl, 'filab_delivery_attempts_total{destination="private",outcome="dead"} 2');
});

it('case 2: filab worker delivers an event type with a control and a non-Latin-1 character', async () => {
  receiver = await startDeliveryReceiver();
  const metricsUrl = await startSplit(`destinations:
  - { name: app, url: "${receiver.origin}/hook", retry_schedule: [0] }
worker: { allow_private_destinations: true }
`);
  expect((await postSigned(server!.url, eventBody({ id: 'evt_wp_bad', type: 'charge.\u0001x\u00e9' }))).status).toBe(200);
  expect(await attemptOf('evt_wp_bad')).toMatchObject({ status_code: 200, error: null });
  expect(receiver.requests.map((r) => r.headers['x-filab-event-type'])).toEqual(['charge.%01x%C3%A9']);
  await expectWorkerRunning(metricsUrl, 'filab_delivery_attempts_total{destination="app",outcome="delivered"} 1');
});
