/** Strict body decoding shared by providers: UTF-8 that is really UTF-8, then JSON that is an object. */
import { isAscii, isUtf8 } from 'node:buffer';

/**
 * The body as text, or null when it is not valid UTF-8 (form bodies and templates go through this).
 * isUtf8 + toString is about twice as fast as a fatal TextDecoder on the ingest hot path; like the decoder,
 * a leading BOM is dropped.
 */
export function decodeUtf8(body: Buffer): string | null {
  // Most webhook bodies are ASCII (JSON escapes the rest): then latin1 gives the same string, at half the cost.
  if (isAscii(body)) return body.toString('latin1');
  if (!isUtf8(body)) return null;
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object, or null for non-UTF-8 bytes, invalid JSON, or a non-object top level. */
export function parseJsonObject(body: Buffer): JsonObject | null {
  const text = decodeUtf8(body);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string of at most `max` characters, else null. Event keys and types go through this. */
export function nonEmptyString(value: unknown, max = 255): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

/** Read a value by RFC 6901 JSON pointer (`/data/object/id`); undefined when absent. */
export function readPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = /^\d+$/.test(token) ? node[Number(token)] : undefined;
    else if (isObject(node)) node = Object.hasOwn(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A provider's creation time as whole seconds: a safe non-negative integer of seconds, or an RFC 3339 string
 * (Square, Paddle, GoCardless and Adyen send those). Anything else is null: createdAt is informative, never a
 * reason to reject.
 */
export function epochSeconds(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string' || !RFC3339.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
