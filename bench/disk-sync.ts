/**
 * How fast this machine's disk makes a write durable: fdatasync after each 4 KB append, as a WAL commit does.
 * One transaction per request could never beat this rate; group commit shares each sync among a batch.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskSyncFigures {
  p50Ms: number;
  p99Ms: number;
  syncsPerSecond: number;
}

export function benchDiskSync(dir: string, rounds = 1000): DiskSyncFigures {
  const path = join(dir, 'disk-sync.bin');
  const fd = openSync(path, 'w');
  const page = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      writeSync(fd, page);
      const start = process.hrtime.bigint();
      fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  return { p50Ms: times[Math.floor(rounds / 2)]!, p99Ms: times[Math.floor(rounds * 0.99)]!, syncsPerSecond: (rounds * 1000) / total };
}
