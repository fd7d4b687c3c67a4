/** Strict body decoding shared by providers: UTF-8 that is really UTF-8, then JSON that is an object. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object, or null for non-UTF-8 bytes, invalid JSON, or a non-object top level. */
export function parseJsonObject(body: Buffer): JsonObject | null {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return null;
  }
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
    else if (isObject(node)) node = Object.prototype.hasOwnProperty.call(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}
