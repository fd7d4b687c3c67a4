/** `filab destinations [list|enable NAME|disable NAME]`: destinations with their health. */
import type { Command } from 'commander';
import { addClientOptions, makeAdminClient, runCommand, type ClientOptions } from './admin-client.ts';
import { formatTable } from './table.ts';

export function registerDestinations(program: Command): void {
  const destinations = program.command('destinations').description('destinations with their health; enable or disable one');
  const list = (opts: ClientOptions & { json?: boolean }) =>
    runCommand(async () => {
      const result = await makeAdminClient(opts).get('/destinations');
      if (opts.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(
        formatTable(
          ['NAME', 'TARGET', 'STATE', 'PENDING', 'FAILED', 'DEAD', 'DELIVERED', 'STREAK', 'LAST SUCCESS', 'OLDEST PENDING'],
          result.destinations.map((d: any) => [
            d.name,
            d.url ?? `handler:${d.handler}`,
            d.disabled ? `disabled (${d.disabled_reason ?? 'no reason'})` : 'enabled',
            d.pending,
            d.failed,
            d.dead,
            d.delivered,
            d.failure_streak,
            d.last_success_at,
            d.oldest_pending_at,
          ]),
        ),
      );
    });
  addClientOptions(
    destinations
      .command('list', { isDefault: true })
      .description('list destinations with their health (the default)')
      .option('--json', 'print the API response as JSON'),
  ).action(list);
  for (const action of ['enable', 'disable'] as const) {
    addClientOptions(destinations.command(`${action} <name>`).description(`${action} a destination`)).action((name: string, opts: ClientOptions) =>
      runCommand(async () => {
        const d = await makeAdminClient(opts).post(`/destinations/${encodeURIComponent(name)}/${action}`);
        process.stdout.write(`${d.name}: ${d.disabled ? 'disabled' : 'enabled'}\n`);
      }),
    );
  }
}
