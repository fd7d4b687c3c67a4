/**
 * Worker throughput: events stored first, then one `filab worker` delivers each to two destinations (two paths
 * of one receiver that answers at once, over keep-alive connections). Reported per destination and in total.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, FILAB } from './processes.ts';
import { eventBody, SECRET } from './load.ts';
import { stripe } from '../src/providers/stripe.ts';

export interface DeliveryFigures {
  events: number;
  /** Deliveries made (two per event). */
  deliveries: number;
  seconds: number;
  perSecond: number;
  perDestination: Record<string, number>;
}

export async function benchDeliveries(dir: string, events: number, dbEnv: Record<string, string>): Promise<DeliveryFigures> {
  let received = 0;
  let first = 0;
  let last = 0;
  const byDestination: Record<string, number> = { a: 0, b: 0 };
  const receiver = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      received++;
      byDestination[req.url === '/a' ? 'a' : 'b']!++;
      if (received === 1) first = performance.now();
      last = performance.now();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  const config = join(dir, 'filab.yaml');
  writeFileSync(
    config,
    `sources:
  - { name: stripe, provider: stripe, secrets: ["${SECRET}"], path: /webhooks/provider }
destinations:
  - { name: a, url: "${receiverUrl}/a", max_in_flight: 32 }
  - { name: b, url: "${receiverUrl}/b", max_in_flight: 32 }
worker:
  allow_private_destinations: true
  concurrency: 64
`,
  );
  const env = { ...dbEnv, FILAB_CONFIG: config };
  const ingest = await startChild([...FILAB, 'serve', '--no-worker'], env);
  try {
    let sent = 0;
    const post = async () => {
      while (sent < events) {
        const now = Math.floor(Date.now() / 1000);
        const body = eventBody(`evt_dlv_${sent++}_${Date.now()}`, now);
        const headers = stripe.sign({ body, secret: SECRET, timestamp: now }).headers;
        await (await fetch(`${ingest.url}/webhooks/provider`, { method: 'POST', headers, body })).arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 32 }, post));
    const worker = spawn(process.execPath, [...FILAB, 'worker'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 120_000;
    while (received < 2 * events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    worker.kill('SIGTERM');
    const seconds = (last - first) / 1000;
    const rate = (n: number) => n / Math.max(seconds, 0.001);
    return { events, deliveries: received, seconds, perSecond: rate(received), perDestination: { a: rate(byDestination.a!), b: rate(byDestination.b!) } };
  } finally {
    await ingest.stop();
    receiver.closeAllConnections();
    receiver.close();
  }
}
