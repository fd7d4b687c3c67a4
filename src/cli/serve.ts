/** `filab serve`: ingest over HTTP plus the delivery worker (or not, with --no-worker) until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import { loadConfigOrExit } from './config-option.ts';
import { onShutdownSignal } from './shutdown.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the webhook inbox (ingest, admin API and, unless --no-worker, the delivery worker)')
    .option('-c, --config <path>', 'config file (default: $FILAB_CONFIG or ./filab.yaml when present)')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 8000)', (v) => Number.parseInt(v, 10))
    .option('--no-worker', 'do not deliver here; run `filab worker` processes instead')
    .action(async (opts: { config?: string; port?: number; worker: boolean }) => {
      // Loaded here, not at the top: operator commands (events, retry, ...) start faster without Fastify and SQLite.
      const [{ createInbox, UnsafeCommitError }, { makeLogger }, { installProcessGuard }] = await Promise.all([
        import('../inbox.ts'),
        import('../log.ts'),
        import('../process-guard.ts'),
      ]);
      const config = loadConfigOrExit(opts.config);
      const logger = makeLogger(config.logLevel);
      for (const source of config.sources) {
        if (source.secrets.length === 0) {
          logger.warn(
            { source: source.name },
            `!!! STRIPE_WEBHOOK_SECRET is not set: ${source.path} will answer 400 "Server misconfigured" until it is. Set it in the environment or .env.`,
          );
        }
      }
      const now = Date.now();
      for (const source of config.sources) {
        for (const secret of source.secrets) {
          if (secret.expiresAt === undefined) continue;
          if (secret.expiresAt <= now)
            logger.warn({ source: source.name, secret: secret.label }, 'secret has expired and no longer verifies: remove it from the config');
          else if (secret.expiresAt - now < 7 * 86_400_000)
            logger.warn({ source: source.name, secret: secret.label, expiresAt: new Date(secret.expiresAt).toISOString() }, 'secret expires within 7 days');
        }
      }
      const inbox = await createInbox({ config, logger, worker: opts.worker }).catch((err: unknown) => {
        // A refusal the operator must act on: one clear line, no stack trace.
        if (!(err instanceof UnsafeCommitError)) throw err;
        process.stderr.write(`[ERROR] ${err.message}\n`);
        process.exit(1);
      });
      // From here on an error that escapes (a bug) is logged and counted; ingest keeps answering.
      installProcessGuard({ log: logger, metrics: inbox.metrics });
      const url = await inbox.listen(opts.port ?? config.port);
      logger.info(
        { url, store: inbox.store.kind, worker: inbox.worker?.id ?? 'off', sources: config.sources.map((s) => `${s.name} ${s.provider} ${s.path}`) },
        `listening on ${url}`,
      );
      onShutdownSignal(logger, () => inbox.close());
    });
}
