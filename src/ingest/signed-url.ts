/**
 * The URL a provider signed (Square, Twilio sign it): the scheme and host the request came to, with its path and
 * query as sent. Behind a proxy listed in `server.trust_proxy` those are the ones the proxy names in
 * X-Forwarded-Proto and X-Forwarded-Host (the last entry: the one the proxy nearest to us wrote), exactly as
 * Fastify's request.protocol and request.host read them; from any other peer those headers are ignored.
 */
import type { IncomingMessage } from 'node:http';
import { isTrusted, normalize, proxyList } from '../http/client-address.ts';

export type SignedUrl = (req: IncomingMessage) => string;

export function makeSignedUrl(trustedProxies: readonly string[]): SignedUrl {
  if (trustedProxies.length === 0) return (req) => `http://${req.headers.host ?? ''}${req.url ?? ''}`;
  const trusted = proxyList(trustedProxies);
  return (req) => {
    // Node joins a repeated X-Forwarded-* header with ", " into one string.
    const proto = req.headers['x-forwarded-proto'] as string | undefined;
    const host = req.headers['x-forwarded-host'] as string | undefined;
    const viaProxy = (proto !== undefined || host !== undefined) && isTrusted(trusted, normalize(req.socket.remoteAddress ?? ''));
    const scheme = viaProxy && proto ? lastEntry(proto) : 'http';
    return `${scheme}://${viaProxy && host ? lastEntry(host) : (req.headers.host ?? '')}${req.url ?? ''}`;
  };
}

/** A header sent more than once arrives joined with ", ": the last entry is the nearest proxy's. */
function lastEntry(value: string): string {
  const comma = value.lastIndexOf(',');
  return (comma < 0 ? value : value.slice(comma + 1)).trim();
}
