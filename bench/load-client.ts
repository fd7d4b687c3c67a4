/**
 * The load generator as its own process, one per scenario: `node --import tsx bench/load-client.ts '<json>'`.
 * Run inside the bench's own process, autocannon carried the garbage of every earlier scenario, and its
 * old-generation collections (a 2-10 ms pause every ~170 ms after the first baseline) were counted as the
 * server's latency: the same server measured p99 23-24 ms from a fresh process and 30-33 ms after a baseline.
 * Prints "warm" once the warm-up ends (the parent starts counting server CPU there), then the result as JSON.
 */
import { runLoad, type LoadOptions } from './load.ts';

const { url, warmupSeconds, seconds, ...options } = JSON.parse(process.argv[2]!) as LoadOptions & { url: string; warmupSeconds: number; seconds: number };
if (warmupSeconds > 0) await runLoad(url, warmupSeconds, options);
process.stdout.write('warm\n');
process.stdout.write(`${JSON.stringify(await runLoad(url, seconds, options))}\n`);
