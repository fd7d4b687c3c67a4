/**
 * Admin service functions: what the admin API, the CLI (through the API) and the dashboard can see and do.
 * They act through the Store only (never their own SQL) and answer in the admin API's JSON shapes.
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import { ApiError } from '../errors.ts';
import { InvalidCursorError } from '../store/cursor.ts';
import type { DeliveryQuery, DeliveryStatus, EventQuery, Store } from '../store/types.ts';
import { presentDeliveryListItem, presentDestination, presentEvent, presentEventDetail, presentSource } from './present.ts';

export interface AdminDeps {
  store: Store;
  /** Sources and destinations as running (handler destinations included). */
  config: Pick<Config, 'sources' | 'destinations'>;
  clock: Clock;
}

const ALL_STATUSES: DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

async function paged<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new ApiError('invalid_query', 'Invalid cursor');
    throw err;
  }
}

export async function listEvents(deps: AdminDeps, query: EventQuery) {
  const page = await paged(() => deps.store.listEvents(query));
  return { events: page.items.map(presentEvent), next_cursor: page.nextCursor };
}

export async function getEvent(deps: AdminDeps, id: string) {
  const event = await deps.store.getEvent(id);
  if (!event) throw new ApiError('not_found', `No event ${id}`);
  return presentEventDetail(event);
}

function requireDestination(deps: AdminDeps, name: string) {
  const destination = deps.config.destinations.find((d) => d.name === name);
  if (!destination) throw new ApiError('not_found', `No destination named ${name}`);
  return destination;
}

/** Replay: one extra attempt per delivery of the event (or of one destination), whatever their status. */
export async function replayEvent(deps: AdminDeps, id: string, destination?: string) {
  if (destination !== undefined) requireDestination(deps, destination);
  if (!(await deps.store.getEvent(id))) throw new ApiError('not_found', `No event ${id}`);
  const requeued = await deps.store.requeueDeliveries({
    now: deps.clock.now(),
    statuses: ALL_STATUSES,
    eventId: id,
    manual: true,
    ...(destination !== undefined ? { destination } : {}),
  });
  return { requeued };
}

export async function listDeliveries(deps: AdminDeps, query: DeliveryQuery) {
  const page = await paged(() => deps.store.listDeliveries(query));
  return { deliveries: page.items.map(presentDeliveryListItem), next_cursor: page.nextCursor };
}

export interface RetryFilter {
  statuses: DeliveryStatus[];
  destination?: string;
  source?: string;
  since?: number;
  until?: number;
  limit?: number;
}

/** Bulk retry: matching dead/failed deliveries start their schedule again, due now. */
export async function retryDeliveries(deps: AdminDeps, filter: RetryFilter) {
  if (filter.destination !== undefined) requireDestination(deps, filter.destination);
  const requeued = await deps.store.requeueDeliveries({ ...filter, now: deps.clock.now(), manual: false });
  return { requeued };
}

export async function listDestinations(deps: AdminDeps) {
  const [states, counts] = await Promise.all([deps.store.listDestinationStates(), deps.store.destinationCounts()]);
  return {
    destinations: deps.config.destinations.map((d) =>
      presentDestination(
        d,
        states.find((s) => s.name === d.name),
        counts.find((c) => c.destination === d.name),
      ),
    ),
  };
}

export async function setDestinationEnabled(deps: AdminDeps, name: string, enabled: boolean) {
  requireDestination(deps, name);
  await deps.store.setDestinationDisabled(name, !enabled, enabled ? null : 'disabled by an operator', deps.clock.now());
  return (await listDestinations(deps)).destinations.find((d) => d.name === name)!;
}

export async function stats(deps: AdminDeps) {
  const s = await deps.store.stats();
  return {
    events: s.events,
    deliveries: s.deliveries,
    oldest_pending_age_seconds: s.oldestPendingAt === null ? null : Math.max(0, Math.floor((deps.clock.now() - s.oldestPendingAt) / 1000)),
  };
}

export function listSources(deps: AdminDeps) {
  return { sources: deps.config.sources.map(presentSource) };
}
