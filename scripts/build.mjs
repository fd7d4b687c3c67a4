#!/usr/bin/env node
/**
 * `npm run build`: compile src/ to dist/ with tsc, then copy what tsc does not emit but the code loads at run
 * time beside itself (SQL migrations, the checkpointer's plain-JS thread, the dashboard's static files).
 * Run by `prepare` on install, by `npm start` and by the test suite's global setup, so dist/ never lags behind src/.
 *
 * Nothing to do when dist/ is newer than every source file. Otherwise the new tree is built beside the old one and
 * swapped in by renames, so a `filab` process already running from dist/ never finds it half-written or missing.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const force = process.argv.includes('--force');

/** Every file below a folder, recursively. */
function files(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

const inputs = [...files(src), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), fileURLToPath(import.meta.url)];
const newestInput = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput) process.exit(0);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  // Installed without dev dependencies (npm ci --omit=dev): run the dist/ that shipped, if any.
  if (existsSync(join(dist, 'cli', 'main.js'))) process.exit(0);
  console.error('build: typescript is not installed and dist/ is missing; run `npm install` (with dev dependencies) first');
  process.exit(1);
}

const next = `${dist}.next-${process.pid}`;
const old = `${dist}.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
  const ASSETS = /\.(sql|mjs|html|css|js|svg)$/;
  for (const file of files(src)) if (ASSETS.test(file)) cpSync(file, join(next, relative(src, file)));
  writeFileSync(join(next, '.built'), `${new Date().toISOString()}\n`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(next, dist);
} finally {
  rmSync(next, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
