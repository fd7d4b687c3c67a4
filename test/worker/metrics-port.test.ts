/** `filab worker --metrics-port`: a standalone worker process exposes its own /metrics and /ready. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { listeningUrl, startFilab, type Child } from './process.ts';
import { STRIPE_SOURCE_YAML, sendEvent, startReceiver, tempDir, waitFor, type Receiver } from './support.ts';

const dir = tempDir();
const children: Child[] = [];
let receiver: Receiver | undefined;
afterAll(async () => {
  for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('counts its delivery attempts and the stored deliveries, behind the admin token', async () => {
  receiver = await startReceiver((request) => (request.json.type === 'charge.failed' ? { status: 500 } : { status: 200 }));
  writeFileSync(
    join(dir, 'filab.yaml'),
    `${STRIPE_SOURCE_YAML}destinations:
  - { name: app, url: "${receiver.url}/hook" }
worker: { allow_private_destinations: true, poll_interval_ms: 100 }
`,
  );
  const env = { DATABASE_PATH: join(dir, 'app.db'), ADMIN_TOKEN: 'admin-token-metrics-port-5b1d' };
  const ingest = startFilab(['serve', '--no-worker'], { cwd: dir, env: { ...env, PORT: '0' } });
  children.push(ingest);
  const ingestUrl = await listeningUrl(ingest);
  const worker = startFilab(['worker', '--metrics-port', '0'], { cwd: dir, env });
  children.push(worker);
  const metricsBase = await listeningUrl(worker);

  await sendEvent(ingestUrl, 'charge.succeeded');
  await sendEvent(ingestUrl, 'charge.failed');
  await waitFor(() => receiver!.requests.length >= 2, 15_000, 'both deliveries attempted');

  expect((await fetch(`${metricsBase}/metrics`)).status).toBe(401);
  const scrape = async () => (await fetch(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } })).text();
  await waitFor(async () => /filab_delivery_attempts_total\{destination="app",outcome="retry"\} 1/.test(await scrape()), 5_000, 'the retry counted');
  const text = await scrape();
  expect(text).toMatch(/filab_delivery_attempts_total\{destination="app",outcome="delivered"\} 1/);
  expect(text).toMatch(/filab_deliveries_waiting\{destination="app",status="failed"\} 1/); // read from the store at scrape time
  expect(text).not.toContain(env.ADMIN_TOKEN);
  expect(await (await fetch(`${metricsBase}/ready`)).json()).toEqual({ status: 'ready', store: 'sqlite' });

  worker.process.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
});

it('refuses a port that is not a number', async () => {
  const bad = startFilab(['worker', '--metrics-port', 'http'], { cwd: dir, env: { DATABASE_PATH: join(dir, 'app.db') } });
  children.push(bad);
  expect(await bad.exited).not.toBe(0);
  expect(bad.output()).toMatch(/a port number/);
});
