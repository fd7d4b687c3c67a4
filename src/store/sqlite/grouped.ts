/**
 * Group commit on SQLite for a write many callers make at once (see ../group-per-tick.ts): the group is one
 * IMMEDIATE transaction, and each call runs in its own savepoint, so one that throws (a bug, a constraint)
 * undoes only itself.
 */
import type { Transaction } from 'better-sqlite3';
import { groupPerTick, type Settled } from '../group-per-tick.ts';
import { toStorageError } from './errors.ts';
import type { SqliteDb } from './open.ts';

export function grouped<A, R>(db: SqliteDb, each: Transaction<(arg: A) => R>): (arg: A) => Promise<R> {
  const runAll = db.transaction((args: A[]) =>
    args.map((arg): Settled<R> => {
      try {
        return { ok: true, value: each(arg) };
      } catch (error) {
        // SQLite rolled the whole transaction back (I/O error, full disk): fail the group, commit nothing more.
        if (!db.inTransaction) throw error;
        return { ok: false, error: toStorageError(error) };
      }
    }),
  );
  return groupPerTick((args: A[]) => {
    try {
      return runAll.immediate(args);
    } catch (err) {
      throw toStorageError(err);
    }
  });
}
