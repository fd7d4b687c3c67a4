import { StorageUnavailableError } from '../storage-error.ts';

/**
 * SQLite failures a retry may cure (lock held too long, disk full or read-only, I/O error) become
 * StorageUnavailableError, which ingest answers with 503 + Retry-After. Anything else is a bug and stays itself.
 */
const RETRYABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

export function toStorageError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE.test(code)) return new StorageUnavailableError(err);
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) return new StorageUnavailableError(err);
  return err;
}

/** Run a synchronous better-sqlite3 call, translating retryable failures. */
export function guarded<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(toStorageError(err));
  }
}
