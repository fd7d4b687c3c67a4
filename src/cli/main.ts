/** The `filab` command line. Each subcommand lives in its own file; this one only wires them up. */
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { registerAudit } from './audit.ts';
import { registerDestinations } from './destinations.ts';
import { registerEvents } from './events.ts';
import { registerMigrate } from './migrate.ts';
import { registerReplay } from './replay.ts';
import { registerRetry } from './retry.ts';
import { registerSend } from './send.ts';
import { registerServe } from './serve.ts';
import { registerSources } from './sources.ts';
import { registerWorker } from './worker.ts';

// `.env` in the working directory fills in what the real environment does not set (real environment wins).
loadDotenv({ quiet: true });

const program = new Command('filab').description('Fintech Integration Lab: a self-hosted webhook inbox for payment providers').showHelpAfterError();
registerServe(program);
registerSend(program);
registerSources(program);
registerAudit(program);
registerWorker(program);
registerEvents(program);
registerReplay(program);
registerRetry(program);
registerDestinations(program);
registerMigrate(program);

await program.parseAsync(process.argv);
