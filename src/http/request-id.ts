/** Request ids: unique per process without a syscall per request (a random prefix plus a counter). */
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('hex');
let counter = 0;

export function nextRequestId(): string {
  return `req_${prefix}${(counter++).toString(36)}`;
}
