/** Run `filab` as a real child process (for crash, shutdown and CLI tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FILAB_BIN = fileURLToPath(new URL('../../bin/filab.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Start `filab serve` (or another long-running command) and wait for its "listening on <url>" log line. */
export function startServerProcess(env: Record<string, string>, args: string[] = ['serve'], cwd?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [FILAB_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    // A server that does not start in time is killed, so a failed start never leaves a process behind.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^"\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // 'exit' can come before the pipes are read to the end: report on 'close', with everything it printed.
    void exited.then(async (how) => {
      clearTimeout(timer);
      if (child.stdout!.readable || child.stderr!.readable) await new Promise((resolve) => child.once('close', resolve));
      reject(new Error(`server exited (${how}) before listening:\n${out}`));
    });
  });
}

/** Run a CLI command to completion; returns exit code and output. */
export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FILAB_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}
