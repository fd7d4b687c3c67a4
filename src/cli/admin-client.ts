/**
 * The CLI's way to the admin API: plain HTTP to `--url` (default http://127.0.0.1:$PORT) with ADMIN_TOKEN
 * from the environment as a Bearer token. Commands never open the database themselves, so they work the same
 * against SQLite or PostgreSQL, locally or remotely.
 */
import type { Command } from 'commander';

export interface AdminClient {
  get<T = any>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T = any>(path: string, body?: unknown): Promise<T>;
}

export class AdminClientError extends Error {}

export interface ClientOptions {
  url?: string;
}

export function addClientOptions(command: Command): Command {
  return command.option('--url <url>', 'inbox base URL (default: http://127.0.0.1:$PORT, PORT defaulting to 8000); ADMIN_TOKEN is read from the environment');
}

export function makeAdminClient(options: ClientOptions, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const base = (options.url ?? `http://127.0.0.1:${env.PORT || '8000'}`).replace(/\/+$/, '');
  const token = env.ADMIN_TOKEN || null;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    // The admin API refuses a state change without a JSON content type, even one with no body.
    if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${base}/admin/api${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new AdminClientError(`Could not connect to ${base}. Is the server running? (set --url or PORT)`);
    }
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    if (!response.ok) {
      const detail = json?.detail ?? text.slice(0, 200);
      const hint = response.status === 401 ? " (set ADMIN_TOKEN to the server's token)" : '';
      throw new AdminClientError(`${response.status} ${json?.code ?? ''}: ${detail}${hint}`.replace(' :', ':'));
    }
    return json as T;
  }
  return {
    get: (path, query = {}) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
      const qs = params.toString();
      return call('GET', qs ? `${path}?${qs}` : path);
    },
    post: (path, body) => call('POST', path, body ?? {}),
  };
}

/** Run a command body, printing AdminClientError as one line and exiting 1 (no stack trace for expected failures). */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof AdminClientError || err instanceof UsageError) {
      process.stderr.write(`[ERROR] ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export class UsageError extends Error {}

/** `--since 2h` / `30m` / `7d` / `45s`, an ISO time, or epoch ms -> ISO string. */
export function parseTimeOption(value: string, now = Date.now()): string {
  const relative = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  if (/^\d+$/.test(value)) return new Date(Number(value)).toISOString();
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`cannot read ${JSON.stringify(value)} as a time (use 2h, 30m, 7d, or an ISO time)`);
  return new Date(parsed).toISOString();
}
