/**
 * The last net under `filab serve` and `filab worker`: an error that escapes every handler (an uncaught
 * exception, an unhandled rejection) is logged and counted in filab_uncaught_errors_total{kind}, and the
 * process keeps serving. Without it Node exits, taking ingest down with it and, since an unrecorded
 * delivery is claimed again after the restart, looping on the same crash. Each such error is a bug to fix:
 * every path inside an attempt is meant to end as a recorded failed attempt.
 */
import type { Log } from './log.ts';
import type { Metrics } from './metrics.ts';

export type EscapedErrorKind = 'uncaught_exception' | 'unhandled_rejection';

/**
 * Only the error's type, code, message and stack are logged: never the enumerable fields some libraries hang
 * on their errors (a request's headers, a connection's config), which may carry secrets.
 */
export function describeEscapedError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: safeString(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return { type: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}), stack: err.stack };
}

function safeString(value: unknown): string {
  try {
    return String(value).slice(0, 1000);
  } catch {
    return '(unprintable value)';
  }
}

/** Install the handlers once; returns a function that removes them (for tests). */
export function installProcessGuard(deps: { log: Log; metrics: Pick<Metrics, 'uncaughtErrors'> }): () => void {
  const report = (kind: EscapedErrorKind, err: unknown) => {
    try {
      deps.metrics.uncaughtErrors.inc({ kind });
      deps.log.error({ kind, error: describeEscapedError(err) }, 'an error escaped every handler; logged and counted, the process keeps serving');
    } catch {
      // Logging itself failed: nothing left to tell, and throwing here would end the process.
    }
  };
  const onException = (err: unknown) => report('uncaught_exception', err);
  const onRejection = (reason: unknown) => report('unhandled_rejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
