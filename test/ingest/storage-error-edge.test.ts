/** Storage errors are the store's own type; only the HTTP edge turns them into 503 storage_unavailable. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { toApiError } from '../../src/http/error-handling.ts';
import { StorageUnavailableError } from '../../src/store/storage-error.ts';
import { StoreDownError } from '../../src/store/store-down.ts';

describe('StorageUnavailableError at the HTTP edge', () => {
  it('is no HTTP error, and the edge answers it 503 storage_unavailable with Retry-After', () => {
    const cause = new Error('SQLITE_BUSY: database is locked');
    const error = new StorageUnavailableError(cause);
    expect(error).not.toBeInstanceOf(ApiError);
    expect(error.cause).toBe(cause);
    const answer = toApiError(error);
    expect(answer.body()).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
    expect([answer.status, answer.retryAfterSeconds]).toEqual([503, 1]);
  });

  it('maps a store that is down (its own words stay in /ready, not in the answer) the same way', () => {
    const answer = toApiError(new StoreDownError('SQLite writer thread is restarting'));
    expect(answer.body()).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
  });

  it('answers anything unknown as a 500 without its message', () => {
    expect(toApiError(new Error('secret text')).body()).toEqual({ detail: 'Internal error', code: 'internal_error' });
  });
});
