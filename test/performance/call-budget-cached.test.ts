// The contract's call budget, cold, with the caching port in place: the very cases of
// test/schema/call-budget.test.ts, run against the stack `serve` builds (CACHE_TTL_MS set), with
// a cold cache (a restarted gateway) before every case. Cold counts must be exactly those of the uncached adapter.
import { vi } from 'vitest';

vi.mock('../helpers.js', async (importOriginal) => {
  const helpers = await importOriginal<typeof import('../helpers.js')>();
  return {
    ...helpers,
    // Built on the original startStack: the mocked one is what this file hands the budget tests.
    startStack: async () => {
      const stack = await helpers.startStack({ config: { cacheTtlMs: 60_000 } });
      const resetCalls = stack.resetCalls;
      // A new gateway before every case: its cache is cold.
      stack.resetCalls = () => {
        stack.restartGateway();
        resetCalls();
      };
      return stack;
    },
  };
});

await import('../schema/call-budget.test.js');
