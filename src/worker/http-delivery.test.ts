/** postWebhook always resolves: every way an attempt goes wrong is an error text, over a real loopback socket. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, type HttpAttempt } from './http-delivery.ts';

let server: Server;
let origin: string;
let received = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const attempt = (overrides: Partial<HttpAttempt>): HttpAttempt => ({
  url: `${origin}/hook`,
  headers: {},
  body: Buffer.from('{}'),
  timeoutMs: 2000,
  allowPrivate: true,
  ...overrides,
});

describe('postWebhook', () => {
  it('delivers to an allowed loopback receiver', async () => {
    expect(await postWebhook(attempt({}))).toEqual({ statusCode: 200, retryAfter: undefined, snippet: 'ok', error: null });
  });

  it('refuses a private literal before any timer or socket exists (issue 17 case 1)', async () => {
    const before = received;
    expect(await postWebhook(attempt({ url: `${origin}/hook`, allowPrivate: false }))).toEqual({
      statusCode: null,
      retryAfter: undefined,
      snippet: null,
      error: 'refused: 127.0.0.1 is a loopback address (set worker.allow_private_destinations to allow)',
    });
    // A later allowed request proves the server was reachable, and is the only one it got.
    await postWebhook(attempt({}));
    expect(received).toBe(before + 1);
  });

  it('turns a header http.request throws on into a failed attempt (issue 17 case 2)', async () => {
    const result = await postWebhook(attempt({ headers: { 'x-filab-event-type': 'charge.\u0001x\u00e9' } }));
    expect(result).toMatchObject({ statusCode: null, error: 'Invalid character in header content ["x-filab-event-type"]' });
  });

  it('fails an unparsable url or a scheme it does not speak', async () => {
    expect((await postWebhook(attempt({ url: 'not a url' }))).error).toBe('invalid destination url');
    expect((await postWebhook(attempt({ url: 'ftp://127.0.0.1/x' }))).error).toBe('unsupported destination url scheme ftp:');
  });
});
