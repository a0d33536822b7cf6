import { defineConfig } from 'vitest/config';
import requireChromium from './test/e2e/require-chromium.js';

// Browser tests (`npm run test:e2e`): headless Debian Chromium driven by playwright-core.
// Without Chromium the run stops here, with the command that installs it.
requireChromium();

export default defineConfig({
  resolve: {
    // The same single copy of graphql as `npm test` (see vitest.config.ts).
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One browser at a time on a small machine.
    fileParallelism: false,
  },
});
