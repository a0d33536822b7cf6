// What the gateway knows about the request being served, wherever the code runs: the upstream
// calls made on its behalf are attributed to it through AsyncLocalStorage, because the adapter's
// call hook is process-wide and knows nothing about requests.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AthenaOperation } from '../athena/port.js';

export interface RequestScope {
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Upstream calls made for this request, by Athena operation (each call once, whatever its attempts). */
  readonly upstreamCalls: Map<AthenaOperation, number>;
  /** Attempts beyond the first, over all its upstream calls. */
  upstreamRetries: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(scope: RequestScope, run: () => T): T {
  return storage.run(scope, run);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The id of the request being served, for log lines written outside the request logger. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
