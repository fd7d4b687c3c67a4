/**
 * For delivery tests against a real `filab serve` child process: start it with destinations, send it signed
 * Stripe events of any type and id, read an event's deliveries and attempts back through the admin API, watch
 * /health the whole time, and a loopback receiver that records (and decodes) what reaches it.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from './child.ts';
import { expect } from 'vitest';
import { makeTempDir } from './inbox.ts';
import { signedStripe } from './stripe.ts';

export const DELIVERY_SECRET = 'whsec_delivery_tests_51c0';
export const DELIVERY_ADMIN_TOKEN = 'delivery-tests-admin-token-7f3e9a';

export interface DeliveryServer {
  process: ServerProcess;
  url: string;
  /** Holds filab.yaml and app.db: a `filab worker` started here shares both. */
  dir: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** `filab serve` with one Stripe source at /webhooks/stripe and the given YAML (destinations, worker). */
export async function startDeliveryServer(yaml: string, args: string[] = ['serve']): Promise<DeliveryServer> {
  const dir = makeTempDir('filab-delivery-');
  writeFileSync(join(dir, 'filab.yaml'), `sources:\n  - name: stripe\n    provider: stripe\n    secrets: ["${DELIVERY_SECRET}"]\n${yaml}`);
  const env = { DATABASE_PATH: join(dir, 'app.db'), ADMIN_TOKEN: DELIVERY_ADMIN_TOKEN };
  const process = await startServerProcess(env, args, dir);
  return {
    process,
    url: process.url,
    dir,
    env,
    async close() {
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
      await process.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Stripe event body; `id` and `type` may be any string (the body is JSON, so any string can be sent). */
export function eventBody(fields: { id?: string; type?: string } = {}): string {
  return JSON.stringify({
    id: fields.id ?? `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type: fields.type ?? 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'pi_1' } },
  });
}

/** POST a correctly signed event; returns the status and the answer's text. */
export async function postSigned(url: string, body: string): Promise<{ status: number; text: string }> {
  const signed = signedStripe(body, DELIVERY_SECRET);
  const res = await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
  return { status: res.status, text: await res.text() };
}

export interface AdminAttempt {
  attempt_number: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
}
export interface AdminEvent {
  id: string;
  event_key: string;
  type: string;
  status: string;
  deliveries: Array<{ destination: string; status: string; last_error: string | null; attempts: AdminAttempt[] }>;
}

async function admin<T>(url: string, path: string): Promise<T> {
  const res = await fetch(`${url}/admin/api${path}`, { headers: { authorization: `Bearer ${DELIVERY_ADMIN_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** The stored events whose key starts with `keyPrefix`, each with its deliveries and attempts. */
export async function eventsByKeyPrefix(url: string, keyPrefix: string): Promise<AdminEvent[]> {
  const list = await admin<{ events: Array<{ id: string }> }>(url, `/events?limit=500&key_prefix=${encodeURIComponent(keyPrefix)}`);
  return Promise.all(list.events.map((e) => admin<AdminEvent>(url, `/events/${e.id}`)));
}

/** The first attempt of the event's only delivery, once one is recorded (else null). */
export async function firstAttempt(url: string, key: string): Promise<AdminAttempt | null> {
  const [event] = await eventsByKeyPrefix(url, key);
  return event?.deliveries[0]?.attempts[0] ?? null;
}

/** Poll `check` until it holds (a real worker delivers in the background). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** GET /health every 20 ms until stopped; stop() tells how many answered 200 and what else happened. */
export function watchHealth(url: string): { stop(): Promise<{ ok: number; problems: string[] }> } {
  let running = true;
  let ok = 0;
  const problems: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/health`);
        await res.arrayBuffer();
        if (res.status === 200) ok++;
        else problems.push(`status ${res.status}`);
      } catch (err) {
        problems.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, problems };
    },
  };
}

export interface DeliveryReceived {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface DeliveryReceiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  requests: DeliveryReceived[];
  /** TCP connections accepted, whether or not a request followed. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A loopback receiver: records every request and answers via `respond` (default 200 "ok"). Its header limit
 * is raised so the few-KB event keys of the property test reach it whole.
 */
export async function startDeliveryReceiver(
  respond: (req: DeliveryReceived, res: import('node:http').ServerResponse) => void = (_req, res) => void res.end('ok'),
): Promise<DeliveryReceiver> {
  const requests: DeliveryReceived[] = [];
  const server: Server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(received);
      respond(received, res);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * After the bad deliveries: /health answered 200 every time it was asked, the process is still running, it
 * still stores a fresh signed event, and no error escaped to the process guard.
 */
export async function expectStillServing(server: DeliveryServer, health: ReturnType<typeof watchHealth>): Promise<void> {
  const watched = await health.stop();
  expect(watched.problems).toEqual([]);
  expect(watched.ok).toBeGreaterThan(0);
  expect(server.process.child.exitCode).toBeNull();
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  expect(await postSigned(server.url, eventBody())).toEqual({ status: 200, text: '{"status":"received"}' });
  expect(server.process.output()).not.toMatch(/an error escaped every handler/);
}
