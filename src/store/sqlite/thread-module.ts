/**
 * A worker thread's module in this folder (the writer's and the reader's). Compiled (dist/, as `filab` runs):
 * `name`.js beside this file. From the TypeScript sources (tests, embedding through a loader): worker threads do not
 * inherit the parent's loader, so the thread's code is bundled into one plain-JavaScript data: URL by esbuild, a dev
 * dependency, in ~25 ms; registering a loader in the thread would start another loader thread (~25 MB resident) to
 * compile a few files once. better-sqlite3 stays external, by absolute URL.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function threadModule(name: string): Promise<URL> {
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  const { build } = await import('esbuild');
  const sqlite = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [{ name: 'absolute-better-sqlite3', setup: (b) => void b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true })) }],
  });
  return new URL(`data:text/javascript,${encodeURIComponent(result.outputFiles[0]!.text)}`);
}
