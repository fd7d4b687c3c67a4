/** `filab audit verify`: recompute every source's audit chain and report the first broken link. */
import type { Command } from 'commander';
import { verifyAuditChains } from '../audit/service.ts';
import { openStore } from '../store/index.ts';
import { loadConfigOrExit } from './config-option.ts';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('tamper-evident audit chain of stored events');
  audit
    .command('verify')
    .description('recompute the hash chain of every source from the database; exit 1 at the first broken link')
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = loadConfigOrExit(opts.config);
      const store = await openStore(config);
      try {
        const progress = process.stderr.isTTY ? (n: number) => process.stderr.write(`\rchecked ${n} entries`) : undefined;
        const results = await verifyAuditChains(store, progress);
        if (progress) process.stderr.write('\n');
        const broken = results.filter((r) => !r.verdict.ok);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: broken.length === 0, sources: results }, null, 2)}\n`);
        else {
          if (results.length === 0) process.stdout.write('no audit entries yet\n');
          for (const { source, verdict } of results) {
            process.stdout.write(
              verdict.ok
                ? `OK      ${source}: ${verdict.entries} entries, head ${verdict.head}\n`
                : `BROKEN  ${source}: first broken link at position ${verdict.brokenAt.seq} (event ${verdict.brokenAt.eventId}): ${verdict.brokenAt.reason}; ${verdict.entries} entries before it verify\n`,
            );
          }
        }
        process.exitCode = broken.length === 0 ? 0 : 1;
      } finally {
        await store.close();
      }
    });
}
