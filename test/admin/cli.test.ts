/** The operator CLI as a real child process against a real inbox over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFilab } from '../worker/process.ts';
import { sendEvent, startInbox, startReceiver, waitFor, type Receiver, type TestInbox } from '../worker/support.ts';

const TOKEN = 'cli-admin-token-5678';
let t: TestInbox;
let receiver: Receiver;
let failing = true;
const keys: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver(() => (failing ? { status: 500 } : { status: 200 }));
  t = await startInbox({
    env: { ADMIN_TOKEN: TOKEN },
    yaml: `destinations:
  - { name: app, url: "${receiver.url}/hook", retry_schedule: [0] }
worker: { allow_private_destinations: true, poll_interval_ms: 50 }
`,
  });
  for (let i = 0; i < 3; i++) keys.push(await sendEvent(t.url, 'charge.succeeded'));
  await waitFor(async () => (await t.inbox.store.stats()).deliveries.dead === 3, 5000, 'three dead deliveries');
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

const filab = (...args: string[]) => runFilab([...args, '--url', t.url], { cwd: t.dir, env: { ADMIN_TOKEN: TOKEN } });

describe('filab CLI over the admin API', () => {
  it('lists and shows events', async () => {
    const list = await filab('events', 'list', '--status', 'dead', '--since', '1h');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+RECEIVED\s+SOURCE\s+TYPE\s+STATUS\s+EVENT KEY$/);
    for (const key of keys) expect(list.stdout).toContain(key);
    const id = /^(msg_\w+)/m.exec(list.stdout.split('\n')[1]!)![1]!;
    const [show, showJson] = await Promise.all([filab('events', 'show', id), filab('events', 'show', id, '--json')]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/-> app: dead, 1 attempt\(s\)/);
    expect(show.stdout).toMatch(/#1 \S+ \d+ ms 500 HTTP 500/);
    const json = JSON.parse(showJson.stdout);
    expect(json.id).toBe(id);
  });

  it('retries dead deliveries in batches with a progress bar, then replays one event', async () => {
    failing = false;
    const retry = await filab('retry', '--status', 'dead', '--destination', 'app', '--batch', '2');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe('requeued 3 deliveries\n');
    expect(retry.stderr).toMatch(/\[#{30}\] 100% 3\/3 requeued/);
    expect(retry.stderr).toMatch(/ 67% 2\/3 requeued/);
    await waitFor(async () => (await t.inbox.store.stats()).deliveries.delivered === 3, 5000, 'delivered after retry');

    const before = receiver.requests.length;
    const id = (await t.inbox.store.listEvents({ limit: 1, keyPrefix: keys[0]! })).items[0]!.id;
    const replay = await filab('replay', id, '--destination', 'app');
    expect(replay).toMatchObject({ code: 0, stdout: `requeued 1 delivery of ${id} to app\n` });
    await waitFor(() => receiver.requests.length === before + 1, 5000, 'the replayed delivery');
    expect(receiver.requests.at(-1)!.headers['webhook-id']).toBe(id);
  });

  it('shows destinations and disables/enables one', async () => {
    const list = await filab('destinations');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^app\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+enabled\s+0\s+0\s+0\s+3\s+0\s/m);
    expect((await filab('destinations', 'disable', 'app')).stdout).toBe('app: disabled\n');
    expect((await filab('destinations', 'enable', 'app')).stdout).toBe('app: enabled\n');
  });

  it('explains failures in one line: wrong token, unknown event, bad time', async () => {
    const [wrong, missing, badTime] = await Promise.all([
      runFilab(['destinations', '--url', t.url], { cwd: t.dir, env: { ADMIN_TOKEN: 'nope' } }),
      filab('replay', 'msg_nope'),
      filab('events', 'list', '--since', 'yesterday-ish'),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("[ERROR] 401 unauthorized: Missing or invalid admin token (set ADMIN_TOKEN to the server's token)\n");
    expect(missing).toMatchObject({ code: 1, stderr: '[ERROR] 404 not_found: No event msg_nope\n' });
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toMatch(/cannot read "yesterday-ish" as a time/);
  });
});
