/**
 * `filab send`: the seed's demo sender. Builds one event, signs it once with the source's scheme (the same
 * sign() the tests use) and POSTs the same bytes N times, printing the seed's exact lines.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getProvider } from '../providers/index.ts';
import { loadConfigOrExit } from './config-option.ts';
import { sampleEvent } from './sample-events.ts';

interface SendOptions {
  repeat: number;
  url?: string;
  source?: string;
  eventFile?: string;
  config?: string;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('send a signed demo webhook (the same bytes --repeat times, to show idempotency)')
    .option('-r, --repeat <n>', 'how many times to send the same signed request', (v) => Number.parseInt(v, 10), 1)
    .option('-u, --url <url>', 'where to POST (default: http://127.0.0.1:$PORT<source path>)')
    .option('-s, --source <name>', 'sign with this configured source (default: the Stripe source from STRIPE_WEBHOOK_SECRET)')
    .option('-e, --event-file <file>', 'send this file as the body instead of a generated event')
    .option('-c, --config <path>', 'config file')
    .action(async (opts: SendOptions) => process.exit(await send(opts)));
}

function fail(lines: string[]): number {
  for (const line of lines) process.stdout.write(`${line}\n`);
  return 1;
}

async function send(opts: SendOptions): Promise<number> {
  if (!Number.isInteger(opts.repeat) || opts.repeat < 1) return fail(['[ERROR] --repeat must be a positive integer.']);
  let secret: string | undefined;
  let providerName = 'stripe';
  let path = '/webhooks/provider';
  let port = process.env.PORT || '8000';
  let sourceOptions: Record<string, unknown> = {};
  if (opts.source) {
    const config = loadConfigOrExit(opts.config);
    const source = config.sources.find((s) => s.name === opts.source);
    if (!source) return fail([`[ERROR] No source named ${opts.source}. Configured: ${config.sources.map((s) => s.name).join(', ')}`]);
    secret = source.secrets[0]?.value;
    providerName = source.provider;
    path = source.path;
    port = String(config.port);
    sourceOptions = source.options;
  } else {
    secret = process.env.STRIPE_WEBHOOK_SECRET?.split(',')[0]?.trim();
    if (!secret) {
      return fail([
        '[ERROR] Environment variable STRIPE_WEBHOOK_SECRET is missing.',
        'Please set it in your terminal or .env file before running this script.',
        "Example: $env:STRIPE_WEBHOOK_SECRET='whsec_...'",
      ]);
    }
  }
  if (!secret) return fail([`[ERROR] Source ${opts.source} has no secret.`]);
  const provider = getProvider(providerName)!;
  const url = opts.url ?? `http://127.0.0.1:${port}${path}`;
  const now = Math.floor(Date.now() / 1000);

  const sample = sampleEvent(providerName, now);
  const body = opts.eventFile ? readFileSync(opts.eventFile) : sample.body;
  // Schemes that sign a public URL (Square, Twilio) sign the configured one, which may differ behind a proxy.
  const signedUrl = [sourceOptions.notification_url, sourceOptions.public_url].find((u): u is string => typeof u === 'string') ?? url;
  const signed = provider.sign({ ...sourceOptions, ...sample.signInput, body, secret, timestamp: now, url: signedUrl });
  const signatureHeader = Object.entries(signed.headers).find(([name]) => /signature|hmac/i.test(name))?.[1] ?? '';

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`[*] Generated Event ID: ${opts.eventFile ? `(from ${opts.eventFile})` : sample.id} (Will reuse for all ${opts.repeat} attempts)`);
  out(`[*] Signature Header: ${signatureHeader}`);
  out(`[*] Sending POST to ${url} (Repeat: ${opts.repeat})...`);
  let firstOk = false;
  for (let i = 1; i <= opts.repeat; i++) {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    } catch {
      return fail([`[ERROR] Could not connect to ${url}. Is the server running?`]);
    }
    out(`[ATTEMPT] ${i}/${opts.repeat} -> Status: ${response.status}, Body: ${await response.text()}`);
    if (i === 1) firstOk = response.status >= 200 && response.status < 300;
  }
  out(firstOk ? '[SUCCESS] First webhook accepted.' : '[FAILURE] First webhook rejected.');
  return firstOk ? 0 : 1;
}
