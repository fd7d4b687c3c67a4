/** `filab migrate`: bring the configured database's schema up to date and say what was applied. */
import type { Command } from 'commander';
import { loadConfigOrExit } from './config-option.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run while other processes start or run)')
    .option('-c, --config <path>', 'config file (default: $FILAB_CONFIG or ./filab.yaml when present)')
    .action(async (opts: { config?: string }) => {
      const config = loadConfigOrExit(opts.config);
      const { migrateStore } = await import('../store/index.ts');
      try {
        const { kind, applied } = await migrateStore(config);
        for (const name of applied) process.stdout.write(`applied ${name}\n`);
        process.stdout.write(applied.length ? `${kind}: ${applied.length} migration(s) applied\n` : `${kind}: schema is up to date, nothing to apply\n`);
      } catch (err) {
        process.stderr.write(`[ERROR] migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof Error) process.stderr.write(`        cause: ${cause.message}\n`);
        process.exitCode = 1;
      }
    });
}
