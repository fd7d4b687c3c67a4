import { StorageUnavailableError } from './storage-error.ts';

/**
 * The store cannot commit right now for a reason it names in its own words (never a driver's message, which may
 * hold a connection string), e.g. its SQLite writer thread is restarting. Ingest answers it like any storage
 * failure (503 + Retry-After); /ready shows the reason.
 */
export class StoreDownError extends StorageUnavailableError {
  constructor(readonly reason: string) {
    super(new Error(reason));
  }
}
