/** `filab sources`: the configured sources, their paths and schemes, and secret labels (never the secrets). */
import type { Command } from 'commander';
import type { SourceConfig } from '../config/types.ts';
import { loadConfigOrExit } from './config-option.ts';

export function describeSecrets(source: SourceConfig): string {
  if (source.secrets.length === 0) return '(none: set STRIPE_WEBHOOK_SECRET)';
  return source.secrets.map((s) => (s.expiresAt !== undefined ? `${s.label} (expires ${new Date(s.expiresAt).toISOString()})` : s.label)).join(', ');
}

export function registerSources(program: Command): void {
  program
    .command('sources')
    .description('list the configured sources (never their secrets)')
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print JSON')
    .action((opts: { config?: string; json?: boolean }) => {
      const config = loadConfigOrExit(opts.config);
      if (opts.json) {
        const sources = config.sources.map((s) => ({
          name: s.name,
          path: s.path,
          provider: s.provider,
          secrets: s.secrets.map((x) => ({ label: x.label, expires_at: x.expiresAt !== undefined ? new Date(x.expiresAt).toISOString() : null })),
          tolerance_seconds: s.toleranceSeconds,
          max_body_bytes: s.maxBodyBytes,
        }));
        process.stdout.write(`${JSON.stringify({ sources }, null, 2)}\n`);
        return;
      }
      const rows = [['NAME', 'PROVIDER', 'PATH', 'SECRETS'], ...config.sources.map((s) => [s.name, s.provider, s.path, describeSecrets(s)])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows)
        process.stdout.write(
          `${row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    });
}
