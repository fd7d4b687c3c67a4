/** `filab worker`: only the delivery worker (pair with `filab serve --no-worker`), until SIGTERM/SIGINT. */
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../clock.ts';
import { loadConfigOrExit } from './config-option.ts';
import { onShutdownSignal } from './shutdown.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run only the delivery worker (any number of them may share one database)')
    .option('-c, --config <path>', 'config file (default: $FILAB_CONFIG or ./filab.yaml when present)')
    .option('--metrics-port <port>', 'also serve GET /metrics and GET /ready on this port (on HOST; 0 picks a free one)', parsePort)
    .action(async (opts: { config?: string; metricsPort?: number }) => {
      const [{ makeLogger }, { openStore }, { makeWorker }, { attachStoreGauges, makeMetrics, recordAttempt }, { installProcessGuard }] = await Promise.all([
        import('../log.ts'),
        import('../store/index.ts'),
        import('../worker/worker.ts'),
        import('../metrics.ts'),
        import('../process-guard.ts'),
      ]);
      const config = loadConfigOrExit(opts.config);
      const logger = makeLogger(config.logLevel);
      const store = await openStore(config, logger);
      const metrics = makeMetrics();
      attachStoreGauges(metrics, store, systemClock);
      // From here on an error that escapes (a bug) is logged and counted (on --metrics-port); the worker keeps going.
      installProcessGuard({ log: logger, metrics });
      const worker = makeWorker({
        store,
        destinations: config.destinations,
        tuning: config.worker,
        clock: systemClock,
        log: logger,
        onAttempt: (attempt) => recordAttempt(metrics, attempt),
      });
      const ops =
        opts.metricsPort === undefined
          ? null
          : (await import('../http/ops-server.ts')).buildOpsServer({
              store,
              metrics,
              adminToken: config.adminToken,
              trustProxy: config.server.trustProxy,
              allowUnsafeCommit: config.allowUnsafeCommit,
              logger,
            });
      if (ops) {
        const address = await ops.listen({ host: config.host, port: opts.metricsPort });
        logger.info({ url: address }, `metrics on ${address}/metrics`);
      }
      const skipped = config.destinations.filter((d) => d.handler !== null).map((d) => d.name);
      if (skipped.length) logger.warn({ destinations: skipped }, 'handler destinations need the process that registers the handlers; this worker skips them');
      worker.start();
      logger.info({ workerId: worker.id, store: store.kind, destinations: config.destinations.map((d) => d.name) }, 'worker started');
      onShutdownSignal(logger, async () => {
        await ops?.close();
        await worker.stop();
        await store.close();
      });
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new InvalidArgumentError('a port number (0-65535)');
  return port;
}
