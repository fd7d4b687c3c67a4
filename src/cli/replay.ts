/** `filab replay <event-id> [--destination NAME]`: one extra attempt per delivery of an event. */
import type { Command } from 'commander';
import { addClientOptions, makeAdminClient, runCommand, type ClientOptions } from './admin-client.ts';

export function registerReplay(program: Command): void {
  addClientOptions(
    program
      .command('replay <event-id>')
      .description('deliver an event again (one extra attempt per delivery; never reschedules itself)')
      .option('-d, --destination <name>', 'only to this destination'),
  ).action((eventId: string, opts: ClientOptions & { destination?: string }) =>
    runCommand(async () => {
      const body = opts.destination ? { destination: opts.destination } : {};
      const { requeued } = await makeAdminClient(opts).post(`/events/${encodeURIComponent(eventId)}/replay`, body);
      process.stdout.write(`requeued ${requeued} deliver${requeued === 1 ? 'y' : 'ies'} of ${eventId}${opts.destination ? ` to ${opts.destination}` : ''}\n`);
    }),
  );
}
