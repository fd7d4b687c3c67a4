/** The connection pool and the two ways the backend talks to it: one statement, or one transaction. */
import pg from 'pg';
import { StorageUnavailableError } from '../storage-error.ts';
import { isConnectionFailure, toStorageError } from './errors.ts';

import type { Row } from '../rows.ts';
/** `name` makes it a prepared statement: parsed and planned once per connection instead of once per call. */
export type Query = <R extends Row = Row>(sql: string, params?: unknown[], name?: string) => Promise<pg.QueryResult<R>>;

export interface Db {
  /** One statement on any pooled connection. */
  query: Query;
  /**
   * BEGIN, fn, COMMIT on one connection; ROLLBACK on failure. Retryable failures become StorageUnavailableError.
   * `settings` (SET LOCAL statements) are sent with the BEGIN, in the same round trip.
   */
  tx<T>(fn: (query: Query) => Promise<T>, settings?: string): Promise<T>;
  end(): Promise<void>;
}

/** Channel for "deliveries may be due" (pg_notify / LISTEN), across every process on the database. */
export const DUE_CHANNEL = 'filab_due';

// bigint columns hold ms timestamps and sequence numbers, all far below 2^53: read them as numbers.
const INT8_OID = 20;
export const pgTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
} as pg.CustomTypesConfig;

/**
 * Connection settings shared by the pool, the LISTEN client and migrations. A statement or lock wait that
 * hangs is cut off (and answered 503) instead of holding a request open; a server that does not answer
 * fails the connect fast.
 */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types: pgTypes,
    options: '-c statement_timeout=10000 -c lock_timeout=5000 -c idle_in_transaction_session_timeout=30000',
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    application_name: 'filab',
  };
}

export function makeDb(url: string, poolSize: number, onError: (err: Error) => void): Db {
  const pool = new pg.Pool({ ...connectionConfig(url), max: poolSize, idleTimeoutMillis: 30_000 });
  // An idle connection killed by the server emits 'error' on the pool; a checked-out one on the client.
  // Without listeners either would crash the process. The pool drops broken clients and reconnects on demand.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));

  // Not getting a connection at all (server down, refusing connections, pool exhausted past the connect
  // timeout) is always "storage unavailable", whatever the server said.
  const connect = () => pool.connect().catch((err: unknown) => Promise.reject(new StorageUnavailableError(err)));

  const query: Query = async (sql, params, name) => {
    const client = await connect();
    try {
      const result = await client.query(name ? { name, text: sql, values: params } : { text: sql, values: params });
      client.release();
      return result;
    } catch (err) {
      client.release(isConnectionFailure(err) && err instanceof Error ? err : undefined);
      throw toStorageError(err);
    }
  };

  async function tx<T>(fn: (query: Query) => Promise<T>, settings?: string): Promise<T> {
    const client = await connect();
    const run: Query = (sql, params, name) => client.query(name ? { name, text: sql, values: params } : { text: sql, values: params });
    try {
      await client.query(settings ? `BEGIN; ${settings}` : 'BEGIN');
      const result = await fn(run);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      // A broken connection cannot roll back; destroy it rather than return it to the pool.
      const broken = !(await client.query('ROLLBACK').then(
        () => true,
        () => false,
      ));
      client.release(broken ? (err instanceof Error ? err : true) : undefined);
      throw toStorageError(err);
    }
  }

  return { query, tx, end: () => pool.end() };
}
