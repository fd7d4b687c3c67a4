/** Retention prunes delivered events only (never dead or undelivered ones) and the audit chain still verifies. */
import { afterAll, expect, it } from 'vitest';
import { verifyAuditChains } from '../../src/audit/service.ts';
import { sendEvent, startInbox, startReceiver, waitFor, type Receiver, type TestInbox } from '../worker/support.ts';

let t: TestInbox | undefined;
let receiver: Receiver | undefined;
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

it('prunes delivered events past retention, keeps dead and undelivered ones, and keeps the chain verifiable', async () => {
  receiver = await startReceiver((r) => ({ status: r.path === '/ok' ? 200 : 500 }));
  t = await startInbox({
    yaml: `  - name: other
    provider: stripe
    secrets: ["whsec_other_source"]
    retention_delivered_days: 365
retention:
  delivered_days: 0.00001
worker:
  allow_private_destinations: true
  poll_interval_ms: 50
destinations:
  - { name: ok, url: "${receiver.url}/ok", event_types: ["ok.*"] }
  - { name: bad, url: "${receiver.url}/bad", event_types: ["bad.*"], retry_schedule: [0] }
`,
  });
  const ok = [await sendEvent(t.url, 'ok.one'), await sendEvent(t.url, 'ok.two'), await sendEvent(t.url, 'ok.three')];
  const bad = await sendEvent(t.url, 'bad.one');
  const none = await sendEvent(t.url, 'nobody.listens');
  const store = t.inbox.store;
  await waitFor(async () => (await store.stats()).events.delivered === 3 && (await store.stats()).events.dead === 1, 10_000, 'deliveries to settle');
  await new Promise((r) => setTimeout(r, 1000)); // 0.00001 days = 0.864 s

  expect(await t.inbox.maintenance.pruneNow()).toBe(3);
  const left = (await store.listEvents({ limit: 50 })).items;
  expect(left.map((e) => e.eventKey).sort()).toEqual([bad, none].sort());
  expect(left.find((e) => e.eventKey === bad)!.status).toBe('dead');
  for (const key of ok) expect(left.some((e) => e.eventKey === key)).toBe(false);

  // Five events and the checkpoint naming the three pruned ones.
  const [chain] = await verifyAuditChains(store);
  expect(chain).toMatchObject({ source: 'stripe', verdict: { ok: true, entries: 6 } });
});
