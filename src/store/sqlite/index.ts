/** The embedded SQLite backend: one file, WAL, synchronous=FULL. */
import type { Store } from '../types.ts';
import { makeSqliteAudit } from './audit.ts';
import { makeSqliteDeliveries } from './deliveries.ts';
import { guarded } from './errors.ts';
import { makeSqliteEvents } from './events.ts';
import { migrateSqlite, openSqlite, pendingSqliteMigrations } from './open.ts';

export function makeSqliteStore(path: string): Store {
  const db = openSqlite(path);
  // Statements are prepared against the schema, so migrate before building them.
  migrateSqlite(db);
  const ping = db.prepare('SELECT 1');
  return {
    kind: 'sqlite',
    migrate: () => guarded(() => migrateSqlite(db)),
    ping: () => guarded(() => void ping.get()),
    pendingMigrations: () => guarded(() => pendingSqliteMigrations(db)),
    close: async () => {
      if (db.open) db.close();
    },
    ...makeSqliteEvents(db),
    ...makeSqliteDeliveries(db),
    ...makeSqliteAudit(db),
  };
}
