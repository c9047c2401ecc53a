import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['conductor/test/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['conductor/test/global-setup.ts'],
  },
});
