import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration and browser tests bind real sockets and start Chromium; two cores can't take
    // many of those at once without timing noise.
    maxWorkers: 2,
  },
});
