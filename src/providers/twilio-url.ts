/**
 * The URL variants Twilio's official validateRequest (twilio-node 6.x) tries, because the URL Twilio signed and the
 * one we see can differ by an explicit default port or by percent-encoding. Written from its documented behaviour.
 */
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

/** Split without normalising, so the path and query keep the exact characters that were signed. */
function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const scheme = match[1]!;
  const authority = match[2]!;
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  // In an IPv6 literal the colons before `]` are not a port separator.
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, at + 1),
    host: colon < 0 ? hostPort : hostPort.slice(0, colon),
    port: colon < 0 ? '' : hostPort.slice(colon),
    rest: url.slice(match[0].length),
  };
}

function withoutPort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

function withDefaultPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  const port = p.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return p.scheme + p.userInfo + p.host + port + p.rest;
}

/** The query re-encoded as Node's legacy querystring does, for senders that signed that escaped form. */
function withLegacyQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringifyQuery(parseQuery(url.slice(q + 1)))}`;
}

/** Candidate URLs in the official order: as received (without, with port), then WHATWG-normalised forms. */
export function twilioUrlCandidates(url: string): string[] {
  const candidates = [withoutPort(url), withDefaultPort(url)];
  let normalized: string | null = null;
  try {
    normalized = new URL(url).toString();
  } catch {
    // Not a parseable URL: only the as-received forms can match.
  }
  if (normalized !== null) {
    const a = withoutPort(normalized);
    const b = withDefaultPort(normalized);
    candidates.push(a, b, withLegacyQuery(a), withLegacyQuery(b));
  }
  return [...new Set(candidates)];
}

/** The URL Twilio signed: `public_url` (scheme, host, path) with the request's own query string, else req.url. */
export function signedTwilioUrl(requestUrl: string, publicUrl: string | undefined): string {
  if (publicUrl === undefined) return requestUrl;
  const q = requestUrl.indexOf('?');
  const p = publicUrl.search(/[?#]/);
  return (p < 0 ? publicUrl : publicUrl.slice(0, p)) + (q < 0 ? '' : requestUrl.slice(q));
}

/** The query parameters of a URL (never throws; no query means none). */
export function queryParams(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1).split('#')[0]);
}
