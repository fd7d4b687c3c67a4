/** Raw TCP HTTP for tests that need bytes fetch() will not send (bad framing, slow clients, odd headers). */
import { connect, type Socket } from 'node:net';

export function rawSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Send bytes (optionally in chunks with pauses) and collect everything until the server closes or timeoutMs. */
export async function rawRequest(url: string, chunks: (string | Buffer)[], options: { pauseMs?: number; timeoutMs?: number } = {}): Promise<string> {
  const socket = await rawSocket(url);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  }
  const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 3000);
  await closed;
  clearTimeout(timer);
  return received;
}

export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}
