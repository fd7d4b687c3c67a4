/**
 * Group commit for a write that many callers make concurrently (a worker recording attempts): calls made in
 * the same turn of the event loop share one IMMEDIATE transaction, so one disk sync instead of one each. Each
 * call runs in its own savepoint, so one that throws (a bug, a constraint) undoes only itself.
 */
import type { Transaction } from 'better-sqlite3';
import { toStorageError } from './errors.ts';
import type { SqliteDb } from './open.ts';

interface Call<A, R> {
  arg: A;
  resolve(value: R): void;
  reject(err: unknown): void;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export function grouped<A, R>(db: SqliteDb, each: Transaction<(arg: A) => R>): (arg: A) => Promise<R> {
  let queue: Call<A, R>[] = [];
  const runAll = db.transaction((calls: Call<A, R>[]) =>
    calls.map((call): Settled<R> => {
      try {
        return { ok: true, value: each(call.arg) };
      } catch (error) {
        // SQLite rolled the whole transaction back (I/O error, full disk): fail the group, commit nothing more.
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  const flush = () => {
    const calls = queue;
    queue = [];
    try {
      runAll.immediate(calls).forEach((settled, i) => (settled.ok ? calls[i]!.resolve(settled.value) : calls[i]!.reject(toStorageError(settled.error))));
    } catch (err) {
      const error = toStorageError(err);
      for (const call of calls) call.reject(error);
    }
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (queue.push({ arg, resolve, reject }) === 1) setImmediate(flush);
    });
}
