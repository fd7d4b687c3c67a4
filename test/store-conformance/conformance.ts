/**
 * The Store contract (src/store/types.ts), one suite for every backend: sqlite.test.ts and postgres.test.ts
 * run it. Each test gets an empty store from `fresh()`; the suite closes it after the test.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { Store } from '../../src/store/types.ts';
import { bookkeepingContract } from './bookkeeping-contract.ts';
import { deliveryContract } from './deliveries-contract.ts';
import { eventContract } from './events-contract.ts';
import { replayAndAuditContract } from './replay-audit-contract.ts';

export interface StoreHarness {
  setup?(): Promise<void>;
  /** An empty, migrated store. */
  fresh(): Promise<Store>;
  /** Run SQL directly on the database of the store `fresh` returned last (to tamper with rows as an intruder would). */
  execute(sql: string): Promise<void>;
  teardown?(): Promise<void>;
}

export type OpenStore = () => Promise<Store>;
export type ExecuteSql = (sql: string) => Promise<void>;

export function describeStoreConformance(name: string, harness: StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    const open: Store[] = [];
    beforeAll(async () => harness.setup?.());
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    afterAll(async () => harness.teardown?.());
    const openStore: OpenStore = async () => {
      const store = await harness.fresh();
      open.push(store);
      return store;
    };
    eventContract(openStore);
    deliveryContract(openStore);
    bookkeepingContract(openStore);
    replayAndAuditContract(openStore, (sql) => harness.execute(sql));
  });
}
