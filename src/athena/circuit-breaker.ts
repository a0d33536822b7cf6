// A consecutive-failure circuit breaker. When Athena keeps failing, every caller waiting out its
// own retries only adds load to a service that is already struggling and makes clients wait for an
// answer that is known in advance; the breaker answers at once instead, for a short while, and then
// lets one call through to find out whether Athena is back.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Failed calls in a row (each after its own retries) that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before it lets one trial call through. */
  openMs: number;
  /** Milliseconds on a monotonic clock; tests pass a manual one. */
  now?: () => number;
  onStateChange?: ((state: BreakerState, previous: BreakerState) => void) | undefined;
}

/** What `tryAcquire` hands out: report how the call went, exactly once. */
export interface BreakerPermit {
  /** Athena answered (successfully, or with an answer such as not-found). */
  success(): void;
  /** Athena failed or did not answer in time. */
  failure(): void;
  /** The call ended without telling anything about Athena (the caller gave up first). */
  release(): void;
}

export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  readonly #onStateChange: CircuitBreakerOptions['onStateChange'];
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isSafeInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${options.failureThreshold}`);
    }
    if (!Number.isFinite(options.openMs) || options.openMs < 0) {
      throw new RangeError(`openMs must be a non-negative number, got ${options.openMs}`);
    }
    this.#failureThreshold = options.failureThreshold;
    this.#openMs = options.openMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onStateChange = options.onStateChange;
  }

  /** The state as a caller would meet it now: an open breaker whose time is up reads half-open. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#openMs) return 'half-open';
    return this.#state;
  }

  /** Milliseconds until an open breaker lets a trial call through; 0 when it is not open. */
  get retryAfterMs(): number {
    return this.#state === 'open' ? Math.max(0, this.#openMs - (this.#now() - this.#openedAt)) : 0;
  }

  /** A permit for one call, or undefined when the call must fail fast. */
  tryAcquire(): BreakerPermit | undefined {
    if (this.#state === 'open') {
      if (this.#now() - this.#openedAt < this.#openMs) return undefined;
      this.#transition('half-open');
    }
    if (this.#state === 'half-open') {
      // One trial at a time: the others fail fast until it has told whether Athena is back.
      if (this.#trialInFlight) return undefined;
      this.#trialInFlight = true;
      return this.#permit(true);
    }
    return this.#permit(false);
  }

  #permit(trial: boolean): BreakerPermit {
    let settled = false;
    const settle = (outcome: 'success' | 'failure' | 'release') => {
      if (settled) return;
      settled = true;
      if (trial) this.#trialInFlight = false;
      if (outcome === 'success') this.#onSuccess();
      else if (outcome === 'failure') this.#onFailure(trial);
    };
    return { success: () => settle('success'), failure: () => settle('failure'), release: () => settle('release') };
  }

  #onSuccess(): void {
    this.#consecutiveFailures = 0;
    if (this.#state !== 'closed') this.#transition('closed');
  }

  #onFailure(trial: boolean): void {
    this.#consecutiveFailures += 1;
    // A failed trial reopens at once; calls admitted before the breaker opened may still be
    // finishing, and their failures must not push the reopening further out.
    if (
      (trial && this.#state === 'half-open') ||
      (this.#state === 'closed' && this.#consecutiveFailures >= this.#failureThreshold)
    ) {
      this.#openedAt = this.#now();
      this.#transition('open');
    }
  }

  #transition(next: BreakerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#onStateChange?.(next, previous);
  }
}
