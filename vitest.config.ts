import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(`${import.meta.dirname}/apps/api/package.json`);

export default defineConfig({
  // One copy of graphql, as in production: Node loads graphql's CommonJS build for Apollo, graphql-tools and
  // graphql-jit, while Vite would resolve our own `import 'graphql'` to its ES module build, and a schema
  // built by one copy fails the type checks of the other.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    // The slow fault tests run in `pnpm test:faults` (vitest.faults.config.ts).
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.faults.test.ts'],
    // Database tests make real databases; MariaDB on two cores needs more than the default 5 s now and then.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The API's bundle, for the tests that run it as a process of its own (testing/processes.ts).
    globalSetup: ['apps/api/src/testing/built-api.global-setup.ts'],
    // The settings above make the node project (API, packages); the web app's components run in jsdom by
    // apps/web/vitest.config.ts.
    projects: [{ extends: true, test: { name: 'node' } }, 'apps/web/vitest.config.ts'],
  },
});
