/**
 * Build the frozen Config from the environment (plus `.env`) and the optional YAML file, validating
 * everything once: a bad value stops startup with a message naming every problem and where it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ProviderOptionsError } from '../providers/configure.ts';
import { getProvider, providerNames } from '../providers/index.ts';
import type { Provider, SecretRef, Verifier } from '../providers/types.ts';
import { fileSchema, type FileConfig, type FileDestination, type FileSource } from './file-schema.ts';
import type { Config, DestinationConfig, SourceConfig } from './types.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const DEFAULT_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
const DEFAULT_MAX_BODY = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** --config PATH; else FILAB_CONFIG; else ./filab.yaml when present. */
  configPath?: string;
}

export function loadConfig({ env = process.env, cwd = process.cwd(), configPath }: LoadOptions = {}): Config {
  const problems: string[] = [];
  const envInt = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return Number(raw);
  };

  const filePath = configPath ?? (env.FILAB_CONFIG || undefined) ?? (existsSync(resolve(cwd, 'filab.yaml')) ? 'filab.yaml' : undefined);
  const file = filePath ? readConfigFile(resolve(cwd, filePath), problems) : {};

  const tolerance = envInt('STRIPE_TOLERANCE_SECONDS', 300, 1, 86_400);
  const maxBody = envInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY, 1, 64 * 1024 * 1024);
  const port = envInt('PORT', file.server?.port ?? 8000, 0, 65_535);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);
  const databaseUrl = env.DATABASE_URL || file.database?.url || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL: must start with postgres:// or postgresql://');
  const databasePoolSize = envInt('DATABASE_POOL_SIZE', file.database?.pool_size ?? 10, 1, 1000);
  const adminToken = env.ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.trim() !== adminToken) problems.push('ADMIN_TOKEN: must not have surrounding whitespace');

  const defaultRetention = file.retention?.delivered_days ?? null;
  const sources = (
    file.sources ? file.sources.map((s, i) => buildSource(s, `sources[${i}]`, env, problems)) : [seedSource(env, tolerance, maxBody, problems)]
  ).map((s) => ({ ...s, retentionDeliveredDays: s.retentionDeliveredDays ?? defaultRetention }));
  checkUnique(
    sources.map((s) => s.name),
    'source name',
    problems,
  );
  checkUnique(
    sources.map((s) => s.path),
    'source path',
    problems,
  );
  const destinations = (file.destinations ?? []).map((d, i) => buildDestination(d, `destinations[${i}]`, sources, problems));
  checkUnique(
    destinations.map((d) => d.name),
    'destination name',
    problems,
  );

  const trustProxy = checkTrustProxy(file.server?.trust_proxy, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    host: env.HOST || file.server?.host || '127.0.0.1',
    port,
    databasePath: resolve(cwd, env.DATABASE_PATH || file.database?.path || './data/app.db'),
    databaseUrl,
    databasePoolSize,
    allowUnsafeCommit: file.database?.allow_unsafe_commit ?? false,
    adminToken,
    logLevel,
    configFile: filePath ? resolve(cwd, filePath) : null,
    sources,
    destinations,
    retention: { intervalMs: (file.retention?.interval_minutes ?? 60) * 60_000, dedupeDays: file.retention?.dedupe_days ?? 35 },
    server: {
      trustProxy,
      headersTimeoutMs: file.server?.headers_timeout_ms ?? 10_000,
      requestTimeoutMs: file.server?.request_timeout_ms ?? 30_000,
      maxHeaderCount: file.server?.max_header_count ?? 100,
    },
    ingest: {
      rateLimit: file.ingest?.rate_limit ? { perSecond: file.ingest.rate_limit.per_second, burst: file.ingest.rate_limit.burst } : null,
      batchMax: file.ingest?.batch_max ?? 256,
      batchWaitMs: file.ingest?.batch_wait_ms ?? 0,
      maxPending: file.ingest?.max_pending ?? 10_000,
      maxCommitsInFlight: file.ingest?.max_commits_in_flight ?? 2,
      sqliteWriterThread:
        env.SQLITE_WRITER_THREAD !== undefined && env.SQLITE_WRITER_THREAD !== ''
          ? env.SQLITE_WRITER_THREAD !== '0'
          : (file.ingest?.sqlite_writer_thread ?? true),
    },
    worker: {
      pollIntervalMs: file.worker?.poll_interval_ms ?? 1000,
      leaseMs: file.worker?.lease_ms ?? 60_000,
      concurrency: file.worker?.concurrency ?? 32,
      shutdownGraceMs: file.worker?.shutdown_grace_ms ?? 10_000,
      allowPrivateDestinations: file.worker?.allow_private_destinations ?? false,
    },
  });
}

function readConfigFile(path: string, problems: string[]): FileConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`config file ${path}: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    problems.push(...formatIssues(parsed.error.issues, ''));
    return {};
  }
  return parsed.data;
}

export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: string): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${`${prefix}${path}`.replace(/^\./, '') || '(root)'}: ${issue.message}`;
  });
}

/** The seed's single Stripe source at /webhooks/provider, from STRIPE_WEBHOOK_SECRET (comma-separated for rotation). */
function seedSource(env: NodeJS.ProcessEnv, toleranceSeconds: number, maxBodyBytes: number, problems: string[]): SourceConfig {
  const raw = env.STRIPE_WEBHOOK_SECRET ?? '';
  const secrets: SecretRef[] = [];
  if (raw !== '') {
    raw.split(/\s*,\s*/).forEach((value, i) => {
      const problem = secretProblem(value, getProvider('stripe'));
      if (problem) problems.push(`STRIPE_WEBHOOK_SECRET: secret #${i} ${problem}`);
      else secrets.push({ value, label: `#${i}` });
    });
  }
  return {
    name: 'provider',
    path: '/webhooks/provider',
    provider: 'stripe',
    secrets,
    toleranceSeconds,
    maxBodyBytes,
    options: {},
    verifier: getProvider('stripe')!.configure({ secrets, toleranceSeconds }),
    retentionDeliveredDays: null,
    fromEnvironment: true,
  };
}

function buildSource(s: FileSource, at: string, env: NodeJS.ProcessEnv, problems: string[]): SourceConfig {
  const provider = getProvider(s.provider);
  if (!provider) problems.push(`${at}.provider: unknown provider ${JSON.stringify(s.provider)} (known: ${providerNames.join(', ')})`);
  const secrets = s.secrets.map((entry, i): SecretRef => {
    const where = `${at}.secrets[${i}]`;
    const spec = typeof entry === 'string' ? { value: entry } : entry;
    const value = substituteEnv(spec.value, env, where, problems);
    const problem = secretProblem(value, provider);
    if (problem) problems.push(`${where}: ${problem} (source ${JSON.stringify(s.name)})`);
    const expiresAt = 'expires_at' in spec && spec.expires_at ? Date.parse(spec.expires_at) : undefined;
    return { value, label: ('label' in spec && spec.label) || `#${i}`, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  });
  const toleranceSeconds = s.tolerance_seconds ?? 300;
  const { verifier, options } = configureSource(provider, { secrets, toleranceSeconds, options: s.options }, `${at}.options`, problems);
  return {
    name: s.name,
    path: s.path ?? `/webhooks/${s.name}`,
    provider: s.provider,
    secrets,
    toleranceSeconds,
    maxBodyBytes: s.max_body_bytes ?? DEFAULT_MAX_BODY,
    options,
    verifier,
    retentionDeliveredDays: s.retention_delivered_days ?? null,
    fromEnvironment: false,
  };
}

/** Stands in for the verifier of a source whose configuration has problems (startup stops before it is used). */
const UNCONFIGURED: Verifier = { verify: () => ({ ok: false, reason: 'secret_not_configured' }) };

/**
 * The provider configured for a source, once: configure() validates the options with the scheme's schema (a problem
 * names its path). The options are also kept as written, for the CLI's signing (sign reads them itself).
 */
function configureSource(
  provider: Provider | undefined,
  settings: { secrets: SecretRef[]; toleranceSeconds: number; options: Record<string, unknown> | undefined },
  at: string,
  problems: string[],
): { verifier: Verifier; options: Record<string, unknown> } {
  const options = settings.options ?? {};
  if (!provider) return { verifier: UNCONFIGURED, options };
  try {
    return { verifier: provider.configure(settings), options };
  } catch (err) {
    if (!(err instanceof ProviderOptionsError)) throw err;
    problems.push(...formatIssues(err.issues, at));
    return { verifier: UNCONFIGURED, options };
  }
}

function buildDestination(d: FileDestination, at: string, sources: SourceConfig[], problems: string[]): DestinationConfig {
  for (const name of d.sources ?? []) {
    if (!name.includes('*') && !sources.some((s) => s.name === name)) problems.push(`${at}.sources: no source named ${JSON.stringify(name)}`);
  }
  if (d.signing_secret !== undefined && !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(d.signing_secret)) {
    problems.push(`${at}.signing_secret: must be whsec_ followed by a base64 key`);
  }
  return {
    name: d.name,
    url: d.url ?? null,
    handler: d.handler ?? null,
    sources: d.sources ?? [],
    eventTypes: d.event_types ?? [],
    signingSecret: d.signing_secret ?? null,
    timeoutMs: d.timeout_ms ?? 10_000,
    maxInFlight: d.max_in_flight ?? 16,
    retrySchedule: d.retry_schedule ?? DEFAULT_RETRY_SCHEDULE,
    headers: checkedHeaders(d.headers ?? {}, `${at}.headers`, problems),
    orderingKey: d.ordering_key ?? null,
  };
}

/**
 * `server.trust_proxy`: a list of proxy addresses or CIDRs. `true` would believe any X-Forwarded-For, so a client
 * could name itself 127.0.0.1 and pass the loopback rule: refused, naming the alternatives.
 */
function checkTrustProxy(value: boolean | string[] | undefined, problems: string[]): string[] {
  if (value === undefined || value === false) return [];
  if (value === true) {
    problems.push(
      'server.trust_proxy: true would believe any client\'s X-Forwarded-For; list your proxies instead, e.g. ["127.0.0.1"] or ["10.0.0.0/8"], or leave it unset when clients connect directly',
    );
    return [];
  }
  for (const entry of value) if (!isAddressOrCidr(entry)) problems.push(`server.trust_proxy: ${JSON.stringify(entry)} is not an IP address or CIDR`);
  return value;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Destination headers go on every outbound request as configured: a name that is not an HTTP token or a value
 * with a control or non-Latin-1 character would make every attempt throw, so they stop startup instead. Names
 * the worker sets itself (content-length, webhook-*, x-filab-*, host) cannot be overridden.
 */
function checkedHeaders(headers: Record<string, string>, at: string, problems: string[]): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) problems.push(`${at}: header name ${JSON.stringify(name)} is not a valid HTTP header name`);
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-') || lower.startsWith('x-filab-')) {
      problems.push(`${at}: header ${JSON.stringify(name)} is set by the worker and cannot be configured`);
    }
    // Visible Latin-1 plus space and tab inside; no leading or trailing whitespace (HTTP would strip it).
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value) || value.trim() !== value) {
      problems.push(`${at}.${name}: value has a control character, a character outside Latin-1 or surrounding whitespace`);
    }
  }
  return headers;
}

const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'user-agent']);

/** `${VAR}` anywhere in a value is replaced by the environment variable; a missing one is a problem. */
function substituteEnv(value: string, env: NodeJS.ProcessEnv, where: string, problems: string[]): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const found = env[name];
    if (found === undefined || found === '') {
      problems.push(`${where}: environment variable ${name} is not set`);
      return '';
    }
    return found;
  });
}

/**
 * Refuse secrets that cannot verify anything: empty, padded, or not in the form the scheme decodes (the
 * provider's own checkSecret). The message never repeats the secret.
 */
function secretProblem(value: string, provider: Provider | undefined): string | null {
  if (value === '') return 'is empty';
  if (value.trim() !== value) return 'has surrounding whitespace';
  return provider?.checkSecret?.(value) ?? null;
}

function checkUnique(values: string[], what: string, problems: string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) problems.push(`duplicate ${what} ${JSON.stringify(v)}`);
    seen.add(v);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
