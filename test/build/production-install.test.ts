/**
 * `filab` runs from dist/ with no dev dependencies installed: a copy of the project (the files git tracks plus
 * the dist/ the global setup built) gets `npm ci --omit=dev`, and its `filab serve` stores a signed event on
 * SQLite through the writer thread. Neither tsx nor esbuild (nor TypeScript) is there to help it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { stripe } from '../../src/providers/stripe.ts';
import { makeTempDir } from '../helpers/inbox.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const copy = makeTempDir('filab-prod-');
afterAll(() => rmSync(copy, { recursive: true, force: true }));

it('installs without dev dependencies and serves from dist/', { timeout: 240_000 }, async () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  // --ignore-scripts: the native SQLite addon is copied from this checkout instead of compiled again (a minute);
  // `prepare` would only find dist/ already there.
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: copy, stdio: 'pipe' });
  cpSync(join(ROOT, 'node_modules/better-sqlite3/build'), join(copy, 'node_modules/better-sqlite3/build'), { recursive: true });
  for (const devOnly of ['tsx', 'esbuild', 'typescript', 'vitest']) expect(existsSync(join(copy, 'node_modules', devOnly)), devOnly).toBe(false);

  const secret = 'whsec_production_install_test';
  const child = spawn(process.execPath, ['bin/filab.js', 'serve'], {
    cwd: copy,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', STRIPE_WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/[^"\s]+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`filab serve exited (${code}):\n${output}`)));
    });
    const now = Math.floor(Date.now() / 1000);
    const signed = stripe.sign({ body: JSON.stringify({ id: 'evt_prod_1', type: 'charge.succeeded', created: now, data: {} }), secret, timestamp: now });
    const first = await fetch(`${url}/webhooks/provider`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    expect(await first.json()).toEqual({ status: 'received' });
    const again = await fetch(`${url}/webhooks/provider`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    expect(await again.json()).toEqual({ status: 'received', idempotent_replay: true });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
  } finally {
    child.kill('SIGTERM');
  }
});
