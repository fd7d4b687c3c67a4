/** Start a real inbox on a real socket with a fresh SQLite file, for integration tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createInbox, type Handlers, type Inbox, type InboxOptions } from '../../src/inbox.ts';
import { REDACT_PATHS } from '../../src/log.ts';

export interface TestInbox {
  inbox: Inbox;
  url: string;
  dir: string;
  /** Every log line the inbox wrote, for assertions (e.g. no secret ever appears). */
  logs: string[];
  close(): Promise<void>;
}

export interface TestInboxOptions {
  env?: Record<string, string>;
  /** YAML written to <dir>/filab.yaml before loading. */
  yaml?: string;
  clock?: Clock;
  /** Log here instead of the captured debug logger (then `logs` stays empty). */
  logger?: pino.Logger;
  /** Run the delivery worker (default true). */
  worker?: boolean;
  /** Build the worker but do not start it (tests drive it with an injected clock). */
  startWorker?: boolean;
  handlers?: Handlers;
  /** Jitter source for the retry schedule (fixed in tests that check exact times). */
  random?: InboxOptions['random'];
}

export function makeTempDir(prefix = 'filab-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestInbox(options: TestInboxOptions = {}): Promise<TestInbox> {
  const dir = makeTempDir();
  if (options.yaml) writeFileSync(join(dir, 'filab.yaml'), options.yaml);
  const config = loadConfig({ env: { DATABASE_PATH: join(dir, 'app.db'), LOG_LEVEL: 'debug', ...options.env }, cwd: dir });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = options.logger ?? pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const inbox = await createInbox({
    config,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.worker !== undefined ? { worker: options.worker } : {}),
    ...(options.startWorker !== undefined ? { startWorker: options.startWorker } : {}),
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const url = await inbox.listen(0);
  return {
    inbox,
    url,
    dir,
    logs,
    async close() {
      await inbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
