/** `filab events list|show`: stored events and their deliveries, through the admin API. */
import type { Command } from 'commander';
import { addClientOptions, makeAdminClient, parseTimeOption, runCommand, type ClientOptions } from './admin-client.ts';
import { formatTable } from './table.ts';

interface ListOptions extends ClientOptions {
  source?: string;
  type?: string;
  status?: string;
  since?: string;
  until?: string;
  keyPrefix?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

export function registerEvents(program: Command): void {
  const events = program.command('events').description('inspect stored events');
  addClientOptions(
    events
      .command('list')
      .description('list events, newest first')
      .option('--source <name>', 'only this source')
      .option('--type <type>', 'only this event type')
      .option('--status <status>', 'received, delivered, failed or dead')
      .option('--since <time>', 'received at or after (2h, 30m, 7d, or an ISO time)')
      .option('--until <time>', 'received at or before')
      .option('--key-prefix <prefix>', 'provider event key starts with this')
      .option('-n, --limit <n>', 'how many', '20')
      .option('--cursor <cursor>', 'continue from a previous page')
      .option('--json', 'print the API response as JSON'),
  ).action((opts: ListOptions) =>
    runCommand(async () => {
      const page = await makeAdminClient(opts).get('/events', {
        source: opts.source,
        type: opts.type,
        status: opts.status,
        since: opts.since && parseTimeOption(opts.since),
        until: opts.until && parseTimeOption(opts.until),
        key_prefix: opts.keyPrefix,
        limit: opts.limit,
        cursor: opts.cursor,
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      process.stdout.write(
        formatTable(
          ['ID', 'RECEIVED', 'SOURCE', 'TYPE', 'STATUS', 'EVENT KEY'],
          page.events.map((e: any) => [e.id, e.received_at, e.source, e.type, e.status, e.event_key]),
        ),
      );
      if (page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
    }),
  );

  addClientOptions(
    events.command('show <id>').description('one event: payload, headers, deliveries and attempts').option('--json', 'print the API response as JSON'),
  ).action((id: string, opts: ClientOptions & { json?: boolean }) =>
    runCommand(async () => {
      const e = await makeAdminClient(opts).get(`/events/${encodeURIComponent(id)}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
      const out: string[] = [
        `${e.id}  ${e.status}`,
        `source: ${e.source}   type: ${e.type}   event key: ${e.event_key}`,
        `received: ${e.received_at}   verified with secret: ${e.secret_label ?? '-'}   sha256: ${e.payload_sha256}`,
        '',
        'headers:',
        ...Object.entries(e.headers as Record<string, string>).map(([k, v]) => `  ${k}: ${v}`),
        '',
        `payload (${e.payload_encoding}):`,
        e.payload_encoding === 'utf8' ? prettyJson(e.payload) : e.payload,
        '',
      ];
      for (const d of e.deliveries) {
        out.push(
          `delivery ${d.id} -> ${d.destination}: ${d.status}, ${d.attempt_count} attempt(s)${d.next_attempt_at ? `, next at ${d.next_attempt_at}` : ''}${d.ordering_key ? `, ordering key ${d.ordering_key}` : ''}`,
        );
        for (const a of d.attempts) {
          out.push(
            `  #${a.attempt_number}${a.manual ? ' (replay)' : ''} ${a.started_at} ${a.duration_ms} ms ${a.status_code ?? '-'} ${a.error ?? ''}`.trimEnd(),
          );
        }
      }
      if (e.deliveries.length === 0) out.push('no deliveries (no destination matches this event)');
      process.stdout.write(`${out.join('\n')}\n`);
    }),
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
