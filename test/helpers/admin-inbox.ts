/**
 * For the admin access tests: a real `filab serve` child (SQLite file, one Stripe source, one destination
 * `ledger`, no worker, so nothing but the admin routes ever changes the destination), and raw HTTP requests
 * that may carry any Host, Origin or X-Forwarded-For (fetch() would set Host itself).
 */
import Database from 'better-sqlite3';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from './child.ts';
import { makeTempDir } from './inbox.ts';
import { stripeToDestinationsYaml } from '../metrics/harness.ts';
import { SECRET, signedStripe, stripeEvent } from './stripe.ts';

export interface AdminInbox {
  server: ServerProcess;
  url: string;
  /** Whether ledger is disabled, read from the database file itself (for a configuration no request may read). */
  ledgerDisabledInDatabase(): boolean;
  close(): Promise<void>;
}

export interface AdminInboxOptions {
  adminToken?: string;
  /** server.trust_proxy, written to filab.yaml as is (a list, or `true` to see startup refuse it). */
  trustProxy?: string[] | true;
}

export function adminInboxYaml(trustProxy?: string[] | true): string {
  // The process runs no worker, so the destination is never delivered to: it only has to exist.
  const base = stripeToDestinationsYaml([{ name: 'ledger', url: 'http://127.0.0.1:9/hook', retrySchedule: [60] }]);
  return trustProxy === undefined ? base : `${base}\nserver:\n  trust_proxy: ${JSON.stringify(trustProxy)}\n`;
}

/** The environment and folder `filab serve` runs with; the caller starts it (or sees it refuse to start). */
export function adminInboxSetup(options: AdminInboxOptions): { dir: string; env: Record<string, string> } {
  const dir = makeTempDir('filab-admin-');
  writeFileSync(join(dir, 'filab.yaml'), adminInboxYaml(options.trustProxy));
  const env: Record<string, string> = { STRIPE_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db') };
  if (options.adminToken) env.ADMIN_TOKEN = options.adminToken;
  return { dir, env };
}

export async function startAdminInbox(options: AdminInboxOptions = {}): Promise<AdminInbox> {
  const { dir, env } = adminInboxSetup(options);
  const server = await startServerProcess(env, ['serve', '--no-worker'], dir);
  return {
    server,
    url: server.url,
    ledgerDisabledInDatabase() {
      const db = new Database(env.DATABASE_PATH!, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT disabled FROM destination_states WHERE name = ?').get('ledger') as { disabled: number } | undefined;
        return row?.disabled === 1;
      } finally {
        db.close();
      }
    },
    async close() {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawAnswer {
  status: number;
  json: any;
}

/** One HTTP request to 127.0.0.1 with exactly these headers (a `host` header replaces the real one). */
export function rawAdminRequest(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port: Number(port),
        method,
        path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON (the dashboard's HTML, Prometheus text) */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.end(body);
  });
}

/** The process is still serving: /health 200 and a fresh signed event accepted. */
export async function stillHealthy(url: string): Promise<{ health: number; ingest: number }> {
  const health = (await fetch(`${url}/health`)).status;
  const signed = signedStripe(stripeEvent());
  const ingest = (await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) })).status;
  return { health, ingest };
}
