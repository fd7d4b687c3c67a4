/**
 * The load generator as its own process, one per scenario: `node --import tsx bench/load-client.ts '<plan json>'`.
 * Run inside the bench's own process, autocannon carried the garbage of every earlier scenario, and its
 * old-generation collections (a 2-10 ms pause every ~170 ms after the first baseline) were counted as the
 * server's latency: the same server measured p99 23-24 ms from a fresh process and 30-33 ms after a baseline.
 * Prints `start <i>` and `end <i>` around each window of target i, then the results as one JSON line.
 */
import { runTurns, type TurnsPlan } from './load.ts';

const plan = JSON.parse(process.argv[2]!) as TurnsPlan;
const results = await runTurns(plan, (target, edge) => process.stdout.write(`${edge} ${target}\n`));
process.stdout.write(`${JSON.stringify(results)}\n`);
