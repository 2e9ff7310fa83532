import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration files share one stack and a 2-core machine: run them one after another.
    fileParallelism: false,
    // Generous on purpose: on a busy machine a test may be slow, never wrong. The timeouts only
    // catch hangs; what a test decides comes from what the system answered, not from the clock.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    // Every event a test appends must match its contract exactly (src/events/outbox.ts).
    env: { EVENTS_CONTRACT_CHECK: 'strict' },
  },
});
