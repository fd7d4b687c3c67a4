/**
 * The counts by status that stats and the health view read (event_counts, delivery_counts: migration 006), kept by
 * the writes that change a status, in the same transaction. Triggers kept them until migrations 007 and 009: a
 * statement that fires a trigger journals every page it touches first, and for an attempt record (a delivery and
 * its event change status) that was a fifth of the writer's work. Deleting rows (retention) still counts by trigger.
 * Tombstones (pruned_at set) are not events and are not counted.
 */
import type { SqliteDb } from './open.ts';

export function makeStatusCounts(db: SqliteDb) {
  const addEvents = db.prepare('INSERT INTO event_counts (status, n) VALUES (?, ?) ON CONFLICT (status) DO UPDATE SET n = n + excluded.n');
  const addDeliveries = db.prepare(
    'INSERT INTO delivery_counts (destination, status, n) VALUES (?, ?, ?) ON CONFLICT (destination, status) DO UPDATE SET n = n + excluded.n',
  );
  return {
    /** `n` live events entered `status` (new ones: 'received'), or left it (negative n). */
    events(status: string, n: number): void {
      if (n !== 0) addEvents.run(status, n);
    },
    /** `n` deliveries to `destination` entered `status` (new ones: 'pending'), or left it (negative n). */
    deliveries(destination: string, status: string, n: number): void {
      if (n !== 0) addDeliveries.run(destination, status, n);
    },
    /** A live event moved from one status to another. */
    eventMoved(from: string, to: string): void {
      if (from === to) return;
      addEvents.run(from, -1);
      addEvents.run(to, 1);
    },
    /** `n` deliveries to `destination` moved from one status to another. */
    deliveriesMoved(destination: string, from: string, to: string, n = 1): void {
      if (from === to || n === 0) return;
      addDeliveries.run(destination, from, -n);
      addDeliveries.run(destination, to, n);
    },
  };
}

export type StatusCounts = ReturnType<typeof makeStatusCounts>;
