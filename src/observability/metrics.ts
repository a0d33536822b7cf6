// Prometheus metrics of one gateway, in a registry of its own: several gateways in one process
// (tests, embedding) never collide, and nothing depends on prom-client's global registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AthenaOperation } from '../athena/port.js';
import type { BreakerState, RejectionReason, ResilienceState } from '../athena/resilient-port.js';
import type { UpstreamCallEvent } from '../athena/sdk-adapter.js';

export type CacheOutcome = 'hit' | 'miss' | 'shared';

export interface CacheEvent {
  cache: string;
  outcome: CacheOutcome;
}

export interface OperationObservation {
  operationName: string;
  operationType: string;
  outcome: 'ok' | 'error';
  durationMs: number;
  errorCodes: readonly string[];
}

export interface GatewayMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC): once per process, so the CLI turns them on. */
  processMetrics?: boolean;
  /** Distinct client-chosen operation names kept as labels; later ones count as "(other)". */
  maxOperationNames?: number;
}

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Seconds; the deadline (15 s by default) is the top bucket that matters. */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const UPSTREAM_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** Label and log value of operations without a name. */
export const ANONYMOUS_OPERATION = '(anonymous)';

/** GraphQL names only: anything else a client sends as an operation name is not a label. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #operations: Counter<'operation' | 'type' | 'outcome'>;
  readonly #operationDuration: Histogram<'operation' | 'type' | 'outcome'>;
  readonly #operationErrors: Counter<'operation' | 'code'>;
  readonly #upstreamCalls: Counter<'operation' | 'outcome'>;
  readonly #upstreamDuration: Histogram<'operation' | 'outcome'>;
  readonly #upstreamRetries: Counter<'operation'>;
  readonly #upstreamRejected: Counter<'operation' | 'reason'>;
  readonly #breakerTransitions: Counter<'state'>;
  readonly #cacheEvents: Counter<'cache' | 'outcome'>;
  readonly #sharedCacheEvents: Counter<'cache' | 'outcome'>;
  readonly #budgetWaits: Counter;
  readonly #budgetWaitSeconds: Counter;
  readonly #knownOperationNames = new Set<string>();
  readonly #maxOperationNames: number;
  #resilience: ResilienceState | undefined;
  #ready: (() => boolean) | undefined;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.#maxOperationNames = options.maxOperationNames ?? 200;
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });

    this.#operations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations served, by operation name, type and outcome (ok, or error when the answer carries any error).',
      labelNames: ['operation', 'type', 'outcome'],
      registers,
    });
    this.#operationDuration = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'Time from request to response of GraphQL operations (to the end of the stream for subscriptions).',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: OPERATION_BUCKETS,
      registers,
    });
    this.#operationErrors = new Counter({
      name: 'graphql_operation_errors_total',
      help: 'Errors in GraphQL answers, by operation name and error code.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.#upstreamCalls = new Counter({
      name: 'athena_calls_total',
      help: 'Calls to Athena, by Athena operation and outcome (ok, not-found, invalid-request, throttled, unavailable, aborted); retries of one call count once.',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.#upstreamDuration = new Histogram({
      name: 'athena_call_duration_seconds',
      help: 'Latency of calls to Athena, retries and backoff included, by Athena operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: UPSTREAM_BUCKETS,
      registers,
    });
    this.#upstreamRetries = new Counter({
      name: 'athena_call_retries_total',
      help: 'Attempts beyond the first that the SDK made (throttling, 5xx, dropped connections), by Athena operation.',
      labelNames: ['operation'],
      registers,
    });
    this.#upstreamRejected = new Counter({
      name: 'athena_calls_rejected_total',
      help: 'Calls failed at once without reaching Athena: breaker-open, or queue-full when the concurrency cap and its queue are full.',
      labelNames: ['operation', 'reason'],
      registers,
    });
    const resilience = () => this.#resilience;
    new Gauge({
      name: 'athena_calls_in_flight',
      help: 'Calls to Athena running now.',
      registers,
      collect() {
        this.set(resilience()?.inFlight ?? 0);
      },
    });
    new Gauge({
      name: 'athena_calls_queued',
      help: 'Calls to Athena waiting for a slot under the concurrency cap.',
      registers,
      collect() {
        this.set(resilience()?.queued ?? 0);
      },
    });
    new Gauge({
      name: 'athena_circuit_breaker_state',
      help: 'State of the circuit breaker in front of Athena: 0 closed, 1 half-open, 2 open.',
      registers,
      collect() {
        this.set(BREAKER_STATE_VALUE[resilience()?.breakerState ?? 'closed']);
      },
    });
    this.#breakerTransitions = new Counter({
      name: 'athena_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered.',
      labelNames: ['state'],
      registers,
    });
    this.#cacheEvents = new Counter({
      name: 'gateway_cache_events_total',
      help: 'Lookups in the cross-request caches: hit, miss, or shared (joined an identical call already in flight).',
      labelNames: ['cache', 'outcome'],
      registers,
    });
    this.#sharedCacheEvents = new Counter({
      name: 'gateway_shared_cache_events_total',
      help: "Reads through Redis shared by the replicas: hit (answered from Redis), miss (this replica called Athena), shared (joined another replica's call in flight), error (Redis failed or was too slow; the in-process path answered).",
      labelNames: ['cache', 'outcome'],
      registers,
    });
    this.#budgetWaits = new Counter({
      name: 'athena_budget_waits_total',
      help: 'Upstream calls that waited for the ATHENA_RATE_LIMIT budget.',
      registers,
    });
    this.#budgetWaitSeconds = new Counter({
      name: 'athena_budget_wait_seconds_total',
      help: 'Time upstream calls spent waiting for the ATHENA_RATE_LIMIT budget.',
      registers,
    });
    const ready = () => this.#ready;
    new Gauge({
      name: 'gateway_ready',
      help: '1 while /ready answers 200, else 0.',
      registers,
      collect() {
        this.set(ready()?.() === false ? 0 : 1);
      },
    });
  }

  /** Reads in-flight and queued calls and the breaker state at each scrape. */
  watchResilience(state: ResilienceState): void {
    this.#resilience = state;
  }

  /** Exposes the Redis connection (REDIS_URL set): 1 while connected, 0 while not; labelled with the redacted target. */
  watchRedis(state: () => 'connecting' | 'up' | 'down', target: string): void {
    new Gauge({
      name: 'gateway_redis_connected',
      help: '1 while this replica is connected to the Redis it shares with the fleet (REDIS_URL), 0 while it works on its own.',
      labelNames: ['redis'],
      registers: [this.registry],
      collect() {
        this.set({ redis: target }, state() === 'up' ? 1 : 0);
      },
    });
  }

  readonly recordSharedCacheEvent = (event: CacheEvent | { cache: string; outcome: 'error' }): void => {
    this.#sharedCacheEvents.inc({ cache: event.cache, outcome: event.outcome });
  };

  readonly recordBudgetWait = (waitedMs: number): void => {
    this.#budgetWaits.inc();
    this.#budgetWaitSeconds.inc(waitedMs / 1000);
  };

  watchReadiness(isReady: () => boolean): void {
    this.#ready = isReady;
  }

  observeOperation(observation: OperationObservation): void {
    const operation = this.#operationLabel(observation.operationName);
    const labels = { operation, type: observation.operationType, outcome: observation.outcome };
    this.#operations.inc(labels);
    this.#operationDuration.observe(labels, observation.durationMs / 1000);
    for (const code of observation.errorCodes) this.#operationErrors.inc({ operation, code });
  }

  observeUpstreamCall(event: UpstreamCallEvent): void {
    const labels = { operation: event.operation, outcome: event.outcome };
    this.#upstreamCalls.inc(labels);
    this.#upstreamDuration.observe(labels, event.durationMs / 1000);
    if (event.attempts > 1) this.#upstreamRetries.inc({ operation: event.operation }, event.attempts - 1);
  }

  countRejection(operation: AthenaOperation, reason: RejectionReason): void {
    this.#upstreamRejected.inc({ operation, reason });
  }

  countBreakerTransition(state: BreakerState): void {
    this.#breakerTransitions.inc({ state });
  }

  /** The callback the cross-request cache reports to (its `onCacheEvent` option). */
  readonly recordCacheEvent = (event: CacheEvent): void => {
    this.#cacheEvents.inc({ cache: event.cache, outcome: event.outcome });
  };

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Client-chosen names are bounded so that a client cannot grow the label set without end. */
  #operationLabel(name: string): string {
    if (this.#knownOperationNames.has(name) || name === ANONYMOUS_OPERATION) return name;
    if (!OPERATION_NAME.test(name) || this.#knownOperationNames.size >= this.#maxOperationNames) return '(other)';
    this.#knownOperationNames.add(name);
    return name;
  }
}
