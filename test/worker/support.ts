/** Shared pieces for worker/admin integration tests: a real inbox on a real socket, a real receiver, signed events. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../src/clock.ts';
import type { Handlers } from '../../src/inbox.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { stripe } from '../../src/providers/stripe.ts';

export const STRIPE_SECRET = 'whsec_worker_tests_9d2c';
export const OUTBOUND_SECRET = `whsec_${Buffer.from('outbound-key-for-worker-tests-32').toString('base64')}`;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'filab-worker-'));
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answer each request; the default answers 200. May wait (to hold a request open). */
  respond: (request: ReceivedRequest) => Reply | Promise<Reply>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Receiver['respond'] = () => ({ status: 200 })): Promise<Receiver> {
  const receiver: Receiver = { url: '', requests: [], respond, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        /* not JSON */
      }
      const request = { path: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
      receiver.requests.push(request);
      const reply = await receiver.respond(request);
      if (res.destroyed) return;
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  receiver.url = `http://127.0.0.1:${address.port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

export type { TestInbox } from '../helpers/inbox.ts';

export interface TestInboxOptions {
  /** YAML for destinations and worker tuning; sources default to one Stripe source `stripe` at /webhooks/stripe. */
  yaml: string;
  clock?: Clock;
  handlers?: Handlers;
  startWorker?: boolean;
  worker?: boolean;
  env?: Record<string, string>;
}

export const STRIPE_SOURCE_YAML = `sources:
  - name: stripe
    provider: stripe
    secrets: ["${STRIPE_SECRET}"]
`;

/** The shared test inbox with one Stripe source, silent logs and a fixed jitter (exact retry times). */
export function startInbox(options: TestInboxOptions): Promise<TestInbox> {
  return startTestInbox({ ...options, yaml: STRIPE_SOURCE_YAML + options.yaml, logger: pino({ level: 'silent' }), random: () => 0.5 });
}

export function stripeEvent(type: string, extra: Record<string, unknown> = {}): { id: string; body: string } {
  const id = `evt_${randomUUID().replace(/-/g, '')}`;
  return { id, body: JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: 'pi_1' } }, ...extra }) };
}

/** POST a signed Stripe event to the inbox; returns the provider event id. Signed with the real clock. */
export async function sendEvent(baseUrl: string, type: string, extra: Record<string, unknown> = {}, clock?: Clock): Promise<string> {
  const { id, body } = stripeEvent(type, extra);
  const signed = stripe.sign({ body, secret: STRIPE_SECRET, timestamp: Math.floor((clock ?? Date).now() / 1000) });
  const path = '/webhooks/stripe';
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  return id;
}

/** Wait (polling briefly) until `check` holds; for tests with a real clock and a background worker. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
