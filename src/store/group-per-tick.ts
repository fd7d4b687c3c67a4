/**
 * Group commit for a write that many callers make concurrently (a worker recording attempts): the calls made
 * while no group is being written are gathered until the next turn of the event loop and written together, in
 * one transaction (one disk sync instead of one each). One group is written at a time; calls made meanwhile
 * form the next. `writeGroup` answers each call on its own (a call that failed alone is rejected alone); if it
 * throws, the whole group failed and every call in it is rejected.
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export function groupPerTick<A, R>(writeGroup: (args: A[]) => Settled<R>[] | Promise<Settled<R>[]>): (arg: A) => Promise<R> {
  let waiting: { arg: A; resolve(value: R): void; reject(err: unknown): void }[] = [];
  let writing = false;
  const schedule = () => setImmediate(() => void writeWaiting());

  async function writeWaiting(): Promise<void> {
    if (writing || waiting.length === 0) return;
    writing = true;
    const calls = waiting;
    waiting = [];
    try {
      const settled = await writeGroup(calls.map((c) => c.arg));
      settled.forEach((s, i) => (s.ok ? calls[i]!.resolve(s.value) : calls[i]!.reject(s.error)));
    } catch (err) {
      for (const call of calls) call.reject(err);
    } finally {
      writing = false;
      if (waiting.length > 0) schedule();
    }
  }

  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (waiting.push({ arg, resolve, reject }) === 1) schedule();
    });
}
