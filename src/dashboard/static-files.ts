/**
 * The dashboard's static files (HTML, CSS, ES modules), read once at startup and served from memory:
 * no bundler, no build step. Every answer carries a strict CSP so nothing but our own files ever runs.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** Every file under `dir` by its URL path relative to it ("app.js", "views/events.js"). */
export function loadStaticFiles(dir: string = PUBLIC_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const contentType = TYPES[extname(name)];
        if (!contentType) continue;
        const body = readFileSync(path);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
        files.set(relative(dir, path).split(sep).join('/'), { body, contentType, etag });
      }
    }
  };
  walk(dir);
  return files;
}
