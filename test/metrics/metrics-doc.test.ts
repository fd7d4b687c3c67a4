import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeCommitQueue } from '../../src/ingest/commit-queue.ts';
import { attachQueueGauges, attachStoreGauges, makeMetrics } from '../../src/metrics.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import { makeTempDir } from '../helpers/inbox.ts';

it("docs/operations.md lists exactly the server's own metrics (prom-client's process and Node.js defaults aside)", async () => {
  const dir = makeTempDir();
  const store = makeSqliteStore(join(dir, 'app.db'));
  try {
    const metrics = makeMetrics();
    attachStoreGauges(metrics, store, systemClock);
    const { ingest } = loadConfig({ env: { DATABASE_PATH: join(dir, 'app.db') }, cwd: dir });
    attachQueueGauges(metrics, makeCommitQueue(store, ingest), ingest.maxPending);
    const registered = metrics.registry
      .getMetricsAsArray()
      .map((m) => m.name)
      .filter((name) => !/^filab_(process|nodejs)_/.test(name));
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Metrics'), doc.indexOf('\n## ', doc.indexOf('## Metrics') + 1));
    const documented = new Set([...table.matchAll(/`(filab_[a-z_]+)`/g)].map((m) => m[1]!).filter((name) => !/^filab_(process|nodejs)_$/.test(name)));
    expect(new Set(registered)).toEqual(documented);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
