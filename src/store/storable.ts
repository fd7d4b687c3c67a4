/**
 * An event in the form the stores write: headers as the JSON text stored, and the audit content hash. Both are
 * computed where the event is made, on the event loop: with SQLite the writer thread is the serial part of
 * ingest (one writer holds the lock), so it should do nothing but the writes themselves.
 */
import { eventContentHash } from '../audit/chain.ts';
import type { NewEvent } from './types.ts';

export interface StorableEvent extends Omit<NewEvent, 'headers' | 'contentDigest'> {
  headersJson: string;
  contentDigest: string | null;
  /** The audit content hash (version 2, src/audit/chain.ts). */
  contentHash: string;
}

export function toStorable(e: NewEvent): StorableEvent {
  const storable: StorableEvent = {
    id: e.id,
    source: e.source,
    eventKey: e.eventKey,
    eventType: e.eventType,
    providerCreatedAt: e.providerCreatedAt,
    receivedAt: e.receivedAt,
    payload: e.payload,
    headersJson: JSON.stringify(e.headers),
    payloadSha256: e.payloadSha256,
    secretLabel: e.secretLabel,
    contentDigest: e.contentDigest ?? null,
    deliveries: e.deliveries,
    contentHash: '',
  };
  // The storable event has every column the hash covers: no copy of the event (a spread of it cost more than
  // both hashes) is made for it.
  storable.contentHash = eventContentHash(storable, e.payloadSha256);
  return storable;
}
