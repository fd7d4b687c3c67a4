import { randomBytes } from 'node:crypto';

/**
 * Prefixed, roughly time-sortable ids (`msg_`, `dlv_`, `atmpt_`), so an id in a log line says what it names.
 * 11 base36 chars of milliseconds keep lexical order equal to creation order until the year 5000.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${nowMs.toString(36).padStart(11, '0')}${randomBytes(8).toString('hex')}`;
}
