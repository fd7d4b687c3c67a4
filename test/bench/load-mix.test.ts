/**
 * The benchmark's load is what its table says it is: every request a freshly signed 2 KB Stripe event our
 * ingest accepts (not 4xx answered cheaply), and the "half replays" mix really half replays. A drift between the
 * bench's signer and the server (secret, header format, timestamps) would otherwise show up only as a
 * suspiciously fast row.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { epochMs, runLoad, runTurns, SECRET } from '../../bench/load.ts';
import { hasWrk, makeWrkLoad } from '../../bench/wrk.ts';
import { makeTempDir, startTestInbox, type TestInbox } from '../helpers/inbox.ts';

const CONNECTIONS = 8;
let inboxes: TestInbox[] = [];

afterEach(async () => {
  await Promise.all(inboxes.map((i) => i.close()));
  inboxes = [];
});

async function inbox(): Promise<TestInbox> {
  const started = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'warn' }, worker: false });
  inboxes.push(started);
  return started;
}

function stored(i: TestInbox): { events: number; keys: number; smallest: number } {
  const db = new Database(join(i.dir, 'app.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS events, count(DISTINCT event_key) AS keys, min(length(payload)) AS smallest FROM events').get() as {
      events: number;
      keys: number;
      smallest: number;
    };
  } finally {
    db.close();
  }
}

describe('benchmark load', () => {
  it('sends unique signed 2 KB events that ingest stores, one row each, all answered 2xx', async () => {
    const target = await inbox();
    const result = await runLoad(target.url, 1, { connections: CONNECTIONS });
    expect(result.requests).toBeGreaterThan(20);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    await target.inbox.queue.drain();
    const rows = stored(target);
    // Answered requests were stored; a request sent as the window closed may be stored without being counted.
    expect(rows.events).toBeGreaterThanOrEqual(result.requests);
    expect(rows.events).toBeLessThanOrEqual(result.requests + CONNECTIONS);
    expect(rows.keys).toBe(rows.events);
    expect(rows.smallest).toBeGreaterThanOrEqual(1900);
  });

  it('in the half-replays mix, stores about half of what it sends and answers every copy 2xx', async () => {
    const target = await inbox();
    const result = await runLoad(target.url, 1, { connections: CONNECTIONS, replays: true });
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    await target.inbox.queue.drain();
    const { events } = stored(target);
    expect(events).toBeGreaterThanOrEqual(Math.floor(result.requests / 2) - CONNECTIONS);
    expect(events).toBeLessThanOrEqual(Math.ceil(result.requests / 2) + CONNECTIONS);
  });

  it('loads several targets in turns, each for its windows, and totals each on its own', async () => {
    const [a, b] = [await inbox(), await inbox()];
    const edges: string[] = [];
    const results = await runTurns({ urls: [a.url, b.url], warmupSeconds: 0, windows: 2, windowSeconds: 0.5, connections: CONNECTIONS }, (target, edge) =>
      edges.push(`${edge} ${target}`),
    );
    expect(edges).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 0', 'end 0', 'start 1', 'end 1']);
    for (const [i, target] of [a, b].entries()) {
      const r = results[i]!;
      expect(r.errors + r.non2xx).toBe(0);
      await target.inbox.queue.drain();
      expect(stored(target).events).toBeGreaterThanOrEqual(r.requests);
    }
  });

  it('with a fixed amount, sends exactly that many, all stored, and says when it began and how long it took', async () => {
    const target = await inbox();
    const before = epochMs();
    const result = await runLoad(target.url, 0, { connections: CONNECTIONS, amount: 300 });
    const after = epochMs();
    expect(result.requests).toBe(300);
    expect(result.errors + result.non2xx).toBe(0);
    expect(result.startedAtMs).toBeGreaterThanOrEqual(before);
    expect(result.startedAtMs! + result.seconds! * 1000).toBeLessThanOrEqual(after);
    await target.inbox.queue.drain();
    expect(stored(target).events).toBe(300);
  });

  it.skipIf(!hasWrk())('under wrk, sends unique signed 2 KB events, signed before each window, that ingest stores', async () => {
    const target = await inbox();
    const files = makeTempDir('filab-wrk-');
    const load = makeWrkLoad(files);
    const windows = 2;
    const [result] = await runTurns({ urls: [target.url], warmupSeconds: 0, windows, windowSeconds: 1, connections: CONNECTIONS }, undefined, load).finally(
      () => rmSync(files, { recursive: true, force: true }),
    );
    expect(result!.requests).toBeGreaterThan(20);
    expect(result!.errors).toBe(0);
    expect(result!.non2xx).toBe(0);
    expect(load.repeated).toBe(0);
    expect(result!.p99).toBeGreaterThan(0);
    await target.inbox.queue.drain();
    const rows = stored(target);
    // wrk stops each window with requests in flight: stored, but not counted.
    expect(rows.events).toBeGreaterThanOrEqual(result!.requests);
    expect(rows.events).toBeLessThanOrEqual(result!.requests + windows * CONNECTIONS);
    expect(rows.keys).toBe(rows.events);
    expect(rows.smallest).toBeGreaterThanOrEqual(1900);
  });
});
