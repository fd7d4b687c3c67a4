/**
 * Secrets never leak: a whole scenario (good, forged, stale and replayed webhooks on several providers, deliveries
 * that succeed and die, replays, bulk retry, every admin/ops/dashboard route, CLI-visible listings) runs with known
 * secrets and admin token; every log line, response body and header, metric and delivered request is scanned.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getProvider } from '../../src/providers/index.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

const ADMIN = 'admin-token-3b9f0e2c7a14d6e8';
const SECRETS = {
  stripe: 'whsec_stripe_live_c0ffee1234',
  stripeOld: 'whsec_stripe_old_deadbeef99',
  github: 'github-hook-secret-77aa',
  svix: 'whsec_c3ZpeC1zaWduaW5nLWtleS1mb3ItdGVzdHM=',
  outbound: 'whsec_b3V0Ym91bmQtc2lnbmluZy1rZXktZm9yLXRlc3Q=',
};
const FORBIDDEN = [...Object.values(SECRETS), ADMIN, 'c3ZpeC1zaWduaW5nLWtleS1mb3ItdGVzdHM=', 'b3V0Ym91bmQtc2lnbmluZy1rZXktZm9yLXRlc3Q='];

let t: TestInbox;
const seen: string[] = [];
const delivered: string[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    delivered.push(JSON.stringify(req.headers) + body);
    res.writeHead(req.url === '/fail' ? 500 : 200).end('ok');
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  t = await startTestInbox({
    env: { ADMIN_TOKEN: ADMIN, STRIPE_SECRET: SECRETS.stripe },
    yaml: `
sources:
  - name: stripe
    provider: stripe
    secrets: ["\${STRIPE_SECRET}", { value: "${SECRETS.stripeOld}", label: old }]
  - name: github
    provider: github
    secrets: ["${SECRETS.github}"]
  - name: svix
    provider: standard-webhooks
    secrets: ["${SECRETS.svix}"]
destinations:
  - { name: good, url: "http://127.0.0.1:${port}/ok", signing_secret: "${SECRETS.outbound}", event_types: ["ok.*", "push"] }
  - { name: bad, url: "http://127.0.0.1:${port}/fail", signing_secret: "${SECRETS.outbound}", event_types: ["fail.*"], retry_schedule: [0] }
worker:
  allow_private_destinations: true
  poll_interval_ms: 50
`,
  });
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => receiver.close(r));
});

async function call(path: string, init: RequestInit & { auth?: boolean } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set('authorization', `Bearer ${ADMIN}`);
  const res = await fetch(`${t.url}${path}`, { ...init, headers });
  const text = await res.text();
  seen.push(`${path} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, text };
}

async function webhook(source: string, secret: string, body: string, extra: Record<string, unknown> = {}, timestamp = Math.floor(Date.now() / 1000)) {
  const src = t.inbox.config.sources.find((s) => s.name === source)!;
  const signed = getProvider(src.provider)!.sign({ body, secret, timestamp, ...extra });
  return call(src.path, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body), auth: false });
}

it('no secret or token appears in any log line, response, metric or delivery', async () => {
  const now = Math.floor(Date.now() / 1000);
  const ev = (id: string, type: string) => JSON.stringify({ id, object: 'event', type, created: now, data: { object: {} } });
  expect((await webhook('stripe', SECRETS.stripe, ev('evt_ok_1', 'ok.paid'))).status).toBe(200);
  expect((await webhook('stripe', SECRETS.stripeOld, ev('evt_ok_2', 'ok.paid'))).status).toBe(200);
  expect((await webhook('stripe', SECRETS.stripe, ev('evt_ok_1', 'ok.paid'))).status).toBe(200);
  expect((await webhook('stripe', SECRETS.stripe, ev('evt_fail_1', 'fail.now'))).status).toBe(200);
  expect((await webhook('stripe', 'whsec_forged', ev('evt_forged', 'ok.paid'))).status).toBe(400);
  expect((await webhook('stripe', SECRETS.stripe, ev('evt_stale', 'ok.paid'), {}, now - 3600)).status).toBe(400);
  expect((await webhook('github', SECRETS.github, '{"ref":"main"}', { event: 'push', delivery: 'd-1' })).status).toBe(200);
  expect((await webhook('github', SECRETS.github, '{}', { event: 'ping' })).status).toBe(200);
  expect((await webhook('svix', SECRETS.svix, '{"type":"ok.svix"}', { msgId: 'msg_scan_1' })).status).toBe(200);
  expect((await webhook('svix', 'whsec_d3Jvbmc=', '{"type":"ok.svix"}', { msgId: 'msg_scan_2' })).status).toBe(400);

  const deadline = Date.now() + 10_000;
  while ((await t.inbox.store.stats()).deliveries.dead < 1 || (await t.inbox.store.stats()).deliveries.delivered < 4) {
    if (Date.now() > deadline) throw new Error('deliveries did not settle');
    await new Promise((r) => setTimeout(r, 50));
  }

  const events = JSON.parse((await call('/admin/api/events')).text) as { events: { id: string }[] };
  for (const e of events.events) {
    await call(`/admin/api/events/${e.id}`);
    await call(`/admin/api/events/${e.id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  }
  await call('/admin/api/deliveries/retry', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"dead"}' });
  for (const path of [
    '/events',
    '/admin/api/sources',
    '/admin/api/destinations',
    '/admin/api/stats',
    '/admin/api/deliveries?status=dead',
    '/admin/api/ingest-stats',
    '/admin/api/activity',
    '/metrics',
    '/health',
    '/ready',
    '/dashboard',
    '/nope',
  ]) {
    await call(path);
  }
  await call('/admin/api/events', { auth: false });
  await call('/events', { headers: { authorization: 'Bearer wrong-token' }, auth: false });

  const metrics = await t.inbox.metrics.registry.metrics();
  const haystacks = { logs: t.logs.join('\n'), responses: seen.join('\n'), metrics, deliveries: delivered.join('\n') };
  expect(haystacks.logs.length).toBeGreaterThan(1000);
  expect(delivered.length).toBeGreaterThan(3);
  const hits = Object.entries(haystacks).flatMap(([where, text]) => FORBIDDEN.filter((s) => text.includes(s)).map((s) => `${where}: ${s.slice(0, 6)}...`));
  console.log(
    `secret scan: ${t.logs.length} log lines, ${seen.length} responses, ${metrics.split('\n').length} metric lines, ${delivered.length} deliveries scanned; hits: ${hits.length}`,
  );
  expect(hits).toEqual([]);
});
