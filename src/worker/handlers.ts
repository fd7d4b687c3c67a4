/**
 * In-process handlers, for users embedding the inbox as a library. A handler destination has the same retry,
 * dead-letter, ordering and replay semantics as an HTTP one: resolving = delivered, throwing (or timing out) =
 * a failed attempt, retried on the destination's schedule.
 */
import type { DestinationConfig } from '../config/types.ts';
import { DEFAULT_RETRY_SCHEDULE } from '../config/load.ts';
import { parseJsonObject } from '../providers/json.ts';
import type { ClaimedDelivery } from '../store/types.ts';

/** What a handler receives. `webhookId` is what an HTTP receiver would get in `webhook-id`: dedupe on it. */
export interface InboxEvent {
  /** Internal event id (`msg_...`), the same on every attempt and replay: the idempotency key. */
  webhookId: string;
  source: string;
  /** The provider's own event id (Stripe `evt_...`, ...). */
  eventKey: string;
  type: string;
  receivedAt: Date;
  /** The raw bytes the provider signed. */
  payload: Buffer;
  /** The payload parsed as a JSON object, or null when it is not one. */
  data: Record<string, unknown> | null;
  deliveryId: string;
  destination: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** True for a replay requested by an operator. */
  manual: boolean;
  /** Aborted when the attempt times out or the worker shuts down. */
  signal: AbortSignal;
}

export type EventHandler = (event: InboxEvent) => unknown;
export type Handlers = Readonly<Record<string, EventHandler>>;

export function toInboxEvent(claimed: ClaimedDelivery, signal: AbortSignal): InboxEvent {
  return {
    webhookId: claimed.eventId,
    source: claimed.source,
    eventKey: claimed.eventKey,
    type: claimed.eventType,
    receivedAt: new Date(claimed.receivedAt),
    payload: claimed.payload,
    data: parseJsonObject(claimed.payload),
    deliveryId: claimed.id,
    destination: claimed.destination,
    attempt: claimed.attemptNumber,
    manual: claimed.manual,
    signal,
  };
}

/** Run a handler with a timeout; resolves to null on success or the error text. */
export async function runHandler(handler: EventHandler, event: Omit<InboxEvent, 'signal'>, timeoutMs: number, outer?: AbortSignal): Promise<string | null> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new Error('aborted (worker shutting down)'));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      resolve(`timeout after ${timeoutMs} ms`);
    }, timeoutMs);
  });
  try {
    const run = Promise.resolve()
      .then(() => handler({ ...event, signal: controller.signal }))
      .then(
        () => null,
        (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000),
      );
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * Destinations for handlers that no configured destination names: each becomes a destination of its own,
 * named after the handler, receiving the event types matching its name as a glob (`'charge.*'` works).
 * So `createInbox({ config, handlers: { 'payment_intent.succeeded': fn } })` needs no config entry.
 */
export function implicitHandlerDestinations(destinations: readonly DestinationConfig[], handlers: Handlers): DestinationConfig[] {
  const bound = new Set(destinations.map((d) => d.handler).filter((h): h is string => h !== null));
  const taken = new Set(destinations.map((d) => d.name));
  return Object.keys(handlers)
    .filter((name) => !bound.has(name) && !taken.has(name))
    .map((name) => ({
      name,
      url: null,
      handler: name,
      sources: [],
      eventTypes: [name],
      signingSecret: null,
      timeoutMs: 30_000,
      maxInFlight: 16,
      retrySchedule: DEFAULT_RETRY_SCHEDULE,
      headers: {},
      orderingKey: null,
    }));
}
