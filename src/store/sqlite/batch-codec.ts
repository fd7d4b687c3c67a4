/**
 * How a batch of events crosses to the writer thread. Structured cloning walks every object (headers,
 * deliveries) and copies each payload's whole backing pool; it was a tenth of the event loop's time under load.
 * Instead: each event's payload and headers JSON are laid end to end in one ArrayBuffer that is transferred
 * (moved, not copied), and the rest is one JSON string, which V8 writes and reads on its fast paths.
 */
import type { StorableEvent } from '../storable.ts';

export interface EncodedBatch {
  meta: string;
  bytes: ArrayBuffer;
}

/** Positional, to keep the string short: the event's scalar fields, then the lengths of its two byte runs. */
type EventRow = [
  id: string,
  source: string,
  eventKey: string,
  eventType: string,
  providerCreatedAt: number | null,
  receivedAt: number,
  payloadSha256: string,
  secretLabel: string | null,
  contentDigest: string | null,
  deliveries: StorableEvent['deliveries'],
  contentHash: string,
  payloadLength: number,
  headersLength: number,
];

export function encodeBatch(events: readonly StorableEvent[]): EncodedBatch {
  let total = 0;
  for (const e of events) total += e.payload.length + Buffer.byteLength(e.headersJson, 'utf8');
  const bytes = Buffer.from(new ArrayBuffer(total));
  const rows: EventRow[] = [];
  let at = 0;
  for (const e of events) {
    bytes.set(e.payload, at);
    at += e.payload.length;
    const headersLength = bytes.write(e.headersJson, at, 'utf8');
    at += headersLength;
    rows.push([
      e.id,
      e.source,
      e.eventKey,
      e.eventType,
      e.providerCreatedAt,
      e.receivedAt,
      e.payloadSha256,
      e.secretLabel,
      e.contentDigest,
      e.deliveries,
      e.contentHash,
      e.payload.length,
      headersLength,
    ]);
  }
  return { meta: JSON.stringify(rows), bytes: bytes.buffer as ArrayBuffer };
}

export function decodeBatch(batch: EncodedBatch): StorableEvent[] {
  const rows = JSON.parse(batch.meta) as EventRow[];
  const bytes = Buffer.from(batch.bytes);
  let at = 0;
  return rows.map(
    ([
      id,
      source,
      eventKey,
      eventType,
      providerCreatedAt,
      receivedAt,
      payloadSha256,
      secretLabel,
      contentDigest,
      deliveries,
      contentHash,
      payloadLength,
      headersLength,
    ]) => {
      const payload = bytes.subarray(at, at + payloadLength);
      at += payloadLength;
      const headersJson = bytes.toString('utf8', at, at + headersLength);
      at += headersLength;
      return {
        id,
        source,
        eventKey,
        eventType,
        providerCreatedAt,
        receivedAt,
        payload,
        headersJson,
        payloadSha256,
        secretLabel,
        contentDigest,
        deliveries,
        contentHash,
      };
    },
  );
}
