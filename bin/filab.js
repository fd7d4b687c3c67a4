#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`; `npm install` builds it on `prepare`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('[ERROR] dist/ is missing: run `npm run build` (or `npm install`, which builds it) first.\n');
  process.exit(1);
}
await import(entry.href);
