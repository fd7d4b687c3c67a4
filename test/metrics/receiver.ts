/**
 * A local webhook receiver for delivery tests (127.0.0.1, port 0): it records every request it gets and
 * answers 200, or 500 for event keys it is told to fail (or for everything while it is "down").
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  eventKey: string;
  status: number;
}

export interface Receiver {
  url: string;
  log: Received[];
  /** While down, every request gets a 500. */
  down: boolean;
  /** Event keys that always get a 500. */
  failKeys: Set<string>;
  count(status?: number): number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    log: [],
    down: false,
    failKeys: new Set(),
    count: (status) => receiver.log.filter((r) => status === undefined || r.status === status).length,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const eventKey = String(req.headers['x-filab-event-key'] ?? '');
      const status = receiver.down || receiver.failKeys.has(eventKey) ? 500 : 200;
      receiver.log.push({ eventKey, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":"receiver says no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** Poll `check` until it returns true (a real worker is delivering in the background). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
