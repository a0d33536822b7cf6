import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql@16 ships CJS (main) and ESM (module) copies without an exports map: Node, and so
    // every dependency, loads the CJS one, while Vite would pick the ESM one for our sources.
    // Two copies break `instanceof GraphQLError`, so tests load the one production loads.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
