/** The CLI as a new user runs it: `filab send` prints the seed's lines; a bad config stops `filab serve`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/child.ts';
import { makeTempDir, startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { SECRET } from '../helpers/stripe.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
});
afterAll(() => t.close());

describe('filab send', () => {
  it('prints the seed demo output for --repeat 2', async () => {
    const { code, stdout } = await runCli(['send', '--repeat', '2', '--url', `${t.url}/webhooks/provider`], { STRIPE_WEBHOOK_SECRET: SECRET }, makeTempDir());
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[\*\] Generated Event ID: evt_[0-9a-f]{32} \(Will reuse for all 2 attempts\)$/);
    expect(lines[1]).toMatch(/^\[\*\] Signature Header: t=\d+,v1=[0-9a-f]{64}$/);
    expect(lines[2]).toBe(`[*] Sending POST to ${t.url}/webhooks/provider (Repeat: 2)...`);
    expect(lines[3]).toBe('[ATTEMPT] 1/2 -> Status: 200, Body: {"status":"received"}');
    expect(lines[4]).toBe('[ATTEMPT] 2/2 -> Status: 200, Body: {"status":"received","idempotent_replay":true}');
    expect(lines[5]).toBe('[SUCCESS] First webhook accepted.');
  });

  it('reads the secret from .env in the working directory', async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, '.env'), `STRIPE_WEBHOOK_SECRET=${SECRET}\n`);
    const { code, stdout } = await runCli(['send', '--url', `${t.url}/webhooks/provider`], {}, dir);
    expect(code).toBe(0);
    expect(stdout).toContain('[ATTEMPT] 1/1 -> Status: 200');
  });

  it('reports a rejected first webhook with exit 1', async () => {
    const { code, stdout } = await runCli(['send', '--url', `${t.url}/webhooks/provider`], { STRIPE_WEBHOOK_SECRET: 'whsec_wrong' }, makeTempDir());
    expect(code).toBe(1);
    expect(stdout).toContain('Status: 400, Body: {"detail":"Invalid signature","code":"invalid_signature"}');
    expect(stdout).toContain('[FAILURE] First webhook rejected.');
  });

  it('prints the seed messages for a missing secret and a connection failure', async () => {
    const missing = await runCli(['send'], {}, makeTempDir());
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(
      "[ERROR] Environment variable STRIPE_WEBHOOK_SECRET is missing.\nPlease set it in your terminal or .env file before running this script.\nExample: $env:STRIPE_WEBHOOK_SECRET='whsec_...'\n",
    );
    const refused = await runCli(['send', '--url', 'http://127.0.0.1:9/webhooks/provider'], { STRIPE_WEBHOOK_SECRET: SECRET }, makeTempDir());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('[ERROR] Could not connect to http://127.0.0.1:9/webhooks/provider. Is the server running?');
  });
});

describe('filab serve', () => {
  it('refuses to start with invalid settings, naming each one', async () => {
    const { code, stderr } = await runCli(['serve'], { STRIPE_TOLERANCE_SECONDS: 'abc', PORT: 'x' }, makeTempDir());
    expect(code).toBe(1);
    expect(stderr).toContain('STRIPE_TOLERANCE_SECONDS');
    expect(stderr).toContain('PORT');
  });
});
