/**
 * subscribeDue across processes: one dedicated connection LISTENs on the due channel and wakes the local
 * listeners on each NOTIFY. When the connection drops (server restart, pg_terminate_backend, network) it
 * reconnects with backoff and wakes the listeners once connected, since notifications sent meanwhile are lost.
 * Errors are reported, never thrown: losing LISTEN only slows workers down to their polling interval.
 */
import pg from 'pg';
import { connectionConfig, DUE_CHANNEL } from './pool.ts';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export function makeDueListener(url: string, onError: (err: unknown) => void) {
  const listeners = new Set<() => void>();
  let client: pg.Client | null = null;
  let connecting = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let backoff = MIN_BACKOFF_MS;

  const wake = () => {
    for (const listener of [...listeners]) listener();
  };

  function retryLater() {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  function drop(c: pg.Client) {
    if (client !== c) return;
    client = null;
    c.end().catch(() => {});
    retryLater();
  }

  async function connect() {
    if (stopped || client || connecting) return;
    connecting = true;
    const c = new pg.Client(connectionConfig(url));
    c.on('error', (err) => {
      onError(err);
      drop(c);
    });
    c.on('end', () => drop(c));
    c.on('notification', wake);
    try {
      await c.connect();
      await c.query(`LISTEN ${DUE_CHANNEL}`);
      if (stopped) return void c.end().catch(() => {});
      client = c;
      backoff = MIN_BACKOFF_MS;
      wake();
    } catch (err) {
      onError(err);
      c.end().catch(() => {});
      retryLater();
    } finally {
      connecting = false;
    }
  }

  return {
    /** Wake this process's listeners directly (after a local commit), without waiting for the NOTIFY round trip. */
    wake,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      void connect();
      return () => void listeners.delete(listener);
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
    /** For tests: whether the LISTEN connection is up. */
    connected: () => client !== null,
  };
}
