#!/usr/bin/env node
/**
 * `npm run build`: compile src/ to dist/ with tsc, then copy what tsc does not emit but the code loads at run
 * time beside itself (SQL migrations, the checkpointer's plain-JS thread, the dashboard's static files).
 * Run by `prepare` on install and by the test suite's global setup, so dist/ never lags behind src/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  // Installed without dev dependencies (npm ci --omit=dev): run the dist/ that shipped, if any.
  if (existsSync(join(dist, 'cli', 'main.js'))) process.exit(0);
  console.error('build: typescript is not installed and dist/ is missing; run `npm install` (with dev dependencies) first');
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const ASSETS = /\.(sql|mjs|html|css|js|svg)$/;
function copyAssets(folder) {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSETS.test(name)) cpSync(path, join(dist, relative(src, path)));
  }
}
copyAssets(src);
