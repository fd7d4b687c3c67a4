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
  const headersJson = JSON.stringify(e.headers);
  const contentDigest = e.contentDigest ?? null;
  return {
    id: e.id,
    source: e.source,
    eventKey: e.eventKey,
    eventType: e.eventType,
    providerCreatedAt: e.providerCreatedAt,
    receivedAt: e.receivedAt,
    payload: e.payload,
    headersJson,
    payloadSha256: e.payloadSha256,
    secretLabel: e.secretLabel,
    contentDigest,
    deliveries: e.deliveries,
    contentHash: eventContentHash({ ...e, headersJson, contentDigest }, e.payloadSha256),
  };
}
