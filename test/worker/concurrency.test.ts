/** max_in_flight and ordering keys, over real sockets with a real receiver. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import { sendEvent, startInbox, startReceiver, waitFor, type Receiver, type TestInbox } from './support.ts';

let t: TestInbox | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await t?.close();
  await receiver?.close();
  t = receiver = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrency', () => {
  it('never has more than max_in_flight attempts open to one destination, and does reach it', async () => {
    let open = 0;
    let peak = 0;
    receiver = await startReceiver(async () => {
      peak = Math.max(peak, ++open);
      await sleep(25);
      open--;
      return { status: 200 };
    });
    t = await startInbox({
      yaml: `destinations:
  - { name: slow, url: "${receiver.url}/slow", max_in_flight: 3 }
worker: { allow_private_destinations: true, concurrency: 32 }
`,
    });
    await Promise.all(Array.from({ length: 24 }, () => sendEvent(t!.url, 'charge.succeeded')));
    await waitFor(() => receiver!.requests.length === 24 && open === 0, 10_000, '24 deliveries');
    expect(peak).toBe(3);
  });

  it('delivers events with one ordering key strictly in order through failures and retries', async () => {
    const seen = new Map<number, number>();
    const delivered: number[] = [];
    const violations: string[] = [];
    receiver = await startReceiver((r) => {
      const n = (r.json.data as { object: { n: number } }).object.n;
      // Nothing for this key may arrive while an earlier event is not yet delivered.
      if (delivered.length !== n) violations.push(`#${n} arrived after ${delivered.length} delivered`);
      const tries = (seen.get(n) ?? 0) + 1;
      seen.set(n, tries);
      // Every third event fails twice before it succeeds.
      if (n % 3 === 0 && tries <= 2) return { status: 500 };
      delivered.push(n);
      return { status: 200 };
    });
    t = await startInbox({
      yaml: `destinations:
  - { name: ledger, url: "${receiver.url}/ledger", ordering_key: /data/object/customer, retry_schedule: [0, 0, 0, 0], max_in_flight: 8 }
worker: { allow_private_destinations: true }
`,
    });
    for (let n = 0; n < 20; n++) await sendEvent(t.url, 'charge.succeeded', { data: { object: { customer: 'cus_A', n } } });
    await waitFor(() => delivered.length === 20, 10_000, '20 ordered deliveries');
    expect(delivered).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(violations).toEqual([]);
    expect(receiver.requests).toHaveLength(20 + 7 * 2);
  });

  it('a key waiting on a retry holds back only its own later events; other keys proceed', async () => {
    const clock = makeManualClock(Date.now());
    let failA0 = true;
    receiver = await startReceiver((r) => {
      const { customer, n } = (r.json.data as { object: { customer: string; n: number } }).object;
      if (customer === 'cus_A' && n === 0 && failA0) return { status: 503 };
      return { status: 200 };
    });
    t = await startInbox({
      clock,
      startWorker: false,
      yaml: `destinations:
  - { name: ledger, url: "${receiver.url}/ledger", ordering_key: /data/object/customer, retry_schedule: [0, 3600] }
worker: { allow_private_destinations: true }
`,
    });
    for (let n = 0; n < 5; n++) {
      await sendEvent(t.url, 'charge.succeeded', { data: { object: { customer: 'cus_A', n } } }, clock);
      await sendEvent(t.url, 'charge.succeeded', { data: { object: { customer: 'cus_B', n } } }, clock);
    }
    await t.inbox.worker!.runUntilIdle();
    const order = () =>
      receiver!.requests.map((r) => {
        const o = (r.json.data as any).object;
        return `${o.customer.slice(-1)}${o.n}`;
      });
    expect(order().filter((x) => x.startsWith('B'))).toEqual(['B0', 'B1', 'B2', 'B3', 'B4']);
    expect(order().filter((x) => x.startsWith('A'))).toEqual(['A0']);

    failA0 = false;
    clock.advance(3_600_000);
    await t.inbox.worker!.runUntilIdle();
    expect(order().filter((x) => x.startsWith('A'))).toEqual(['A0', 'A0', 'A1', 'A2', 'A3', 'A4']);
  });
});
