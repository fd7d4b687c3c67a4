/**
 * Access rule for everything that shows stored data (/events, /admin/api, /dashboard, /metrics):
 * with ADMIN_TOKEN set, `Authorization: Bearer <token>` (constant-time compare); without it, loopback clients only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { sendError } from './error-handling.ts';

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Hash both sides first so the comparison is constant-time whatever the lengths. */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function makeAdminGuard(adminToken: string | null) {
  return async function adminGuard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (adminToken === null) {
      if (!isLoopback(request.ip)) return void sendError(reply, new ApiError('forbidden'));
      return;
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !tokenMatches(match[1]!, adminToken)) return void sendError(reply.header('www-authenticate', 'Bearer'), new ApiError('unauthorized'));
  };
}
