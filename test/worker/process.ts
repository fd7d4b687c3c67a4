/** Run `filab <command>` as a real child process, for crash, shutdown and CLI tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FILAB = fileURLToPath(new URL('../../bin/filab.js', import.meta.url));

export interface Child {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function startFilab(args: string[], options: { cwd: string; env?: Record<string, string> }): Child {
  const child = spawn(process.execPath, [FILAB, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { process: child, output: () => out, exited };
}

/** Wait for `filab serve` to log its URL. */
export async function listeningUrl(child: Child, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(child.output());
    if (match) return match[1]!;
    if (Date.now() > deadline || child.process.exitCode !== null) throw new Error(`filab did not start:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run a CLI command to completion. */
export async function runFilab(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FILAB, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)));
  return { code, stdout, stderr };
}
