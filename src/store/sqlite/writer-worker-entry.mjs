// Entry of the SQLite writer thread: plain JavaScript that registers the TypeScript loader (as bin/filab.js
// does) so the thread can run writer-worker.ts whatever loader, if any, the parent thread uses.
import { register } from 'tsx/esm/api';

register();
await import('./writer-worker.ts');
