/**
 * What a browser says about where a request comes from, for the admin routes.
 *
 * - Host: without ADMIN_TOKEN only loopback names are answered. A page on evil.example whose DNS is rebound to
 *   127.0.0.1 reaches the inbox from loopback, but its requests still say `Host: evil.example`.
 * - Origin and Sec-Fetch-Site: a state change must come from the inbox's own page (or from a client that is not a
 *   browser and sends neither). Same-site is not enough: another port or subdomain is another program.
 * - Content-Type: application/json is a type no HTML form can send and that a cross-site fetch() cannot send
 *   without a CORS preflight, which the admin routes never answer.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What the checks read: Fastify's request has these (protocol and host as the browser saw them, via a trusted proxy). */
export interface RequestOrigin {
  headers: IncomingHttpHeaders;
  protocol: string;
  host: string;
}

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** The Host header names this machine's loopback (`localhost`, `127.0.0.1` or `[::1]`, any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** Why a state-changing request is not from the inbox's own page, or null when it is (or from no browser at all). */
export function crossSiteProblem(request: RequestOrigin): string | null {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Cross-site request refused (Sec-Fetch-Site: ${quoted(site)})`;
  const origin = request.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, request.protocol, request.host)) {
    return `Cross-site request refused: Origin ${quoted(origin)} is not this inbox's origin`;
  }
  return null;
}

/** Whether the request says its body is JSON (parameters such as charset allowed). */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Same scheme, host and port as the request's own Host (behind a trusted proxy, its X-Forwarded-Proto and
 * X-Forwarded-Host, which is what the browser saw). URL parsing drops default ports and lower-cases the host,
 * as browsers do when they write Origin.
 */
function isOwnOrigin(origin: string, protocol: string, host: string): boolean {
  try {
    const presented = new URL(origin);
    const own = new URL(`${protocol}://${host}`);
    return presented.origin === own.origin && presented.origin !== 'null';
  } catch {
    return false;
  }
}

/** A header value as it may appear in a detail: JSON-quoted and short. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}
