// ATHENA_RATE_LIMIT: upstream calls per second for the whole fleet (for the process without Redis).
// Athena throttles per account, so the budget is kept in Redis by rate-limiter-flexible and shared
// by every replica; while Redis is unreachable each replica keeps to its share of it (its insurance
// limiter: the budget divided by the replicas last seen alive, see replica-roster.ts), so that the
// fleet as a whole still stays under it. A call over budget waits for the next free slot, within its caller's deadline, rather
// than fail.
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AthenaError, type AthenaOperation, type AthenaPort, type CallOptions } from '../athena/port.js';
import type { RedisLink } from './redis-link.js';

export interface UpstreamBudgetOptions {
  /** Calls per second. */
  perSecond: number;
  /** Shared by the fleet when given. */
  link?: RedisLink | undefined;
  /** Told each time a call had to wait, with how long. */
  onWait?: ((waitedMs: number) => void) | undefined;
}

const BUDGET_KEY = 'athena-calls';

export class UpstreamBudget {
  readonly #limiter: RateLimiterAbstract;
  /** This replica's own limiter: the whole budget alone, its share of it in a fleet while Redis is away. */
  readonly #own: RateLimiterMemory;
  readonly #perSecond: number;
  readonly #onWait: UpstreamBudgetOptions['onWait'];

  constructor(options: UpstreamBudgetOptions) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${options.perSecond}`);
    // Fractional budgets (0.5/s) become whole calls per longer window.
    const { points, duration } = window(options.perSecond);
    const own = new RateLimiterMemory({ points, duration });
    this.#own = own;
    this.#perSecond = options.perSecond;
    this.#limiter =
      options.link === undefined
        ? own
        : new RateLimiterRedis({
            storeClient: options.link.commands,
            keyPrefix: `${options.link.keyPrefix}budget`,
            points,
            duration,
            // Not ready (down, reconnecting): the replica's own limiter answers at once.
            rejectIfRedisNotReady: true,
            insuranceLimiter: own,
          });
    this.#onWait = options.onWait;
  }

  /** How many replicas share the budget: this replica's own limiter keeps to its share of it. */
  shareWith(replicas: number): void {
    const { points, duration } = window(this.#perSecond / Math.max(1, replicas));
    this.#own.points = points;
    this.#own.duration = duration;
  }

  /** Resolves when a call may go; waits while the budget is spent; rejects when `signal` aborts first. */
  async take(operation: AthenaOperation, signal: AbortSignal | undefined): Promise<void> {
    const started = performance.now();
    for (;;) {
      if (signal?.aborted) throw abandoned(operation, signal);
      try {
        await this.#limiter.consume(BUDGET_KEY, 1);
        if (performance.now() - started >= 1) this.#onWait?.(performance.now() - started);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // A little jitter, so that waiting replicas do not all come back at the same instant.
        await sleep(rejection.msBeforeNext + Math.random() * 20, signal, operation);
      }
    }
  }
}

/** The port with every upstream call held to the budget. */
export function budgeted(port: AthenaPort, budget: UpstreamBudget): AthenaPort {
  // Every method of the port, present and future, takes its last argument as CallOptions.
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const operation = operationOf(String(property));
      return async (...args: unknown[]) => {
        const options = args.at(-1) as CallOptions | undefined;
        await budget.take(operation, typeof options === 'object' && options !== null ? options.signal : undefined);
        return (value as (...rest: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function window(perSecond: number): { points: number; duration: number } {
  if (perSecond >= 1) return { points: Math.floor(perSecond), duration: 1 };
  return { points: 1, duration: Math.ceil(1 / perSecond) };
}

/** `getSessionStatus` -> `GetSessionStatus`, for errors only. */
function operationOf(method: string): AthenaOperation {
  return (method.charAt(0).toUpperCase() + method.slice(1)) as AthenaOperation;
}

function abandoned(operation: AthenaOperation, signal: AbortSignal): AthenaError {
  return new AthenaError(
    'aborted',
    operation,
    `${operation} abandoned while waiting for the upstream call budget (ATHENA_RATE_LIMIT)`,
    {
      cause: signal.reason,
    },
  );
}

function sleep(ms: number, signal: AbortSignal | undefined, operation: AthenaOperation): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abandoned(operation, signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
