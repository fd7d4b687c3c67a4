/**
 * Crash-safety rounds shared by both backends: a real `filab serve` (ingest + worker) takes signed events from
 * several connections and delivers them to a slow local receiver; it is killed with SIGKILL at a random moment,
 * restarted, and killed again, round after round. At the end every acknowledged event must be stored and delivered.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServerProcess } from '../helpers/child.ts';
import { postWhileStopping, SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';

export interface RoundReport {
  round: number;
  sent: number;
  acknowledged: number;
  stored: number;
  delivered: number;
  lost: number;
}

/** Seeded so a failing run can be replayed: CRASH_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startSlowReceiver(delayMs: number): Promise<{ url: string; deliveredKeys: Set<string>; server: Server }> {
  const deliveredKeys = new Set<string>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      setTimeout(() => {
        try {
          deliveredKeys.add((JSON.parse(body) as { id: string }).id);
        } catch {
          /* not ours */
        }
        res.writeHead(200).end('ok');
      }, delayMs),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, deliveredKeys, server };
}

export interface CrashRoundsOptions {
  dir: string;
  /** Environment selecting the backend (DATABASE_PATH or DATABASE_URL). */
  env: Record<string, string>;
  rounds: number;
  /** Reads the event keys stored so far. */
  storedKeys(): Promise<Set<string>>;
  /** True once no delivery is pending or failed. */
  allDelivered(): Promise<boolean>;
}

export async function runCrashRounds(options: CrashRoundsOptions): Promise<RoundReport[]> {
  const random = prng(Number(process.env.CRASH_SEED ?? 7));
  const receiver = await startSlowReceiver(15);
  writeFileSync(
    join(options.dir, 'filab.yaml'),
    `sources:
  - name: stripe
    provider: stripe
    secrets: ["${SECRET}"]
destinations:
  - { name: ledger, url: "${receiver.url}/ledger", timeout_ms: 1000, max_in_flight: 8 }
worker:
  allow_private_destinations: true
  lease_ms: 2000
  poll_interval_ms: 100
`,
  );
  const env = { ...options.env, LOG_LEVEL: 'info' };
  const acknowledgedByRound: string[][] = [];
  const sentByRound: number[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const server = await startServerProcess(env, ['serve'], options.dir);
      const acknowledged: string[] = [];
      let sent = 0;
      let stop = false;
      const sender = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const id = `evt_r${round}_${w}_${i}`;
          const signed = signedStripe(stripeEvent({ id }));
          sent++;
          try {
            const res = await postWhileStopping(`${server.url}/webhooks/stripe`, signed);
            if (res.status === 200) acknowledged.push(id);
            await res.arrayBuffer();
          } catch {
            return;
          }
        }
      };
      const senders = Array.from({ length: 6 }, (_, w) => sender(w));
      // Kill at a random moment once the round is under way (a loaded machine may start slowly).
      const started = Date.now();
      while (acknowledged.length < 20 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, random() * 700));
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      await server.exited;
      acknowledgedByRound.push(acknowledged);
      sentByRound.push(sent);
    }
    // A last, clean run delivers what the killed ones left (expired leases are claimed again).
    const final = await startServerProcess(env, ['serve'], options.dir);
    const deadline = Date.now() + 60_000;
    while (!(await options.allDelivered())) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    final.child.kill('SIGTERM');
    await final.exited;
    const stored = await options.storedKeys();
    return acknowledgedByRound.map((acks, i) => ({
      round: i + 1,
      sent: sentByRound[i]!,
      acknowledged: acks.length,
      stored: acks.filter((k) => stored.has(k)).length,
      delivered: acks.filter((k) => receiver.deliveredKeys.has(k)).length,
      lost: acks.filter((k) => !stored.has(k) || !receiver.deliveredKeys.has(k)).length,
    }));
  } finally {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
}

export function printRounds(backend: string, rows: RoundReport[]): void {
  const header = 'round  sent  acknowledged  stored  delivered  lost';
  const lines = rows.map(
    (r) =>
      `${String(r.round).padStart(5)}  ${String(r.sent).padStart(4)}  ${String(r.acknowledged).padStart(12)}  ${String(r.stored).padStart(6)}  ${String(r.delivered).padStart(9)}  ${String(r.lost).padStart(4)}`,
  );
  console.log(`crash rounds (${backend}, SIGKILL mid-load and mid-delivery):\n${header}\n${lines.join('\n')}`);
}

/** SQLite readers for the rounds. */
export function sqliteReaders(path: string) {
  const query = <T>(sql: string): T[] => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(sql).pluck().all() as T[];
    } finally {
      db.close();
    }
  };
  return {
    storedKeys: async () => new Set(query<string>('SELECT event_key FROM events')),
    allDelivered: async () => query<number>("SELECT count(*) FROM deliveries WHERE status IN ('pending','failed')")[0] === 0,
  };
}
