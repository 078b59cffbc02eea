import { defineConfig } from 'vitest/config';
import everyday from './vitest.config.ts';

/**
 * `pnpm test:faults`: the slow tests that break things on purpose (outages, shutdown under load, fuzzing),
 * kept out of `pnpm test` so the everyday suite stays quick. CI runs both.
 */
export default defineConfig({
  ...everyday,
  test: {
    ...everyday.test,
    include: ['apps/*/src/**/*.faults.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // The API's project alone: the web app's component tests are everyday tests, already run by `pnpm test`.
    projects: [{ extends: true, test: { name: 'faults' } }],
  },
});
