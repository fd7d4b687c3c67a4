/**
 * Access rule for everything that shows stored data or acts on it (/events, /admin/api, /dashboard, /metrics):
 * - with ADMIN_TOKEN set: `Authorization: Bearer <token>` (constant-time compare), from anywhere;
 * - without it: loopback clients only (the TCP peer, see client-address.ts), and only with a loopback Host;
 * - without it behind a trusted proxy: nobody (401), because every request arrives from the proxy's address.
 * State changes (anything but GET and HEAD) also refuse cross-site requests and need a JSON content type, so
 * a page in the operator's browser cannot act through the admin routes. A refused request reaches no handler.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { Log } from '../log.ts';
import { isLoopback, type ClientAddress } from './client-address.ts';
import { crossSiteProblem, isJsonContentType, isLoopbackHost } from './cross-site.ts';
import { sendError } from './error-handling.ts';

export { isLoopback } from './client-address.ts';

export type AdminGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface AdminAccessOptions {
  adminToken: string | null;
  /** server.trust_proxy: with proxies and no token, nothing is answered. */
  trustProxy: readonly string[];
  clientAddress: ClientAddress;
}

/** Hash both sides first so the comparison is constant-time whatever the lengths. */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The startup warning for a configuration whose admin routes answer nobody, or null. */
export function adminAccessWarning(options: Pick<AdminAccessOptions, 'adminToken' | 'trustProxy'>): string | null {
  if (options.adminToken !== null || options.trustProxy.length === 0) return null;
  return 'server.trust_proxy is set and ADMIN_TOKEN is not: the admin API, /events, /metrics and the dashboard answer 401 to every request. Set ADMIN_TOKEN to use them.';
}

/** Log the startup warning when there is one. */
export function warnAboutAdminAccess(log: Log, options: Pick<AdminAccessOptions, 'adminToken' | 'trustProxy'>): void {
  const warning = adminAccessWarning(options);
  if (warning !== null) log.warn({ trustProxy: options.trustProxy }, warning);
}

export function makeAdminGuard(options: AdminAccessOptions): AdminGuard {
  const { adminToken, clientAddress } = options;
  const behindProxy = options.trustProxy.length > 0;

  function accessRefusal(request: FastifyRequest): ApiError | null {
    if (adminToken === null) {
      if (behindProxy)
        return new ApiError('unauthorized', 'ADMIN_TOKEN is not set: behind a trusted proxy (server.trust_proxy) the admin routes answer no one without it');
      if (!isLoopback(clientAddress(request.raw))) return new ApiError('forbidden');
      const host = request.headers.host;
      if (!isLoopbackHost(host)) {
        return new ApiError(
          'forbidden',
          `Host ${JSON.stringify((host ?? '').slice(0, 100))} refused: without ADMIN_TOKEN the admin routes answer only Host localhost, 127.0.0.1 or [::1]`,
        );
      }
      return null;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    return match && tokenMatches(match[1]!, adminToken) ? null : new ApiError('unauthorized');
  }

  function stateChangeRefusal(request: FastifyRequest): ApiError | null {
    if (request.method === 'GET' || request.method === 'HEAD') return null;
    const problem = crossSiteProblem(request);
    if (problem !== null) return new ApiError('forbidden', problem);
    if (!isJsonContentType(request.headers['content-type'])) {
      return new ApiError('unsupported_media_type', 'Admin requests that change something must send Content-Type: application/json (an empty body is fine)');
    }
    return null;
  }

  return async function adminGuard(request, reply) {
    const refusal = accessRefusal(request) ?? stateChangeRefusal(request);
    if (refusal === null) return;
    request.log.info({ method: request.method, url: request.url, code: refusal.code, reason: refusal.detail }, 'admin request refused');
    if (refusal.status === 401) reply.header('www-authenticate', 'Bearer');
    sendError(reply, refusal);
  };
}
