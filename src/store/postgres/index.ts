/** The PostgreSQL backend: a pool per process, many processes per database, LISTEN/NOTIFY to wake workers. */
import { makeCommitRelay } from '../group-commit.ts';
import type { Store } from '../types.ts';
import { makePostgresAudit } from './audit.ts';
import { makePostgresDeliveries } from './deliveries.ts';
import { makePostgresEvents } from './events.ts';
import { commitDurabilityProblem } from './durability.ts';
import { makeDueListener } from './listen.ts';
import { migratePostgres, pendingPostgresMigrations } from './migrate.ts';
import { makeDb } from './pool.ts';
import { makePostgresViews } from './views.ts';

export interface PostgresOptions {
  url: string;
  /** Connections in this process's pool (default 10); LISTEN uses one more. */
  poolSize?: number;
  /** Connection-level errors that nobody awaits (idle connection killed, LISTEN dropped); default: ignore. */
  onConnectionError?: (err: unknown) => void;
}

export async function makePostgresStore(options: PostgresOptions): Promise<Store> {
  const onError = options.onConnectionError ?? (() => {});
  const db = makeDb(options.url, options.poolSize ?? 10, onError);
  const due = makeDueListener(options.url, onError);
  const events = makePostgresEvents(db);
  const commits = makeCommitRelay();
  let closed = false;
  return {
    kind: 'postgres',
    migrate: async () => void (await migratePostgres(options.url)),
    ping: async () => void (await db.query('SELECT 1')),
    pendingMigrations: () => pendingPostgresMigrations(db),
    // On a pooled connection, the kind that commits events: a role's or database's setting applies there.
    durabilityProblem: () => commitDurabilityProblem(db.query),
    close: async () => {
      if (closed) return;
      closed = true;
      await due.close();
      await db.end();
    },
    ...events,
    // The outbox created deliveries with these events: wake this process's workers at once (NOTIFY wakes the others).
    observeCommits: commits.observe,
    insertEvents: async (batch) => {
      // One call is one statement, one transaction (events.ts): report it as it ran.
      const started = performance.now();
      let committed = false;
      try {
        const outcomes = await events.insertEvents(batch);
        committed = true;
        if (batch.some((e, i) => outcomes[i]?.inserted && e.deliveries.length > 0)) due.wake();
        return outcomes;
      } finally {
        commits.report(batch.length, (performance.now() - started) / 1000, committed);
      }
    },
    subscribeDue: (listener) => due.subscribe(listener),
    ...makePostgresDeliveries(db, due.wake),
    ...makePostgresViews(db),
    ...makePostgresAudit(db),
  };
}
