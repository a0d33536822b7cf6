// Overload protection around any AthenaPort (normally the SDK adapter): a cap on the upstream calls
// one process runs at once with a bounded queue behind it, and a circuit breaker. Retries are not
// here: the SDK's standard strategy already retries throttling, 5xx and dropped connections with
// backoff and jitter, and stops when the caller's signal aborts; retrying again on top of it would
// multiply the attempts a struggling Athena receives.

import { type BreakerPermit, type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import {
  AthenaError,
  type AthenaOperation,
  type AthenaPort,
  type CallOptions,
  immutableViaGetSession,
  isAthenaError,
  type ListCalculationsInput,
  type ListSessionsInput,
  type ListWorkGroupsInput,
  type StartCalculationInput,
  type StartSessionInput,
} from './port.js';

export type { BreakerState };

export interface ResilienceSettings {
  /** Upstream calls running at once; more wait in the queue. */
  concurrency: number;
  /** Calls allowed to wait; one more fails at once. 0 = no queue. */
  queueLimit: number;
  /** Failed calls in a row that open the breaker. */
  breakerFailureThreshold: number;
  /** How long the breaker stays open before one trial call goes through. */
  breakerOpenMs: number;
}

export type RejectionReason = 'breaker-open' | 'queue-full';

export type ResilienceEvent =
  | { type: 'rejected'; operation: AthenaOperation; reason: RejectionReason }
  | { type: 'breaker'; state: BreakerState; previous: BreakerState };

export interface ResilientPortOptions extends ResilienceSettings {
  onEvent?: ((event: ResilienceEvent) => void) | undefined;
  /** Monotonic milliseconds, for the breaker; tests pass a manual clock. */
  now?: () => number;
}

/** What readiness and metrics read. */
export interface ResilienceState {
  readonly breakerState: BreakerState;
  readonly inFlight: number;
  readonly queued: number;
}

interface Waiter {
  start(): void;
}

export class ResilientAthenaPort implements AthenaPort, ResilienceState {
  readonly #inner: AthenaPort;
  readonly #concurrency: number;
  readonly #queueLimit: number;
  readonly #breaker: CircuitBreaker;
  readonly #onEvent: ResilientPortOptions['onEvent'];
  readonly #queue: Waiter[] = [];
  #running = 0;

  constructor(inner: AthenaPort, options: ResilientPortOptions) {
    if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    if (!Number.isSafeInteger(options.queueLimit) || options.queueLimit < 0) {
      throw new RangeError(`queueLimit must be a non-negative integer, got ${options.queueLimit}`);
    }
    this.#inner = inner;
    this.#concurrency = options.concurrency;
    this.#queueLimit = options.queueLimit;
    this.#onEvent = options.onEvent;
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.breakerFailureThreshold,
      openMs: options.breakerOpenMs,
      now: options.now,
      onStateChange: (state, previous) => this.#onEvent?.({ type: 'breaker', state, previous }),
    });
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  get inFlight(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  getSession(sessionId: string, options?: CallOptions) {
    return this.#call('GetSession', options, (callOptions) => this.#inner.getSession(sessionId, callOptions));
  }

  getImmutableSession(sessionId: string, options?: CallOptions) {
    return immutableViaGetSession(this, sessionId, options);
  }

  getSessionStatus(sessionId: string, options?: CallOptions) {
    return this.#call('GetSessionStatus', options, (callOptions) =>
      this.#inner.getSessionStatus(sessionId, callOptions),
    );
  }

  listSessions(input: ListSessionsInput, options?: CallOptions) {
    return this.#call('ListSessions', options, (callOptions) => this.#inner.listSessions(input, callOptions));
  }

  terminateSession(sessionId: string, options?: CallOptions) {
    return this.#call('TerminateSession', options, (callOptions) =>
      this.#inner.terminateSession(sessionId, callOptions),
    );
  }

  startSession(input: StartSessionInput, options?: CallOptions) {
    return this.#call('StartSession', options, (callOptions) => this.#inner.startSession(input, callOptions));
  }

  startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    return this.#call('StartCalculationExecution', options, (callOptions) =>
      this.#inner.startCalculationExecution(input, callOptions),
    );
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#call('GetCalculationExecution', options, (callOptions) =>
      this.#inner.getCalculationExecution(calculationExecutionId, callOptions),
    );
  }

  getCalculationExecutionStatus(calculationExecutionId: string, options?: CallOptions) {
    return this.#call('GetCalculationExecutionStatus', options, (callOptions) =>
      this.#inner.getCalculationExecutionStatus(calculationExecutionId, callOptions),
    );
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions) {
    return this.#call('GetCalculationExecutionCode', options, (callOptions) =>
      this.#inner.getCalculationExecutionCode(calculationExecutionId, callOptions),
    );
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions) {
    return this.#call('ListCalculationExecutions', options, (callOptions) =>
      this.#inner.listCalculationExecutions(input, callOptions),
    );
  }

  stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#call('StopCalculationExecution', options, (callOptions) =>
      this.#inner.stopCalculationExecution(calculationExecutionId, callOptions),
    );
  }

  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    return this.#call('GetSessionEndpoint', options, (callOptions) =>
      this.#inner.getSessionEndpoint(sessionId, callOptions),
    );
  }

  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions) {
    return this.#call('ListWorkGroups', options, (callOptions) => this.#inner.listWorkGroups(input, callOptions));
  }

  getWorkGroup(name: string, options?: CallOptions) {
    return this.#call('GetWorkGroup', options, (callOptions) => this.#inner.getWorkGroup(name, callOptions));
  }

  async #call<T>(
    operation: AthenaOperation,
    options: CallOptions | undefined,
    send: (options: CallOptions | undefined) => Promise<T>,
  ): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) throw aborted(operation, signal);
    this.#failFastWhileOpen(operation);
    await this.#acquireSlot(operation, signal);
    try {
      // The breaker may have opened while this call waited: it must not reach Athena then either.
      const permit = this.#breaker.tryAcquire();
      if (permit === undefined) throw this.#reject(operation, 'breaker-open');
      return await this.#observe(signal, permit, () => send(options));
    } finally {
      this.#releaseSlot();
    }
  }

  /** Tells the breaker how the call went, whatever happens (a permit left open would block every trial). */
  async #observe<T>(signal: AbortSignal | undefined, permit: BreakerPermit, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      permit.success();
      return result;
    } catch (error) {
      if (countsAsUpstreamFailure(error, signal)) permit.failure();
      else if (isAthenaError(error, 'aborted')) permit.release();
      else permit.success();
      throw error;
    }
  }

  #failFastWhileOpen(operation: AthenaOperation): void {
    // Only a look: the permit is taken when the call really starts, so a trial slot is never
    // held by a call that is still waiting in the queue.
    if (this.#breaker.state === 'open') throw this.#reject(operation, 'breaker-open');
  }

  #acquireSlot(operation: AthenaOperation, signal: AbortSignal | undefined): Promise<void> | undefined {
    if (this.#running < this.#concurrency) {
      this.#running += 1;
      return undefined;
    }
    if (this.#queue.length >= this.#queueLimit) return Promise.reject(this.#reject(operation, 'queue-full'));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(aborted(operation, signal));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** A finished call hands its slot straight to the next waiter, so no newcomer can take it in between. */
  #releaseSlot(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#running -= 1;
    else next.start();
  }

  #reject(operation: AthenaOperation, reason: RejectionReason): AthenaError {
    this.#onEvent?.({ type: 'rejected', operation, reason });
    const message =
      reason === 'breaker-open'
        ? `${operation} not sent: Athena failed repeatedly, calls fail fast for another ${Math.ceil(this.#breaker.retryAfterMs)} ms`
        : `${operation} not sent: ${this.#concurrency} upstream calls running and ${this.#queueLimit} waiting`;
    return new AthenaError('unavailable', operation, message);
  }
}

/**
 * Failures that say something about Athena's health: it failed after retries, throttled after
 * retries, or did not answer before the operation's deadline. A caller that went away, a missing
 * session and a rejected argument say nothing about it.
 */
function countsAsUpstreamFailure(error: unknown, signal: AbortSignal | undefined): boolean {
  if (isAthenaError(error, 'unavailable') || isAthenaError(error, 'throttled')) return true;
  return isAthenaError(error, 'aborted') && isDeadline(signal?.reason);
}

/** Deadlines abort with a TimeoutError, as AbortSignal.timeout does; a client that leaves does not. */
function isDeadline(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

function aborted(operation: AthenaOperation, signal: AbortSignal | undefined): AthenaError {
  const why = isDeadline(signal?.reason) ? 'the operation deadline passed' : 'the caller cancelled';
  return new AthenaError('aborted', operation, `${operation} not sent: ${why}`, { cause: signal?.reason });
}
