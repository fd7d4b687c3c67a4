/**
 * Destinations that misbehave, against a real `filab serve` (allow_private_destinations: true, loopback
 * only): one that never answers, one whose port is closed, one that redirects, and two whose answers never
 * end. Each is an attempt recorded with its reason (a redirect is not followed, an answer is read only up to
 * its cap), and the process stays healthy.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventBody,
  eventsByKeyPrefix,
  expectStillServing,
  postSigned,
  startDeliveryReceiver,
  startDeliveryServer,
  until,
  watchHealth,
  type AdminEvent,
  type DeliveryReceiver,
  type DeliveryServer,
} from '../helpers/delivery-server.ts';
import type { ServerResponse } from 'node:http';

const SNIPPET_CAP = 2048;

/** Write 16 KB chunks until the client goes away: an answer that never ends. */
function endless(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  const chunk = Buffer.alloc(16 * 1024, 'x');
  const timer = setInterval(() => res.write(chunk), 5);
  res.on('close', () => clearInterval(timer));
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let receiver: DeliveryReceiver;
let server: DeliveryServer;
let refusedPort: number;
beforeAll(async () => {
  receiver = await startDeliveryReceiver((req, res) => {
    if (req.path === '/hang') return; // never answers
    if (req.path === '/redirect') return void res.writeHead(302, { location: `${receiver.origin}/elsewhere` }).end();
    if (req.path === '/endless-500') return endless(res, 500);
    if (req.path === '/endless-200') return endless(res, 200);
    res.end('ok');
  });
  refusedPort = await closedPort();
  server = await startDeliveryServer(`destinations:
  - { name: hangs, url: "${receiver.origin}/hang", timeout_ms: 400, retry_schedule: [0] }
  - { name: refuses, url: "http://127.0.0.1:${refusedPort}/hook", retry_schedule: [0] }
  - { name: redirects, url: "${receiver.origin}/redirect", retry_schedule: [0] }
  - { name: endless-error, url: "${receiver.origin}/endless-500", timeout_ms: 5000, retry_schedule: [0] }
  - { name: endless-ok, url: "${receiver.origin}/endless-200", timeout_ms: 5000, retry_schedule: [0] }
worker: { allow_private_destinations: true, poll_interval_ms: 100 }
`);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

it('hanging, refusing, redirecting and endless destinations are recorded attempts; the process stays healthy', async () => {
  const health = watchHealth(server.url);
  expect((await postSigned(server.url, eventBody({ id: 'evt_destinations' }))).status).toBe(200);
  let event: AdminEvent | undefined;
  await until(async () => {
    [event] = await eventsByKeyPrefix(server.url, 'evt_destinations');
    return event !== undefined && event.deliveries.length === 5 && event.deliveries.every((d) => d.attempts.length === 1);
  }, 'an attempt per destination');
  const attempt = (name: string) => {
    const delivery = event!.deliveries.find((d) => d.destination === name)!;
    return { status: delivery.status, ...delivery.attempts[0]! };
  };

  expect(attempt('hangs')).toMatchObject({ status: 'dead', status_code: null, error: 'timeout after 400 ms' });
  expect(attempt('refuses')).toMatchObject({ status: 'dead', status_code: null, error: `connect ECONNREFUSED 127.0.0.1:${refusedPort}` });
  expect(attempt('redirects')).toMatchObject({ status: 'dead', status_code: 302, error: 'HTTP 302' });
  // An endless answer is read up to the cap and no further: no timeout, the status decides.
  const endlessError = attempt('endless-error');
  expect(endlessError).toMatchObject({ status: 'dead', status_code: 500, error: 'HTTP 500' });
  expect(endlessError.response_snippet).toBe('x'.repeat(SNIPPET_CAP));
  const endlessOk = attempt('endless-ok');
  expect(endlessOk).toMatchObject({ status: 'delivered', status_code: 200, error: null });
  expect(endlessOk.response_snippet).toBe('x'.repeat(SNIPPET_CAP));
  // Every attempt is recorded (the positive signal): the redirect's target was never requested.
  expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/endless-200', '/endless-500', '/hang', '/redirect']);

  await expectStillServing(server, health);
});
