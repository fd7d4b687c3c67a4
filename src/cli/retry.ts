/**
 * `filab retry --status dead [--destination NAME] [--source NAME] [--since 2h] [--until ...]`: requeue dead (or
 * failed) deliveries with a fresh retry schedule, in batches, with a progress bar on stderr.
 */
import type { Command } from 'commander';
import { addClientOptions, makeAdminClient, parseTimeOption, runCommand, UsageError, type ClientOptions } from './admin-client.ts';
import { makeProgress } from './table.ts';

interface RetryOptions extends ClientOptions {
  status: string[];
  destination?: string;
  source?: string;
  since?: string;
  until?: string;
  batch: string;
}

export function registerRetry(program: Command): void {
  addClientOptions(
    program
      .command('retry')
      .description('requeue dead (or failed) deliveries matching a filter, restarting their retry schedule')
      .option('-s, --status <status...>', 'dead and/or failed', ['dead'])
      .option('-d, --destination <name>', 'only this destination')
      .option('--source <name>', 'only events from this source')
      .option('--since <time>', 'events received at or after (2h, 30m, 7d, or an ISO time)')
      .option('--until <time>', 'events received at or before')
      .option('--batch <n>', 'deliveries requeued per request', '500'),
  ).action((opts: RetryOptions) =>
    runCommand(async () => {
      const statuses = opts.status.flatMap((s) => s.split(',')).map((s) => s.trim());
      if (statuses.some((s) => s !== 'dead' && s !== 'failed')) throw new UsageError('--status takes dead and/or failed');
      const batch = Number(opts.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new UsageError('--batch must be a positive integer');
      const client = makeAdminClient(opts);
      const filter = {
        status: statuses,
        ...(opts.destination ? { destination: opts.destination } : {}),
        ...(opts.source ? { source: opts.source } : {}),
        ...(opts.since ? { since: parseTimeOption(opts.since) } : {}),
        ...(opts.until ? { until: parseTimeOption(opts.until) } : {}),
      };
      // The total to expect: per-destination counts (exact without source/time filters, an upper bound with them).
      const { destinations } = await client.get('/destinations');
      const total = (destinations as any[])
        .filter((d) => !opts.destination || d.name === opts.destination)
        .reduce((sum, d) => sum + statuses.reduce((s, status) => s + (d[status] as number), 0), 0);
      const progress = makeProgress(total, 'requeued');
      let done = 0;
      progress.update(0);
      // Batches stop at the expected total so deliveries that fail again meanwhile are not requeued twice.
      while (done < total) {
        const asked = Math.min(batch, total - done);
        const { requeued } = await client.post('/deliveries/retry', { ...filter, limit: asked });
        done += requeued;
        progress.update(done);
        if (requeued < asked) break;
      }
      progress.finish(done);
      process.stdout.write(`requeued ${done} deliver${done === 1 ? 'y' : 'ies'}\n`);
    }),
  );
}
