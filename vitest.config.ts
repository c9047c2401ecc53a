import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['conductor/test/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['conductor/test/global-setup.ts'],
    // `sandbox: auto` (the default) would run every test's agents under bubblewrap where it is installed and
    // unconfined where it is not: the suite pins `none` so it behaves the same on every machine. The sandbox's
    // own tests set `sandbox: bwrap`, or clear this to let the machine decide (sandbox.test.ts).
    env: { CONDUCTOR_SANDBOX: 'none' },
  },
});
