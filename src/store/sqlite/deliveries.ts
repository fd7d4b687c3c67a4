/**
 * Delivery bookkeeping on SQLite: claim with leases, attempts, requeue, destination states, stats.
 * Claiming runs in one IMMEDIATE transaction, which serialises claimers the way FOR UPDATE SKIP LOCKED does on PostgreSQL.
 */
import type { SqliteDb } from './open.ts';
import type { Store } from '../types.ts';

type DeliveryMethods = Pick<
  Store,
    | 'subscribeDue'
  | 'claimDeliveries'
  | 'completeAttempt'
  | 'releaseLeases'
  | 'requeueDeliveries'
  | 'listDeliveries'
  | 'destinationCounts'
  | 'activity'
  | 'listDestinationStates'
  | 'setDestinationDisabled'
  | 'stats'
>;

export function makeSqliteDeliveries(_db: SqliteDb): DeliveryMethods {
  const todo = (name: string) => () => Promise.reject(new Error(`sqlite ${name}: not built yet (delivery issue)`));
  return {
    subscribeDue: () => () => {},
    claimDeliveries: todo('claimDeliveries'),
    completeAttempt: todo('completeAttempt'),
    releaseLeases: todo('releaseLeases'),
    requeueDeliveries: todo('requeueDeliveries'),
    listDeliveries: todo('listDeliveries'),
    destinationCounts: todo('destinationCounts'),
    activity: todo('activity'),
    listDestinationStates: todo('listDestinationStates'),
    setDestinationDisabled: todo('setDestinationDisabled'),
    stats: todo('stats'),
  };
}
