/**
 * Case 5 of issue 17, end to end with a real `filab serve`: a GitHub, Shopify or Slack source that receives a
 * request without its signature header names its own header (it used to answer with the seed's Stripe text),
 * stores nothing, and the process keeps serving. A key that cannot verify anything stops startup instead.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProvider } from '../../src/providers/index.ts';
import { startServerProcess, type ServerProcess } from '../helpers/child.ts';
import { makeTempDir } from '../helpers/inbox.ts';

const ADMIN = 'admin-token-signature-errors';
const SECRETS = { gh: 'gh-e2e-secret', shop: 'shop-e2e-secret', slack: 'slack-e2e-secret', payments: 'whsec_e2e_payments' };
const dir = makeTempDir();
let server: ServerProcess;

beforeAll(async () => {
  const config = join(dir, 'filab.yaml');
  writeFileSync(
    config,
    `sources:
  - { name: gh, provider: github, secrets: ["${SECRETS.gh}"] }
  - { name: shop, provider: shopify, secrets: ["${SECRETS.shop}"] }
  - { name: slack, provider: slack, secrets: ["${SECRETS.slack}"] }
  - { name: payments, provider: stripe, secrets: ["${SECRETS.payments}"] }
`,
  );
  server = await startServerProcess({ FILAB_CONFIG: config, DATABASE_PATH: join(dir, 'app.db'), ADMIN_TOKEN: ADMIN });
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

async function post(source: string, headers: Record<string, string>, body: string | Buffer = '{"action":"opened"}') {
  const res = await fetch(`${server.url}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: new Uint8Array(Buffer.from(body)),
  });
  return { status: res.status, text: await res.text() };
}

async function storedEvents(): Promise<{ id: string; source: string }[]> {
  const res = await fetch(`${server.url}/events?limit=100`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: { id: string; source: string }[] }).events;
}

describe("filab serve: signature errors name the source's own header", () => {
  it('answers a GitHub request without X-Hub-Signature-256 with its own text, stores nothing, stays healthy', async () => {
    const unsigned = { 'x-github-event': 'push', 'x-github-delivery': 'd-unsigned-1' };
    expect(await post('gh', unsigned)).toEqual({ status: 400, text: '{"detail":"Missing X-Hub-Signature-256 header","code":"missing_signature"}' });
    expect(await post('gh', { ...unsigned, 'x-hub-signature-256': 'sha256=zz' })).toEqual({
      status: 400,
      text: '{"detail":"Malformed X-Hub-Signature-256 header","code":"malformed_signature"}',
    });
    expect(await post('shop', { 'x-shopify-topic': 'orders/create' })).toEqual({
      status: 400,
      text: '{"detail":"Missing X-Shopify-Hmac-Sha256 header","code":"missing_signature"}',
    });
    expect(await post('slack', { 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)) })).toEqual({
      status: 400,
      text: '{"detail":"Missing X-Slack-Signature header","code":"missing_signature"}',
    });
    // A Stripe source keeps the seed's exact text, on any route.
    expect(await post('payments', {})).toEqual({ status: 400, text: '{"detail":"Missing encoded Stripe-Signature header","code":"missing_signature"}' });

    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // Ingest still stores a correctly signed event; then it is the only one stored.
    const signed = getProvider('github')!.sign({
      body: '{"action":"opened","n":1}',
      secret: SECRETS.gh,
      timestamp: 0,
      event: 'issues',
      delivery: 'd-signed-1',
    });
    expect(await post('gh', signed.headers, signed.body)).toEqual({ status: 200, text: '{"status":"received"}' });
    expect(await storedEvents()).toEqual([expect.objectContaining({ id: 'd-signed-1', source: 'gh' })]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('refuses to start with a key the scheme cannot use, naming the source and the index, not the key', async () => {
    const config = join(dir, 'bad-key.yaml');
    writeFileSync(config, 'sources:\n  - { name: adyen-in, provider: adyen, secrets: ["44782DEF", "not-a-hex-key-7f3e"] }\n');
    // A server that starts anyway is stopped at once, so a regression fails here instead of hanging.
    const output = await startServerProcess({ FILAB_CONFIG: config, DATABASE_PATH: join(dir, 'never.db') }).then(
      async (started) => {
        started.child.kill('SIGKILL');
        await started.exited;
        return `started: ${started.output()}`;
      },
      (err: Error) => err.message,
    );
    expect(output).toMatch(/^server exited \(1\) before listening/);
    expect(output).toContain('sources[0].secrets[1]: is not an Adyen HMAC key');
    expect(output).toContain('(source "adyen-in")');
    expect(output).not.toContain('not-a-hex-key-7f3e');
  });
});
