// The gateway's observability in one object, made before the adapter so that the adapter's call
// hook, the resilience layer, the cache and the GraphQL plugins all report to the same metrics
// and logs.
import type { Plugin } from 'graphql-yoga';
import type { ResilienceEvent, ResilienceState } from '../athena/resilient-port.js';
import type { UpstreamCallEvent } from '../athena/sdk-adapter.js';
import type { Logger } from './logger.js';
import { type CacheEvent, GatewayMetrics, type GatewayMetricsOptions } from './metrics.js';
import { useOperationTelemetry } from './operation-telemetry.js';
import { currentRequestScope } from './request-scope.js';
import type { Tracing } from './tracing.js';

export interface GatewayTelemetryOptions extends GatewayMetricsOptions {
  logger?: Logger | undefined;
  /** OpenTelemetry traces (startTracing); undefined = off, and no tracing hook runs. */
  tracing?: Tracing | undefined;
}

export class GatewayTelemetry {
  readonly metrics: GatewayMetrics;
  readonly #logger: Logger | undefined;
  readonly #tracing: Tracing | undefined;

  constructor(options: GatewayTelemetryOptions = {}) {
    this.metrics = new GatewayMetrics(options);
    this.#logger = options.logger;
    this.#tracing = options.tracing;
  }

  /** The SDK adapter's `onCall`: metrics, and the per-request counts of the operation's log line. */
  readonly onUpstreamCall = (event: UpstreamCallEvent): void => {
    this.metrics.observeUpstreamCall(event);
    this.#tracing?.onUpstreamCall(event);
    const scope = currentRequestScope();
    if (scope === undefined) return;
    scope.upstreamCalls.set(event.operation, (scope.upstreamCalls.get(event.operation) ?? 0) + 1);
    scope.upstreamRetries += event.attempts - 1;
  };

  /** The resilient port's `onEvent`. */
  readonly onResilienceEvent = (event: ResilienceEvent): void => {
    if (event.type === 'rejected') {
      this.metrics.countRejection(event.operation, event.reason);
      return;
    }
    this.metrics.countBreakerTransition(event.state);
    const line = { breaker: event.state, previous: event.previous };
    if (event.state === 'open')
      this.#logger?.warn(line, 'circuit breaker opened: Athena keeps failing, calls fail fast for a while');
    else this.#logger?.info(line, `circuit breaker ${event.state}`);
  };

  /** The cross-request cache's `onCacheEvent`. */
  readonly onCacheEvent = (event: CacheEvent): void => this.metrics.recordCacheEvent(event);

  watchResilience(state: ResilienceState): void {
    this.metrics.watchResilience(state);
  }

  plugins(): Plugin[] {
    return [useOperationTelemetry({ metrics: this.metrics, logger: this.#logger })];
  }

  /** The tracing plugins, none when tracing is off; they must come after graphql-jit's, which replaces `execute`. */
  tracingPlugins(): Plugin[] {
    return this.#tracing?.plugins() ?? [];
  }
}
