/** The outbox's routing: which destinations an event goes to, decided once at ingest. */
import type { DestinationConfig } from '../config/types.ts';
import { newId } from '../ids.ts';
import { parseJsonObject, readPointer } from '../providers/json.ts';
import type { NewDelivery } from '../store/types.ts';

/** `charge.*` matches `charge.succeeded` and `charge.dispute.created`; `*` alone matches everything. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export interface DeliveryRouter {
  route(source: string, eventType: string, payload: Buffer, nowMs: number): NewDelivery[];
}

export function makeDeliveryRouter(destinations: readonly DestinationConfig[]): DeliveryRouter {
  const compiled = destinations.map((d) => ({
    name: d.name,
    orderingKey: d.orderingKey,
    sources: d.sources.map(globToRegExp),
    types: d.eventTypes.map(globToRegExp),
  }));
  return {
    route(source, eventType, payload, nowMs) {
      const matching = compiled.filter(
        (d) => (d.sources.length === 0 || d.sources.some((r) => r.test(source))) && (d.types.length === 0 || d.types.some((r) => r.test(eventType))),
      );
      if (matching.length === 0) return [];
      // Parse the payload only when a matching destination orders by a key inside it.
      const parsed = matching.some((d) => d.orderingKey) ? parseJsonObject(payload) : null;
      return matching.map((d) => {
        const value = d.orderingKey ? readPointer(parsed, d.orderingKey) : undefined;
        const orderingKey = typeof value === 'string' || typeof value === 'number' ? String(value) : null;
        return { id: newId('dlv', nowMs), destination: d.name, orderingKey };
      });
    },
  };
}
