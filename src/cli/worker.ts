/** `filab worker`: only the delivery worker (pair with `filab serve --no-worker`), until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import { systemClock } from '../clock.ts';
import { loadConfigOrExit } from './config-option.ts';
import { onShutdownSignal } from './shutdown.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run only the delivery worker (any number of them may share one database)')
    .option('-c, --config <path>', 'config file (default: $FILAB_CONFIG or ./filab.yaml when present)')
    .action(async (opts: { config?: string }) => {
      const [{ makeLogger }, { openStore }, { makeWorker }] = await Promise.all([import('../log.ts'), import('../store/index.ts'), import('../worker/worker.ts')]);
      const config = loadConfigOrExit(opts.config);
      const logger = makeLogger(config.logLevel);
      const store = await openStore(config, logger);
      const worker = makeWorker({ store, destinations: config.destinations, tuning: config.worker, clock: systemClock, log: logger });
      const skipped = config.destinations.filter((d) => d.handler !== null).map((d) => d.name);
      if (skipped.length) logger.warn({ destinations: skipped }, 'handler destinations need the process that registers the handlers; this worker skips them');
      worker.start();
      logger.info({ workerId: worker.id, store: store.kind, destinations: config.destinations.map((d) => d.name) }, 'worker started');
      onShutdownSignal(logger, async () => {
        await worker.stop();
        await store.close();
      });
    });
}
