/**
 * The destination of the keep-up scenario (keep-up.ts), as its own process: answers every delivery 204 as soon as
 * its body has arrived. `GET /count` says how many arrived, how many distinct events (by `webhook-id`: delivery is
 * at least once) and when the first and last arrived (ms since the epoch, comparable with the bench's clock).
 */
import { createServer } from 'node:http';

const now = () => performance.timeOrigin + performance.now();
const ids = new Set<string>();
let received = 0;
let firstMs = 0;
let lastMs = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received, distinct: ids.size, firstMs, lastMs }));
    return;
  }
  req.on('data', () => {});
  req.on('end', () => {
    received++;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') ids.add(id);
    lastMs = now();
    if (firstMs === 0) firstMs = lastMs;
    res.writeHead(204).end();
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
