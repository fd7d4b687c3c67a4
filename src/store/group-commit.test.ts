import { describe, expect, it } from 'vitest';
import { makeGroupCommit, type Settled } from './group-commit.ts';

describe('makeGroupCommit', () => {
  it('writes the items of one tick as one group, and items submitted while it is written as the next', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const firstWritten = new Promise<void>((r) => (release = r));
    const commits = makeGroupCommit(async (args: number[]): Promise<Settled<number>[]> => {
      groups.push(args);
      if (groups.length === 1) await firstWritten;
      return args.map((a) => ({ ok: true, value: a * 10 }));
    });
    const first = [1, 2, 3].map(commits.submit);
    await new Promise((r) => setImmediate(r));
    const second = [4, 5].map(commits.submit);
    await new Promise((r) => setTimeout(r, 10));
    expect(groups).toEqual([[1, 2, 3]]); // the second group waits for the first
    expect(commits.pending()).toBe(5);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(commits.pending()).toBe(0);
  });

  it('rejects only the item that failed alone, and every item when the group fails', async () => {
    let failGroup = false;
    const commits = makeGroupCommit((args: number[]): Settled<number>[] => {
      if (failGroup) throw new Error('commit failed');
      return args.map((a) => (a < 0 ? { ok: false, error: new Error(`bad ${a}`) } : { ok: true, value: a }));
    });
    expect(await Promise.allSettled([1, -2, 3].map(commits.submit))).toMatchObject([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: { message: 'bad -2' } },
      { status: 'fulfilled', value: 3 },
    ]);
    failGroup = true;
    const results = await Promise.allSettled([4, 5].map(commits.submit));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('bounds a group by units without splitting an item, runs up to maxInFlight groups at once, and reports each', async () => {
    const reported: [number, boolean][] = [];
    let inFlight = 0;
    let most = 0;
    const commits = makeGroupCommit(
      async (items: string[][]) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return items.map((i) => ({ ok: true as const, value: i.length }));
      },
      { maxBatch: 4, size: (i) => i.length, maxInFlight: 2, onCommit: (units, _s, ok) => reported.push([units, ok]) },
    );
    await Promise.all([['a', 'b', 'c'], ['d', 'e'], ['f'], ['g', 'h', 'i', 'j', 'k']].map(commits.submit));
    expect(reported).toEqual([
      [3, true],
      [3, true],
      [5, true],
    ]);
    expect(most).toBe(2);
  });
});
