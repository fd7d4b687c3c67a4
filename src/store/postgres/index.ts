/** PostgreSQL backend (see the PostgreSQL issue). */
import type { Store } from '../types.ts';

export interface PostgresOptions {
  url: string;
  poolSize?: number;
}

export async function makePostgresStore(_options: PostgresOptions): Promise<Store> {
  throw new Error('PostgreSQL backend: not built yet');
}
