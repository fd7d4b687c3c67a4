/**
 * Vitest global setup: compile src/ to dist/ once before any test runs. Tests that start `filab` as a child
 * process run bin/filab.js, which runs dist/, so they always test the sources as they are now.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
}
