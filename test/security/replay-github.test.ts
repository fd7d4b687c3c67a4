/**
 * Replays for a scheme without a signed timestamp, end to end with a real `filab serve`: GitHub signs only the body,
 * and its event key (X-GitHub-Delivery) is an unsigned header. A captured request re-sent under a fresh delivery id,
 * or re-sent as is after retention pruned its event, is answered as a replay and neither stored nor delivered again.
 * `filab audit verify` passes after pruning and names an event whose row was deleted.
 */
import Database from 'better-sqlite3';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/child.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { startReceiver, waitFor, type Receiver } from '../worker/support.ts';

const SECRET = 'github-replay-secret-5f1e9c';
let dir: string;
let env: Record<string, string>;
let server: ServerProcess;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  dir = makeTempDir('filab-replay-');
  writeFileSync(
    join(dir, 'filab.yaml'),
    `sources:
  - name: github
    provider: github
    secrets: ["${SECRET}"]
retention:
  delivered_days: 0.00001
  interval_minutes: 0.005
destinations:
  - { name: sink, url: "${receiver.url}/hook", event_types: ["push", "issues"] }
worker:
  allow_private_destinations: true
  poll_interval_ms: 50
`,
  );
  env = { DATABASE_PATH: join(dir, 'app.db'), FILAB_CONFIG: join(dir, 'filab.yaml') };
  server = await startServerProcess(env, ['serve'], dir);
});
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A signed GitHub request as captured on the wire: its body and headers, to send (again) as is. */
function capture(event: string, body: object, delivery = randomUUID()) {
  const raw = JSON.stringify(body);
  return {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
    },
  };
}

async function send(request: ReturnType<typeof capture>) {
  const res = await fetch(`${server.url}/webhooks/github`, { method: 'POST', headers: request.headers, body: request.raw });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const deliveredBodies = (raw: string) => receiver.requests.filter((r) => r.body === raw).length;

/** Event rows (tombstones included) matching `where`, read from the server's SQLite file. */
function countEvents(where: string, ...params: string[]): number {
  const db = new Database(env.DATABASE_PATH!, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM events WHERE ${where}`).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Rows stored for this body: a replay must add none. */
const storedCopies = (raw: string) => countEvents('payload_sha256 = ?', sha256(raw));
const prunedCopies = (raw: string) => countEvents('payload_sha256 = ? AND pruned_at IS NOT NULL', sha256(raw));

/** Send a fresh event and wait until it is delivered: everything queued before it has had its turn. */
async function settle() {
  const sentinel = capture('issues', { action: 'opened', n: randomUUID() });
  expect((await send(sentinel)).status).toBe(200);
  await waitFor(() => deliveredBodies(sentinel.raw) === 1, 15_000, 'the sentinel delivery');
}

/** After everything queued has had its turn: one row and one delivery for this body, whatever was re-sent. */
async function expectStoredAndDeliveredOnce(raw: string) {
  await settle();
  expect(deliveredBodies(raw)).toBe(1);
  expect(storedCopies(raw)).toBe(1);
}

it('a captured request re-sent with a fresh X-GitHub-Delivery is a replay: stored once, delivered once', async () => {
  const original = capture('push', { ref: 'refs/heads/main', after: randomUUID() });
  expect(await send(original)).toEqual({ status: 200, body: { status: 'received' } });
  const resent = { ...original, headers: { ...original.headers, 'x-github-delivery': randomUUID() } };
  expect(await send(resent)).toEqual({ status: 200, body: { status: 'received', idempotent_replay: true } });
  await expectStoredAndDeliveredOnce(original.raw);
});

it('after retention pruned an event, the same request is still a replay (its tombstone keeps the keys)', async () => {
  const original = capture('push', { ref: 'refs/heads/main', after: randomUUID() });
  expect(await send(original)).toEqual({ status: 200, body: { status: 'received' } });
  await waitFor(() => deliveredBodies(original.raw) === 1, 15_000, 'the delivery');
  await waitFor(() => prunedCopies(original.raw) === 1, 15_000, 'retention to prune the delivered event');
  expect(await send(original)).toEqual({ status: 200, body: { status: 'received', idempotent_replay: true } });
  await expectStoredAndDeliveredOnce(original.raw);
});

it('audit verify passes after pruning, fails naming an event whose row was deleted; the server stays healthy', async () => {
  // An event nobody subscribes to is never delivered, so retention keeps it.
  const kept = capture('star', { action: 'created', n: randomUUID() });
  expect((await send(kept)).status).toBe(200);
  await waitFor(() => countEvents('pruned_at IS NOT NULL') > 0, 15_000, 'a pruned event');
  const passed = await runCli(['audit', 'verify'], env, dir);
  expect(passed.stdout).toMatch(/^OK {6}github: \d+ entries/m);
  expect(passed.code).toBe(0);

  const db = new Database(env.DATABASE_PATH!);
  const victim = db.prepare('SELECT id FROM events WHERE payload_sha256 = ?').pluck().get(sha256(kept.raw)) as string;
  db.prepare('DELETE FROM events WHERE id = ?').run(victim);
  db.close();
  const failed = await runCli(['audit', 'verify'], env, dir);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toContain(`(event ${victim})`);
  expect(failed.stdout).toContain('no retention checkpoint names it');

  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  expect((await send(capture('push', { after: randomUUID() }))).status).toBe(200);
});
