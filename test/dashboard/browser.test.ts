/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core) against a
 * running inbox with a real worker delivering to a local receiver. Screenshots of each main view go to
 * test-artifacts/dashboard/ (gitignored) for a reviewer to look at.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, SECRET, signedEvent, stripeToDestinationsYaml } from '../metrics/harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { startReceiver, until, type Receiver } from '../metrics/receiver.ts';
import { startCrossSitePage } from '../helpers/admin-cross-site-page.ts';

const TOKEN = 'browser-test-token-7f3a';
const SHOTS = new URL('../../test-artifacts/dashboard/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;
let receiver: Receiver;
let s: TestInbox;
let page: Page;
/** Script errors and console errors (a CSP violation shows up as one) from every page. */
const pageErrors: string[] = [];

async function settled(keys: string[]): Promise<boolean> {
  const page = await s.inbox.store.listEvents({ limit: 100 });
  return keys.every((k) => page.items.some((e) => e.eventKey === k && (e.status === 'delivered' || e.status === 'dead')));
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  receiver = await startReceiver();
  s = await startTestInbox({
    env: { ADMIN_TOKEN: TOKEN, STRIPE_SECRET: SECRET },
    yaml: stripeToDestinationsYaml([{ name: 'ledger', url: receiver.url, retrySchedule: [0] }]),
  });
  const hook = `${s.url}/webhooks/stripe`;
  receiver.failKeys = new Set(['evt_dead_1', 'evt_dead_2']);
  for (const id of ['evt_ok_1', 'evt_ok_2', 'evt_ok_3']) expect((await postSigned(hook, signedEvent({ id }))).status).toBe(200);
  for (const id of ['evt_dead_1', 'evt_dead_2']) expect((await postSigned(hook, signedEvent({ id, type: 'charge.failed' }))).status).toBe(200);
  await until(() => settled(['evt_ok_1', 'evt_ok_2', 'evt_ok_3', 'evt_dead_1', 'evt_dead_2']), 'the first deliveries to settle');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 401/.test(msg.text())) pageErrors.push(msg.text());
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await receiver?.close();
});

const rows = () => page.locator('table.events tbody tr:not(.empty)');

describe('dashboard in a browser', () => {
  it('refuses a wrong token and opens with the right one, which stays out of the URL', async () => {
    await page.goto(`${s.url}/dashboard`);
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#view').innerText()).toBe('');
    await page.fill('#token', 'not-the-token');
    await page.click('#login-form button[type=submit]');
    await page.getByText('That token was refused').waitFor();
    expect(await page.locator('table.events').count()).toBe(0);

    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await rows().first().waitFor();
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('filab.adminToken'))).toBe(TOKEN);
  });

  it('shows the sent events, and filtering by status narrows the table', async () => {
    await until(async () => (await rows().count()) === 5, 'five rows');
    const keys = await page.locator('table.events tbody a.key').allInnerTexts();
    expect(keys.sort()).toEqual(['evt_dead_1', 'evt_dead_2', 'evt_ok_1', 'evt_ok_2', 'evt_ok_3']);

    // Live: a new event shows up on page 1 without a reload, marked as new.
    expect((await postSigned(`${s.url}/webhooks/stripe`, signedEvent({ id: 'evt_live_1' }))).status).toBe(200);
    await page.locator('table.events tbody tr.fresh a.key', { hasText: 'evt_live_1' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: `${SHOTS}events.png`, fullPage: true });

    await page.selectOption('select[name=status]', 'dead');
    await until(async () => (await rows().count()) === 2, 'two dead rows');
    expect(await page.locator('table.events tbody a.key').allInnerTexts()).toEqual(['evt_dead_2', 'evt_dead_1']);
    expect(page.url()).toContain('status=dead');
  });

  it('opens an event with its payload and attempts; replay delivers it once the receiver is back', async () => {
    await page.click('text=evt_dead_1');
    // The view mounts an empty payload block and fills it once the event loads.
    await page.locator('[data-test=payload]:not(:empty)').waitFor();
    expect(JSON.parse(await page.locator('[data-test=payload]').innerText())).toMatchObject({ id: 'evt_dead_1', type: 'charge.failed' });
    const delivery = page.locator('article.delivery[data-destination=ledger]');
    expect(await delivery.getAttribute('data-status')).toBe('dead');
    expect(await delivery.locator('li.attempt').count()).toBe(1);
    expect(await delivery.locator('li.attempt').innerText()).toContain('HTTP 500');
    expect(await page.locator('[data-test=secret]').innerText()).toBe('current');
    await page.screenshot({ path: `${SHOTS}event-dead.png`, fullPage: true });

    receiver.failKeys.delete('evt_dead_1');
    await delivery.locator('[data-test=replay-one]').click();
    await page.locator('article.delivery[data-destination=ledger][data-status=delivered]').waitFor({ timeout: 10_000 });
    expect(await delivery.locator('li.attempt').count()).toBe(2);
    expect(await delivery.locator('li.attempt.ok').innerText()).toContain('HTTP 200');
    await page.screenshot({ path: `${SHOTS}event-replayed.png`, fullPage: true });
  });

  it('bulk retry of the dead letters reports its count and progress', async () => {
    await page.click('#nav a[data-view=dead]');
    const deadRows = page.locator('main tbody tr:not(.empty)');
    await until(async () => (await deadRows.count()) === 1, 'one dead delivery');
    expect(await deadRows.first().innerText()).toContain('evt_dead_2');
    await page.screenshot({ path: `${SHOTS}dead-letters.png`, fullPage: true });

    receiver.failKeys.clear();
    await page.click('[data-test=retry-all]');
    await page.locator('[data-test=bulk-count]').waitFor();
    expect(await page.locator('[data-test=bulk-count]').innerText()).toBe('Requeued 1');
    await page.getByText('1 of 1 settled: 1 delivered').waitFor({ timeout: 10_000 });
    await page.locator('main tbody tr.empty').waitFor();
    await page.screenshot({ path: `${SHOTS}dead-letters-retried.png`, fullPage: true });
  });

  it('health shows per-source counts, destinations and the per-minute chart', async () => {
    await page.click('#nav a[data-view=health]');
    const source = page.locator('[data-test=sources] tr[data-source=stripe]');
    await source.waitFor();
    expect(await source.locator('[data-test=accepted]').innerText()).toBe('6');
    const destination = page.locator('[data-test=destinations] tr[data-destination=ledger]');
    await destination.waitFor();
    expect(await destination.innerText()).toContain('100%');
    expect(await page.locator('[data-test=chart] svg polyline').count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}health.png`, fullPage: true });
  });

  it('disables and enables a destination from the health view (a POST with no options, sent as JSON)', async () => {
    await toggleLedger(page, s);
  });

  it('a new tab asks for the token again; the API refuses without it', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${s.url}/dashboard#/events`);
      await other.locator('#login-form').waitFor();
      expect(await other.locator('table.events').count()).toBe(0);
      const status = await other.evaluate(async () => (await fetch('/admin/api/events')).status);
      expect(status).toBe(401);
      await other.screenshot({ path: `${SHOTS}login.png` });
    } finally {
      await other.close();
    }
  });

  it('ran without script errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});

/** Click Disable then Enable on ledger's row in the health view; the store must follow each click. */
async function toggleLedger(on: Page, inbox: TestInbox): Promise<void> {
  const ledgerState = async () => (await inbox.inbox.store.listDestinationStates()).find((d) => d.name === 'ledger')?.disabled ?? false;
  await on.click('#nav a[data-view=health]');
  const row = on.locator('[data-test=destinations] tr[data-destination=ledger]');
  await row.getByText('enabled', { exact: true }).waitFor();
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('disabled: disabled by an operator').waitFor();
  expect(await ledgerState()).toBe(true);
  await on.screenshot({ path: `${SHOTS}health-disabled.png`, fullPage: true });
  await row.getByRole('button', { name: 'Enable' }).click();
  await row.getByText('enabled', { exact: true }).waitFor();
  expect(await ledgerState()).toBe(false);
}

describe('dashboard in a browser without ADMIN_TOKEN (loopback)', () => {
  let open: TestInbox;
  let local: Page;
  beforeAll(async () => {
    open = await startTestInbox({
      env: { STRIPE_SECRET: SECRET },
      yaml: stripeToDestinationsYaml([{ name: 'ledger', url: receiver.url, retrySchedule: [0] }]),
    });
    expect((await postSigned(`${open.url}/webhooks/stripe`, signedEvent({ id: 'evt_open_1' }))).status).toBe(200);
    local = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    local.on('pageerror', (err) => pageErrors.push(String(err)));
    local.on('console', (msg) => msg.type() === 'error' && pageErrors.push(msg.text()));
  }, 30_000);
  afterAll(async () => {
    await local?.close();
    await open?.close();
  });

  it('opens without a login and acts: disable/enable a destination, replay an event', async () => {
    await local.goto(`${open.url}/dashboard`);
    await local.locator('table.events tbody a.key', { hasText: 'evt_open_1' }).waitFor();
    expect(await local.locator('#login').isHidden()).toBe(true);
    await toggleLedger(local, open);

    await local.goto(`${open.url}/dashboard#/events`);
    await local.click('text=evt_open_1');
    const delivery = local.locator('article.delivery[data-destination=ledger]');
    await delivery.locator('[data-test=replay-one]').waitFor();
    const attempts = receiver.log.filter((r) => r.eventKey === 'evt_open_1').length;
    await delivery.locator('[data-test=replay-one]').click();
    await until(() => receiver.log.filter((r) => r.eventKey === 'evt_open_1').length === attempts + 1, 'the replayed delivery');
    expect(pageErrors).toEqual([]);
  });

  it('a page on another origin cannot act: its POSTs are refused and change nothing', async () => {
    const evil = await startCrossSitePage(`${open.url}/admin/api/destinations/ledger/disable`);
    const other = await browser.newPage();
    try {
      await other.goto(evil.url);
      await until(async () => (await other.locator('#result li').count()) === 3, 'the cross-site page to try all three requests');
      expect(await other.locator('#result li').allInnerTexts()).toEqual(['no-cors sent', 'json blocked', 'form sent']);
      // The two that reached the inbox (the JSON one stopped at its preflight) were refused as cross-site.
      const refusals = () => open.logs.filter((l) => l.includes('admin request refused')).map((l) => JSON.parse(l) as { code: string; reason: string });
      await until(() => refusals().length === 2, 'two refusals in the log');
      expect(refusals().map((r) => r.code)).toEqual(['forbidden', 'forbidden']);
      expect(refusals()[0]!.reason).toMatch(/^Cross-site request refused/);
      expect((await open.inbox.store.listDestinationStates()).find((d) => d.name === 'ledger')?.disabled ?? false).toBe(false);
    } finally {
      await other.close();
      await evil.close();
    }
  });
});
