import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Database tests make real databases; MariaDB on two cores needs more than the default 5 s now and then.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
