/**
 * Logging: pino JSON lines (pretty in a terminal). Layers take this small interface so they don't depend
 * on Fastify or pino types. Secrets and payloads are never logged at info level; redaction is a backstop.
 */
import { pino } from 'pino';

export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const REDACT_PATHS = ['req.headers.authorization', 'headers.authorization', '*.secret', '*.secrets', '*.signingSecret', '*.adminToken'];

export function makeLogger(level: string, pretty = process.stdout.isTTY === true) {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
