// startStack with the cross-request cache on (CACHE_TTL_MS = ttlMs), a clock the test may move, and
// an optional gate between the cache and Athena; `port` sees the calls that really go upstream.
import type { CacheEvent } from '../../src/athena/caching-port.js';
import type { AthenaOperation, AthenaPort } from '../../src/athena/port.js';
import { type Stack, type StackOptions, startStack } from '../helpers.js';
import { interceptPort } from '../support/port-calls.js';

export interface CachedStack extends Stack {
  /** Every cached read's outcome since the stack started, in order. */
  cacheEvents: CacheEvent[];
}

export interface CachedStackOptions extends Pick<StackOptions, 'athena' | 'gateway'> {
  ttlMs: number;
  /** Monotonic milliseconds for the cache's TTL; default the real clock. */
  now?: () => number;
  /** Holds upstream calls of these operations until `gate.open()`, to line up concurrent requests. */
  gate?: Gate;
}

/** Holds the calls of some operations (between the cache and Athena) until opened. */
export class Gate {
  #opened: Promise<void>;
  #open!: () => void;
  waiting = 0;

  constructor(readonly operations: ReadonlySet<AthenaOperation>) {
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }

  open(): void {
    this.#open();
  }

  wrap(port: AthenaPort): AthenaPort {
    const hold = async <T>(operation: AthenaOperation, call: () => Promise<T>): Promise<T> => {
      if (this.operations.has(operation)) {
        this.waiting += 1;
        await this.#opened;
      }
      return call();
    };
    return interceptPort(port, hold);
  }
}

export async function startCachedStack(options: CachedStackOptions): Promise<CachedStack> {
  const cacheEvents: CacheEvent[] = [];
  const stack = await startStack({
    athena: options.athena,
    gateway: options.gateway,
    config: { cacheTtlMs: options.ttlMs },
    now: options.now,
    onCacheEvent: (event) => cacheEvents.push(event),
    wrapAdapter: options.gate && ((port) => options.gate!.wrap(port)),
  });
  return Object.assign(stack, { cacheEvents });
}
