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

type ParentLog = { child(bindings: object): Log; isLevelEnabled?(level: string): boolean };

/**
 * A child logger made on first use. The ingest fast path makes one per request, and pino's child() (bindings
 * serialised, redaction set up) cost more than a percent of the event loop under load, mostly for requests
 * that never log at the configured level. A class, not closures: under tsx every named closure made per
 * request also costs a defineProperty for its name.
 */
export function lazyChild(parent: ParentLog, bindings: object): Log {
  return new LazyChild(parent, bindings);
}

class LazyChild implements Log {
  #child: Log | undefined;
  readonly #parent: ParentLog;
  readonly #bindings: object;

  constructor(parent: ParentLog, bindings: object) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  info(obj: object, msg?: string): void {
    this.#write('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.#write('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.#write('error', obj, msg);
  }
  debug(obj: object, msg?: string): void {
    this.#write('debug', obj, msg);
  }

  #write(level: keyof Log, obj: object, msg?: string): void {
    if (this.#parent.isLevelEnabled?.(level) === false) return;
    this.#child ??= this.#parent.child(this.#bindings);
    this.#child[level](obj, msg);
  }
}
