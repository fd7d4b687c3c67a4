import { randomFillSync } from 'node:crypto';

/**
 * Prefixed, roughly time-sortable ids (`msg_`, `dlv_`, `atmpt_`), so an id in a log line says what it names.
 * 11 base36 chars of milliseconds keep lexical order equal to creation order until the year 5000.
 * Random bytes come from a pool refilled 4 KiB at a time: one syscall per 512 ids instead of one per id
 * (it showed up at ~6% of ingest CPU).
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
// The milliseconds part of the last id: ids come in bursts within one millisecond, and a number in base 36
// costs more to write than the rest of the id.
let lastMs = Number.NaN;
let lastTime = '';

export function newId(prefix: string, nowMs: number = Date.now()): string {
  if (offset + 8 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + 8);
  offset += 8;
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    lastTime = nowMs.toString(36).padStart(11, '0');
  }
  return `${prefix}_${lastTime}${random}`;
}
