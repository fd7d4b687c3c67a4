import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Child-process tests run bin/filab.js, which runs the compiled dist/: build it first.
    globalSetup: ['./test/global-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers and child processes; two cores, so keep the pool small.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
