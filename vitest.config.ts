import { defineConfig } from 'vitest/config';

// Tests run in forked processes (the addon is loaded per process) and with generous timeouts:
// they measure a real kernel on a shared 2-core machine. Tests that change machine-wide knobs
// serialise themselves through rsslab's own lock (src/system/lock.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
