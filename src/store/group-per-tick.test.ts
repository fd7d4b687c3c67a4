import { describe, expect, it } from 'vitest';
import { groupPerTick, type Settled } from './group-per-tick.ts';

describe('groupPerTick', () => {
  it('writes the calls of one tick as one group, and calls made while it is written as the next', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const firstWritten = new Promise<void>((r) => (release = r));
    const write = groupPerTick(async (args: number[]): Promise<Settled<number>[]> => {
      groups.push(args);
      if (groups.length === 1) await firstWritten;
      return args.map((a) => ({ ok: true, value: a * 10 }));
    });
    const first = [write(1), write(2), write(3)];
    await new Promise((r) => setImmediate(r));
    const second = [write(4), write(5)];
    await new Promise((r) => setTimeout(r, 10));
    expect(groups).toEqual([[1, 2, 3]]); // the second group waits for the first
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(groups).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('rejects only the call that failed alone, and every call when the group fails', async () => {
    let failGroup = false;
    const write = groupPerTick((args: number[]): Settled<number>[] => {
      if (failGroup) throw new Error('commit failed');
      return args.map((a) => (a < 0 ? { ok: false, error: new Error(`bad ${a}`) } : { ok: true, value: a }));
    });
    expect(await Promise.allSettled([write(1), write(-2), write(3)])).toMatchObject([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: { message: 'bad -2' } },
      { status: 'fulfilled', value: 3 },
    ]);
    failGroup = true;
    const results = await Promise.allSettled([write(4), write(5)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
