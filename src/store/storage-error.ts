/**
 * Storage failed in a way a retry may cure (a lock, a lost connection, a full disk, a restarting writer thread).
 * A storage error, not an HTTP one: the HTTP edge (the ingest front door, Fastify's error handler) answers it with
 * 503 `storage_unavailable` and Retry-After, so the provider retries; the worker and the CLI treat it as theirs.
 */
export class StorageUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('Storage unavailable, retry later', { cause });
    this.name = 'StorageUnavailableError';
  }
}
