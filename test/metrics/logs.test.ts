/** Ingest log lines: JSON, one per request, with the request id the client saw, and nothing secret. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLogger } from '../../src/log.ts';
import { postSigned, SECRET, signedEvent } from './harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = makeLogger(level, {
    pretty: false,
    destination: {
      write(chunk: string) {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw };
}

describe('ingest logs at info', () => {
  const log = capture('info');
  let s: TestInbox;
  const ids: Record<string, string> = {};
  let signatureHeader = '';
  beforeAll(async () => {
    s = await startTestInbox({ logger: log.logger, env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    const hook = `${s.url}/webhooks/provider`;
    const signed = signedEvent({ id: 'evt_log1', extra: { customer_note: 'PAYLOAD-MARKER' } });
    signatureHeader = signed.headers['stripe-signature']!;
    ids.accepted = (await postSigned(hook, signed)).headers.get('x-request-id')!;
    ids.replay = (await postSigned(hook, signed)).headers.get('x-request-id')!;
    ids.rejected = (await postSigned(hook, signedEvent({ id: 'evt_log2', secret: 'whsec_wrong_secret_value' }))).headers.get('x-request-id')!;
  });
  afterAll(() => s.close());

  const lineFor = (reqId: string) => log.lines.filter((l) => l.reqId === reqId);

  it('returns a request id and logs it with source, event key and outcome', () => {
    expect(ids.accepted).toMatch(/^req_[0-9a-f]{8}[0-9a-z]+$/);
    expect(new Set(Object.values(ids)).size).toBe(3);
    const [accepted] = lineFor(ids.accepted!);
    expect(accepted).toMatchObject({ level: 30, source: 'provider', eventKeys: ['evt_log1'], outcome: 'accepted', msg: 'ingest' });
    expect(typeof accepted!.time).toBe('string'); // ISO time, readable in any log viewer
    expect(lineFor(ids.replay!)).toEqual([expect.objectContaining({ source: 'provider', eventKeys: ['evt_log1'], outcome: 'replay' })]);
    expect(lineFor(ids.rejected!)).toEqual([expect.objectContaining({ source: 'provider', outcome: 'invalid_signature' })]);
  });

  it('never writes payloads, signatures or secrets', () => {
    const all = log.raw.join('');
    expect(all).not.toContain('PAYLOAD-MARKER');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(signatureHeader.split('v1=')[1]!);
  });
});

describe('logger settings', () => {
  it('LOG_LEVEL=warn drops the per-request info lines', async () => {
    const log = capture('warn');
    const s = await startTestInbox({ logger: log.logger, env: { STRIPE_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'warn' } });
    try {
      expect((await postSigned(`${s.url}/webhooks/provider`, signedEvent({ id: 'evt_quiet' }))).status).toBe(200);
      expect(log.lines.filter((l) => (l.level as number) < 40)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('redacts secrets and bodies passed by mistake', () => {
    const log = capture('debug');
    log.logger.info({ payload: 'body-bytes', rawBody: 'raw', source: { secrets: ['whsec_x'] }, authorization: 'Bearer t' }, 'oops');
    expect(log.lines[0]).toMatchObject({ payload: '[redacted]', rawBody: '[redacted]', source: { secrets: '[redacted]' }, authorization: '[redacted]' });
  });
});
