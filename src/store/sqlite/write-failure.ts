/**
 * How one write of a group fails alone, in a form that crosses to and from the writer thread: a failure is its
 * SQLite code and message (an Error object would not survive structured cloning with its code), turned back into
 * StorageUnavailableError or the bug it is on the caller's side (toStorageError).
 */
import { toStorageError } from './errors.ts';

export interface WriteFailure {
  code?: string;
  message: string;
}

export function toWriteFailure(err: unknown): WriteFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  return { ...(typeof code === 'string' ? { code } : {}), message: typeof e?.message === 'string' ? e.message : String(err) };
}

/** The caller-side error for a failure: StorageUnavailableError when a retry may cure it, else the bug itself. */
export function fromWriteFailure(failure: WriteFailure): unknown {
  return toStorageError(Object.assign(new Error(failure.message), failure.code === undefined ? {} : { code: failure.code }));
}
