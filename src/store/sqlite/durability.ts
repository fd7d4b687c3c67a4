/**
 * Does every SQLite connection that writes commit durably? A commit is on disk when it returns only in WAL mode
 * with synchronous=FULL (or EXTRA); NORMAL in WAL mode can lose the last commits on power loss. openSqlite sets
 * both, but a connection opened elsewhere (the checkpointer's, the writer thread's) must say so itself: each one
 * reports what its own connection answers.
 */
import type { SqliteDb } from './open.ts';

/** What one connection answers to PRAGMA synchronous (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) and PRAGMA journal_mode. */
export interface ConnectionSettings {
  synchronous: number;
  journalMode: string;
}

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
const FULL = 2;

export function readConnectionSettings(db: SqliteDb): ConnectionSettings {
  return {
    synchronous: Number(db.pragma('synchronous', { simple: true })),
    journalMode: String(db.pragma('journal_mode', { simple: true })).toLowerCase(),
  };
}

/** Why a connection named here does not commit durably, or null when every one does. */
export function settingsProblem(connections: Record<string, ConnectionSettings>): string | null {
  const problems = Object.entries(connections).flatMap(([name, s]) => [
    ...(s.synchronous >= FULL ? [] : [`SQLite ${name} runs with synchronous=${SYNCHRONOUS_NAMES[s.synchronous] ?? s.synchronous} (durable commits need FULL)`]),
    ...(s.journalMode === 'wal' ? [] : [`SQLite ${name} runs with journal_mode=${s.journalMode} (the inbox needs wal)`]),
  ]);
  return problems.length > 0 ? problems.join('; ') : null;
}
