/**
 * When recording an attempt fails (the database is away), the worker logs it and carries on; the delivery's
 * lease expires and the next claim delivers it again (at-least-once), with a real SQLite store.
 */
import { afterEach, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import type { Log } from '../../src/log.ts';
import type { Store } from '../../src/store/types.ts';
import { makeWorker } from '../../src/worker/worker.ts';
import { sendEvent, startInbox, type TestInbox } from './support.ts';

let t: TestInbox | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function captureLog(): Log & { lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

it('a failure to record the attempt is logged, and the delivery is attempted again once its lease expires', async () => {
  const clock = makeManualClock(Date.now());
  const calls: number[] = [];
  const handlers = { fulfil: (event: { attempt: number }) => void calls.push(event.attempt) };
  t = await startInbox({
    clock,
    startWorker: false,
    yaml: `destinations:
  - { name: fulfil, handler: fulfil, timeout_ms: 1000 }
worker: { lease_ms: 5000 }
`,
    handlers,
  });
  const store = t.inbox.store;
  const key = await sendEvent(t.url, 'charge.succeeded', {}, clock);
  const broken: Store = { ...store, completeAttempt: () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error')) };
  const log = captureLog();
  const deps = { destinations: t.inbox.config.destinations, tuning: t.inbox.config.worker, clock, handlers, log };

  await makeWorker({ ...deps, store: broken }).runUntilIdle();
  expect(calls).toEqual([1]);
  expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^recording the attempt failed/) }));
  const [summary] = (await store.listEvents({ limit: 1, keyPrefix: key })).items;
  expect(summary!.status).toBe('received');

  clock.advance(6_000);
  await makeWorker({ ...deps, store }).runUntilIdle();
  expect(calls).toEqual([1, 1]); // not recorded, so the same attempt number again
  expect((await store.getEvent(summary!.id))!.status).toBe('delivered');
});
