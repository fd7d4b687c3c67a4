/** Pick the backend from config: PostgreSQL when DATABASE_URL is set, else embedded SQLite. */
import type { Config } from '../config/types.ts';
import { makeSqliteStore } from './sqlite/index.ts';
import type { Store } from './types.ts';

export async function openStore(config: Pick<Config, 'databasePath' | 'databaseUrl'> & Partial<Pick<Config, 'databasePoolSize'>>): Promise<Store> {
  if (config.databaseUrl) {
    const { makePostgresStore } = await import('./postgres/index.ts');
    const store = await makePostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize ?? 10 });
    await store.migrate();
    return store;
  }
  return makeSqliteStore(config.databasePath);
}
