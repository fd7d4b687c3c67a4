/** A scenario measured in turns with the bare node:http baseline, and the row the bench's table prints for it. */
import { runTurnsInChild, type LoadResult, type TurnsPlan } from './load.ts';
import { BASELINE, startChild } from './processes.ts';

export interface Row extends LoadResult {
  scenario: string;
  peakRssMb: number;
  /** CPU the server process used per request during its windows, all its threads (not PostgreSQL's own). */
  serverCpuUs: number;
  /**
   * Share of the row's wall time its event-loop thread spent on a CPU, and runnable but waiting for one: their sum
   * near 100% means that thread bounds throughput, whatever the machine's idle time says.
   */
  eventLoopPct: { running: number; waiting: number };
  ratio: number;
  /** req/s of the node:http baseline measured in turns with this row, at the same concurrency. */
  baselineRps?: number;
}

export interface TurnsTiming {
  /** Load time per target, over all its windows. */
  seconds: number;
  warmupSeconds: number;
  windows: number;
}

export type TurnsRunner = (plan: TurnsPlan, onWindow: (target: number, edge: 'start' | 'end') => void) => Promise<LoadResult[]>;

export interface BaselineOptions {
  timing: TurnsTiming;
  replays?: boolean;
  connections?: number;
  /** The load generator: autocannon in a child process unless given (bench/wrk.ts). */
  turns?: TurnsRunner;
  baselineName?: string;
}

export const BASELINE_NAME = 'baseline node:http (2 KB POST -> 200)';

/**
 * A scenario and the node:http baseline, both running, measured in turns at the same concurrency (runTurns in
 * load.ts): after a warm-up of each, five windows of a fifth of the scenario's time each, so both see the same
 * drift of a shared machine. Two consecutive 10 s runs did not: the baseline alone read 11.6k and 19.8k req/s
 * within one run.
 */
export async function againstBaseline(name: string, args: string[], env: Record<string, string>, options: BaselineOptions): Promise<{ base: Row; row: Row }> {
  const { timing, replays = false, connections = 64, turns = runTurnsInChild, baselineName = BASELINE_NAME } = options;
  const servers = [await startChild(BASELINE, {}), await startChild(args, env)];
  try {
    const used = servers.map(() => ({ cpuMs: 0, wallMs: 0, running: 0, waiting: 0 }));
    let start = { cpuMs: 0, wallMs: 0, running: 0, waiting: 0 };
    const sample = (i: number) => ({ cpuMs: servers[i]!.cpuMs(), wallMs: performance.now(), ...servers[i]!.eventLoopMs() });
    const results = await turns(
      {
        urls: servers.map((s) => s.url),
        warmupSeconds: timing.warmupSeconds,
        windows: timing.windows,
        windowSeconds: timing.seconds / timing.windows,
        replays,
        connections,
      },
      (i, edge) => {
        if (edge === 'start') start = sample(i);
        else {
          const end = sample(i);
          for (const k of ['cpuMs', 'wallMs', 'running', 'waiting'] as const) used[i]![k] += end[k] - start[k];
        }
      },
    );
    const [base, row] = [baselineName, name].map((scenario, i): Row => {
      const { seconds: _s, startedAtMs: _t, ...result } = results[i]!;
      return {
        scenario,
        ...result,
        peakRssMb: servers[i]!.peakRssMb(),
        serverCpuUs: (used[i]!.cpuMs * 1000) / Math.max(result.requests, 1),
        eventLoopPct: { running: (100 * used[i]!.running) / used[i]!.wallMs, waiting: (100 * used[i]!.waiting) / used[i]!.wallMs },
        ratio: result.rps / results[0]!.rps,
      };
    }) as [Row, Row];
    return { base, row: { ...row, baselineRps: base.rps } };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
