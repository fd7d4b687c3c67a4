/**
 * Does a commit on this connection reach disk before COMMIT returns? PostgreSQL answers COMMIT early when
 * synchronous_commit is off (set per server, database, role or session), and never reaches disk safely with
 * fsync or full_page_writes off. The inbox answers 200 right after COMMIT, so it checks these on the pool's own
 * connections (the ones that commit events) rather than trusting the server's defaults.
 */
import type { Query } from './pool.ts';

const DURABLE_SYNCHRONOUS_COMMIT = ['on', 'remote_write', 'remote_apply'];
const SETTINGS = ['synchronous_commit', 'fsync', 'full_page_writes'];

export interface SettingRow {
  name: string;
  /** What SHOW answers on this session. */
  setting: string;
  /** Where it came from: 'default', 'configuration file', 'database', 'user', 'database user', 'client', 'session', ... */
  source: string;
  database: string;
  role: string;
}

/** Why commits on this connection are not durable, with how to fix it, or null when they are. */
export async function commitDurabilityProblem(query: Query): Promise<string | null> {
  // pg_settings holds the session's values, as SHOW reports them, plus where each was set.
  const { rows } = await query<SettingRow & Record<string, unknown>>(
    'SELECT name, setting, source, current_database() AS database, current_user AS role FROM pg_settings WHERE name = ANY($1)',
    [SETTINGS],
    'filab_durability_settings',
  );
  return unsafeSettingsProblem(rows);
}

/** The problem with these session settings (rows of pg_settings), or null when commits are durable. */
export function unsafeSettingsProblem(rows: SettingRow[]): string | null {
  const problems = rows.flatMap((row) => {
    const durable = row.name === 'synchronous_commit' ? DURABLE_SYNCHRONOUS_COMMIT.includes(row.setting) : row.setting === 'on';
    return durable ? [] : [describe(row)];
  });
  return problems.length > 0 ? problems.join('; ') : null;
}

function describe(row: SettingRow): string {
  const durable = row.name === 'synchronous_commit' ? 'on, remote_write or remote_apply' : 'on';
  return (
    `PostgreSQL ${row.name} is '${row.setting}' on the inbox's connection (set by: ${row.source}; durable: ${durable}), ` +
    `so a 200 could be sent before the event is on disk. Fix: ${fixFor(row)}, then restart the inbox`
  );
}

/** The statement that undoes the setting where it was made. Server-wide settings live in postgresql.conf. */
function fixFor({ name, source, database, role }: SettingRow): string {
  const db = quoteIdent(database);
  const user = quoteIdent(role);
  if (name !== 'synchronous_commit') return `set ${name} = on in postgresql.conf (server-wide) and reload PostgreSQL`;
  switch (source) {
    case 'database':
      return `ALTER DATABASE ${db} SET synchronous_commit = on`;
    case 'user':
      return `ALTER ROLE ${user} SET synchronous_commit = on`;
    case 'database user':
      return `ALTER ROLE ${user} IN DATABASE ${db} SET synchronous_commit = on`;
    case 'client':
    case 'session':
      return 'remove synchronous_commit from the connection options (options= in DATABASE_URL, PGOPTIONS)';
    default:
      return `set synchronous_commit = on in postgresql.conf and reload PostgreSQL (or ALTER DATABASE ${db} SET synchronous_commit = on)`;
  }
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
