import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import { describeStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'filab-conformance-'));
let n = 0;
describeStoreConformance('sqlite', {
  fresh: async () => makeSqliteStore(join(dir, `store-${++n}.db`)),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});
