/**
 * Logging: pino JSON lines (pretty in a terminal). Layers take this small interface so they don't depend
 * on Fastify or pino types. Each request's lines carry its `reqId` (also sent back as `x-request-id`).
 * Secrets and payloads are never logged at info level; redaction is a backstop for mistakes.
 */
import { pino } from 'pino';

export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.secret',
  '*.secrets',
  '*.signingSecret',
  '*.signing_secret',
  '*.adminToken',
  'adminToken',
  // Bodies belong in the store, not in log files: a stray `{ payload }` or `{ rawBody }` is censored.
  'payload',
  'rawBody',
  '*.payload',
  '*.rawBody',
];

export interface LoggerOptions {
  /** Human-readable output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go instead of stdout (tests capture them here). Ignored when pretty. */
  destination?: pino.DestinationStream;
}

export function makeLogger(level: string, options: LoggerOptions | boolean = {}) {
  const { pretty = process.stdout.isTTY === true, destination } = typeof options === 'boolean' ? { pretty: options } : options;
  const settings: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Error objects logged as `err` keep their type and stack; nothing else gets a custom shape.
    serializers: { err: pino.stdSerializers.err },
  };
  if (pretty) {
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return destination ? pino(settings, destination) : pino(settings);
}

/**
 * A child logger made on first use. The ingest fast path makes one per request, and pino's child() (bindings
 * serialised, redaction set up) cost more than a percent of the event loop under load, mostly for requests
 * that never log at the configured level.
 */
export function lazyChild(parent: { child(bindings: object): Log; isLevelEnabled?(level: string): boolean }, bindings: object): Log {
  let child: Log | undefined;
  const at = (level: keyof Log) => (obj: object, msg?: string) => {
    if (parent.isLevelEnabled?.(level) === false) return;
    (child ??= parent.child(bindings))[level](obj, msg);
  };
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}
