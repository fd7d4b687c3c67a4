/**
 * How one write of a group fails alone, in a form that crosses to and from the writer thread: a failure is its
 * SQLite code and message (an Error object would not survive structured cloning with its code), turned back into
 * StorageUnavailableError or the bug it is on the caller's side (toStorageError).
 */
import type { Transaction } from 'better-sqlite3';
import { toStorageError } from './errors.ts';
import type { SqliteDb } from './open.ts';

export interface WriteFailure {
  code?: string;
  message: string;
}

export type WriteSettled<R> = { ok: true; value: R } | { ok: false; error: WriteFailure };

export function toWriteFailure(err: unknown): WriteFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  return { ...(typeof code === 'string' ? { code } : {}), message: typeof e?.message === 'string' ? e.message : String(err) };
}

/** The caller-side error for a failure: StorageUnavailableError when a retry may cure it, else the bug itself. */
export function fromWriteFailure(failure: WriteFailure): unknown {
  return toStorageError(Object.assign(new Error(failure.message), failure.code === undefined ? {} : { code: failure.code }));
}

/**
 * Run `each` for every argument in ONE immediate transaction, each in its own savepoint (better-sqlite3 nests a
 * transaction as one), so a call that throws (a bug, a constraint) undoes only itself. A failure that ends the
 * transaction (I/O error, full disk) fails the whole group: it throws and nothing is committed.
 */
export function settleEach<A, R>(db: SqliteDb, each: Transaction<(arg: A) => R>): (args: A[]) => WriteSettled<R>[] {
  const runAll = db.transaction((args: A[]) =>
    args.map((arg): WriteSettled<R> => {
      try {
        return { ok: true, value: each(arg) };
      } catch (error) {
        if (!db.inTransaction) throw error;
        return { ok: false, error: toWriteFailure(error) };
      }
    }),
  );
  return (args) => runAll.immediate(args);
}
