/** The process guard in a real process: escaped errors are logged (without their extra fields) and counted. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./process-guard-script.ts', import.meta.url));

it('logs and counts an uncaught exception and unhandled rejections, and the process keeps running', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, out).toBe(0);
  expect(out).toContain('still running');
  expect(out).toContain('filab_uncaught_errors_total{kind="uncaught_exception"} 1');
  expect(out).toContain('filab_uncaught_errors_total{kind="unhandled_rejection"} 2');
  const logged = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { kind: string; error: Record<string, unknown>; msg: string });
  expect(logged.map((l) => [l.kind, l.error.message])).toEqual(
    expect.arrayContaining([
      ['uncaught_exception', 'escaped exception'],
      ['unhandled_rejection', 'escaped rejection'],
      ['unhandled_rejection', 'a bare string'],
    ]),
  );
  expect(logged.find((l) => l.kind === 'uncaught_exception')!.error).toMatchObject({ type: 'Error', code: 'E_TEST' });
  expect(out).not.toContain('hunter2');
});
