/**
 * Several sources from one filab.yaml over a real socket: each scheme verifies and stores with its own event
 * key, dedup is per source, a batch provider stores one event per item, handshakes store nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProvider } from '../../src/providers/index.ts';
import { sampleEvent } from '../../src/cli/sample-events.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { runCli } from '../helpers/child.ts';

const SECRETS = {
  payments: 'whsec_pay_8c1f2e',
  svix: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  gh: 'gh-secret-4d2a',
  slack: '8f742231b10e8888abcd99yyyzzz85a5',
  gocardless: 'gc-secret-19ab',
};
const YAML = `
sources:
  - name: payments
    provider: stripe
    secrets: ["\${PAY_SECRET}"]
  - name: svix
    provider: standard-webhooks
    path: /hooks/svix
    secrets: ["${SECRETS.svix}"]
  - name: gh
    provider: github
    secrets: ["${SECRETS.gh}"]
  - name: slack
    provider: slack
    secrets: ["${SECRETS.slack}"]
  - name: gocardless
    provider: gocardless
    secrets: [{ value: "${SECRETS.gocardless}", label: current }]
`;

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ yaml: YAML, env: { PAY_SECRET: SECRETS.payments } });
});
afterAll(() => t.close());

async function send(source: keyof typeof SECRETS, body: string, extra: Record<string, unknown> = {}) {
  const src = t.inbox.config.sources.find((s) => s.name === source)!;
  const signed = getProvider(src.provider)!.sign({
    body,
    secret: SECRETS[source],
    timestamp: Math.floor(Date.now() / 1000),
    url: `${t.url}${src.path}`,
    ...extra,
  });
  const res = await fetch(`${t.url}${src.path}`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

async function stored(source: string) {
  return (await t.inbox.store.listEvents({ limit: 100, source })).items;
}

describe('multi-source inbox', () => {
  it('verifies and stores one event per scheme with the scheme-specific key and type', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const source of ['payments', 'svix', 'gh', 'slack'] as const) {
      const provider = t.inbox.config.sources.find((s) => s.name === source)!.provider;
      const sample = sampleEvent(provider, now);
      const res = await send(source, sample.body, sample.signInput);
      expect(res, source).toMatchObject({ status: 200, text: '{"status":"received"}' });
      const events = await stored(source);
      expect(
        events.map((e) => e.eventKey),
        source,
      ).toContain(sample.id);
    }
    expect((await stored('gh'))[0]!.eventType).toBe('push');
    expect((await stored('svix'))[0]!.eventType).toBe('invoice.paid');
    expect((await stored('slack'))[0]!.eventType).toBe('message');
  });

  it('dedupes per source: the same key in another source is a different event', async () => {
    const body = JSON.stringify({ type: 'x.y', data: {} });
    expect((await send('svix', body, { msgId: 'msg_shared_1' })).text).toBe('{"status":"received"}');
    expect((await send('svix', body, { msgId: 'msg_shared_1' })).text).toBe('{"status":"received","idempotent_replay":true}');
    expect((await send('gh', body, { delivery: 'msg_shared_1', event: 'issues' })).text).toBe('{"status":"received"}');
  });

  it('stores one event per item of a GoCardless batch, in one request, and treats the resend as a replay', async () => {
    const items = [0, 1, 2].map((i) => ({
      id: `EVBATCH${i}`,
      created_at: new Date().toISOString(),
      resource_type: 'payments',
      action: i === 2 ? 'failed' : 'confirmed',
      links: {},
    }));
    const body = JSON.stringify({ events: items });
    expect((await send('gocardless', body)).text).toBe('{"status":"received"}');
    expect((await send('gocardless', body)).text).toBe('{"status":"received","idempotent_replay":true}');
    const events = await stored('gocardless');
    expect(events.map((e) => e.eventKey).sort()).toEqual(['EVBATCH0', 'EVBATCH1', 'EVBATCH2']);
    expect(events.map((e) => e.eventType).sort()).toEqual(['payments.confirmed', 'payments.confirmed', 'payments.failed']);
    const detail = (await t.inbox.store.getEvent(events.find((e) => e.eventKey === 'EVBATCH1')!.id))!;
    expect(JSON.parse(detail.payload.toString())).toMatchObject({ id: 'EVBATCH1', action: 'confirmed' });
    expect(detail.secretLabel).toBe('current');
  });

  it("answers Slack's url_verification with its challenge and a GitHub ping with pong, storing nothing", async () => {
    const before = (await stored('slack')).length;
    const challenge = await send('slack', JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' }));
    expect(challenge).toMatchObject({ status: 200, text: '{"challenge":"c-123"}' });
    expect((await stored('slack')).length).toBe(before);
    const ghBefore = (await stored('gh')).length;
    const ping = await send('gh', JSON.stringify({ zen: 'Keep it logically awesome.' }), { event: 'ping' });
    expect(ping).toMatchObject({ status: 200, text: '{"status":"pong"}' });
    expect((await stored('gh')).length).toBe(ghBefore);
  });

  it('rejects a request signed for another source', async () => {
    const src = t.inbox.config.sources.find((s) => s.name === 'gh')!;
    const signed = getProvider('github')!.sign({ body: '{}', secret: SECRETS.gocardless, timestamp: 0 });
    const res = await fetch(`${t.url}${src.path}`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_signature' });
  });

  it('filab sources lists sources and secret labels, never secrets; filab send --source signs per scheme', async () => {
    const env = { PAY_SECRET: SECRETS.payments, PORT: new URL(t.url).port };
    const list = await runCli(['sources'], env, t.dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/gocardless\s+gocardless\s+\/webhooks\/gocardless\s+current/);
    expect(list.stdout).toMatch(/svix\s+standard-webhooks\s+\/hooks\/svix/);
    for (const secret of Object.values(SECRETS)) expect(list.stdout).not.toContain(secret);
    for (const source of ['svix', 'gocardless']) {
      const sent = await runCli(['send', '--source', source, '--repeat', '2'], env, t.dir);
      expect(sent.stdout, source).toContain('[ATTEMPT] 1/2 -> Status: 200, Body: {"status":"received"}');
      expect(sent.stdout, source).toContain('[ATTEMPT] 2/2 -> Status: 200, Body: {"status":"received","idempotent_replay":true}');
      expect(sent.code).toBe(0);
    }
  });
});
