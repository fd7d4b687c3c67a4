/**
 * Event-derived values (type, key, source, ids) go into outbound headers, and an event's type or key is
 * whatever the sender put in its body. A header value with a control or non-Latin-1 character makes
 * http.request throw, so every such value is percent-encoded: the string as UTF-8, then each byte outside
 * visible ASCII (0x21-0x7E), and '%' itself, as %XX. Plain visible-ASCII values without '%' are unchanged,
 * and any receiver decodes with decodeURIComponent (JavaScript) or urllib.parse.unquote (Python).
 */

/** Lone surrogates cannot be UTF-8: they become U+FFFD (as Buffer.from does), so encoding never throws. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x21-\x24\x26-\x7e]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
