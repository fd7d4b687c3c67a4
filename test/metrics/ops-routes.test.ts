/** /metrics after a scripted ingest scenario, its access rule, and /ready over a real SQLite file. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, sample, SECRET, signedEvent } from './harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

describe('/metrics after an ingest scenario', () => {
  let s: TestInbox;
  let text: string;
  beforeAll(async () => {
    s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    const hook = `${s.url}/webhooks/provider`;
    const now = Math.floor(Date.now() / 1000);
    for (const id of ['evt_m1', 'evt_m2', 'evt_m3']) expect((await postSigned(hook, signedEvent({ id }))).status).toBe(200);
    expect((await postSigned(hook, signedEvent({ id: 'evt_m1' }))).status).toBe(200); // replay
    expect((await postSigned(hook, signedEvent({ id: 'evt_bad', secret: 'whsec_not_the_right_one' }))).status).toBe(400);
    expect((await postSigned(hook, signedEvent({ id: 'evt_bad2', secret: 'whsec_not_the_right_one' }))).status).toBe(400);
    expect((await postSigned(hook, signedEvent({ id: 'evt_old', timestamp: now - 3600 }))).status).toBe(400);
    expect((await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await res.text();
  });
  afterAll(() => s.close());

  it('counts ingest requests by source and outcome, rejections by reason code', () => {
    const count = (outcome: string) => sample(text, 'filab_ingest_requests_total', { source: 'provider', outcome });
    expect(count('accepted')).toBe(3);
    expect(count('replay')).toBe(1);
    expect(count('invalid_signature')).toBe(2);
    expect(count('timestamp_out_of_tolerance')).toBe(1);
    expect(count('missing_signature')).toBe(1);
  });

  it('counts verifications per secret label, observes latency, skew and commit batches', () => {
    expect(sample(text, 'filab_secret_verifications_total', { source: 'provider', secret: '#0' })).toBe(4);
    expect(sample(text, 'filab_ingest_duration_seconds_count', { source: 'provider' })).toBe(8);
    // Skew is only observed for verified requests (a forged timestamp says nothing about clocks).
    expect(sample(text, 'filab_provider_timestamp_skew_seconds_count', { source: 'provider' })).toBe(4);
    // The replay is committed too (the unique constraint decides inside the transaction).
    expect(sample(text, 'filab_commit_batch_size_sum')).toBe(4);
    // Every commit is timed; nothing waits once every request was answered; the cap is the default max_pending.
    expect(sample(text, 'filab_commit_duration_seconds_count')).toBe(sample(text, 'filab_commit_batch_size_count'));
    expect(sample(text, 'filab_commit_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'filab_ingest_pending_events')).toBe(0);
    expect(sample(text, 'filab_ingest_pending_events_max')).toBe(10_000);
  });

  it('declares the delivery metrics and never shows a secret', () => {
    for (const name of [
      'filab_delivery_attempts_total',
      'filab_deliveries_total',
      'filab_delivery_duration_seconds',
      'filab_deliveries_waiting',
      'filab_deliveries_dead',
      'filab_delivery_oldest_waiting_age_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('whsec_');
  });
});

describe('refusals before verification are counted by code too', () => {
  it('counts 413 from the body limit, 429 from the rate limiter and 503 from storage', async () => {
    const s = await startTestInbox({
      env: { STRIPE_SECRET: SECRET },
      yaml: [
        'sources:',
        '  - { name: stripe, provider: stripe, secrets: ["${STRIPE_SECRET}"], max_body_bytes: 400 }',
        'ingest:',
        '  rate_limit: { per_second: 0.001, burst: 4 }',
      ].join('\n'),
    });
    try {
      const hook = `${s.url}/webhooks/stripe`;
      expect((await postSigned(hook, signedEvent({ id: 'evt_big', extra: { pad: 'x'.repeat(500) } }))).status).toBe(413);
      expect((await postSigned(hook, signedEvent({ id: 'evt_r1' }))).status).toBe(200);
      expect((await postSigned(hook, signedEvent({ id: 'evt_r1' }))).status).toBe(200);
      await s.inbox.store.close();
      expect((await postSigned(hook, signedEvent({ id: 'evt_r2' }))).status).toBe(503);
      expect((await postSigned(hook, signedEvent({ id: 'evt_r3' }))).status).toBe(429);
      const text = (await s.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).body;
      const count = (outcome: string) => sample(text, 'filab_ingest_requests_total', { source: 'stripe', outcome });
      expect([count('payload_too_large'), count('accepted'), count('replay'), count('storage_unavailable'), count('rate_limited')]).toEqual([1, 1, 1, 1, 1]);
      // The failed commit is timed too, though it stored no batch.
      expect(sample(text, 'filab_commit_duration_seconds_count')).toBe(sample(text, 'filab_commit_batch_size_count')! + 1);
    } finally {
      await s.close();
    }
  });
});

describe('the commit queue seen from /metrics while a commit waits on the disk lock', () => {
  it('shows the waiting event as pending, then times the commit that stored it', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    const metrics = async () => (await s.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).body;
    // Another connection holds the write lock: the commit waits (busy timeout 2 s) while the server stays responsive.
    const locker = new Database(join(s.dir, 'app.db'));
    try {
      locker.exec('BEGIN EXCLUSIVE');
      const heldAt = Date.now();
      const answer = postSigned(`${s.url}/webhooks/provider`, signedEvent({ id: 'evt_waiting' }));
      let pending: number | undefined;
      for (;;) {
        pending = sample(await metrics(), 'filab_ingest_pending_events');
        if (pending !== 0 || Date.now() - heldAt >= 1500) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(pending).toBe(1);
      // The commit is under way (its event counts as pending from submit on): hold the lock a while longer.
      await new Promise((r) => setTimeout(r, 300));
      locker.exec('ROLLBACK');
      expect((await answer).status).toBe(200);
      const text = await metrics();
      expect(sample(text, 'filab_ingest_pending_events')).toBe(0);
      expect(sample(text, 'filab_commit_duration_seconds_count')).toBe(1);
      expect(sample(text, 'filab_commit_duration_seconds_sum')).toBeGreaterThanOrEqual(0.25);
    } finally {
      locker.close();
      await s.close();
    }
  });
});

describe('/metrics access rule', () => {
  it('with ADMIN_TOKEN: refuses no token and a wrong token, answers the right one', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: 'ops-token-123' } });
    try {
      const none = await fetch(`${s.url}/metrics`);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ detail: 'Missing or invalid admin token', code: 'unauthorized' });
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer ops-token-123' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('filab_ingest_requests_total');
    } finally {
      await s.close();
    }
  });

  it('without ADMIN_TOKEN: loopback only', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const remote = await s.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
      expect(remote.statusCode).toBe(403);
      expect(remote.json().code).toBe('forbidden');
      const local = await s.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
      expect(local.statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('/ready', () => {
  it('is ready when the database answers and every migration is applied', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const res = await fetch(`${s.url}/ready`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', store: 'sqlite' });
    } finally {
      await s.close();
    }
  });

  it('answers 503 naming the migration the database lacks', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const db = new Database(join(s.dir, 'app.db'));
      db.prepare('DELETE FROM schema_migrations WHERE version = 1').run();
      db.close();
      const res = await fetch(`${s.url}/ready`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = await res.json();
      expect(body.code).toBe('not_ready');
      expect(body.detail).toMatch(/schema is behind.*001_init\.sql/);
      // Liveness is a different question: the process and the database are fine.
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('answers 503 when the database is gone', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      await s.inbox.store.close();
      const res = await fetch(`${s.url}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ detail: 'Not ready: Database unreachable', code: 'not_ready' });
    } finally {
      await s.close();
    }
  });
});
