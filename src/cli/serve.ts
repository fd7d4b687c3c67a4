/** `filab serve`: ingest over HTTP (and, with the worker, delivery) until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import { createInbox } from '../inbox.ts';
import { makeLogger } from '../log.ts';
import { loadConfigOrExit } from './config-option.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the webhook inbox')
    .option('-c, --config <path>', 'config file (default: $FILAB_CONFIG or ./filab.yaml when present)')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 8000)', (v) => Number.parseInt(v, 10))
    .action(async (opts: { config?: string; port?: number }) => {
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
          if (secret.expiresAt <= now) logger.warn({ source: source.name, secret: secret.label }, 'secret has expired and no longer verifies: remove it from the config');
          else if (secret.expiresAt - now < 7 * 86_400_000) logger.warn({ source: source.name, secret: secret.label, expiresAt: new Date(secret.expiresAt).toISOString() }, 'secret expires within 7 days');
        }
      }
      const inbox = await createInbox({ config, logger });
      const url = await inbox.listen(opts.port ?? config.port);
      logger.info({ url, store: inbox.store.kind, sources: config.sources.map((s) => `${s.name} ${s.provider} ${s.path}`) }, `listening on ${url}`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'draining in-flight requests and closing the database');
        await inbox.close();
        logger.info({}, 'stopped');
        logger.flush?.();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
