import { StorageUnavailableError } from '../storage-error.ts';

/**
 * PostgreSQL failures a retry may cure become StorageUnavailableError (ingest answers 503 + Retry-After):
 * the server is down, restarting or out of connections, the connection broke, or a timeout/lock wait gave up.
 * Anything else (a constraint we did not expect, bad SQL) is a bug and stays itself.
 */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// 57P01-03 shutdown/crash, 53300 too many connections, 57014 statement_timeout, 55P03 lock_timeout,
// 40001/40P01 serialization failure/deadlock, 25P03 idle-in-transaction timeout.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '57014', '55P03', '40001', '40P01', '25P03']);
const MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Connection timeout|not queryable|Cannot use a pool after calling end|ECONNREFUSED|ECONNRESET/i;

export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NODE_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true;
  // AggregateError (several addresses refused) carries its code on the inner errors.
  if (err instanceof AggregateError) return err.errors.some(isConnectionFailure);
  return err instanceof Error && MESSAGES.test(err.message);
}

export function toStorageError(err: unknown): unknown {
  if (err instanceof StorageUnavailableError) return err;
  return isConnectionFailure(err) ? new StorageUnavailableError(err) : err;
}
