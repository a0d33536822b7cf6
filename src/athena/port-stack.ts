// The one composition of the Athena port, used by `serve`, the benchmark and the test helpers, so
// that each of them runs what users run:
//
//   gateway -> caching port -> resilient port -> SDK adapter -> Athena
//
// With a fleet (REDIS_URL), the fleet port is outermost instead and the caching port is its
// in-process path; with ATHENA_RATE_LIMIT, the budget sits right on the adapter:
//
//   gateway -> fleet port (Redis) | caching port -> resilient port -> budget -> SDK adapter -> Athena
//
// Caching is outermost, so identical reads share one call and cached answers take no upstream slot
// and never count for the breaker; resilience sits on the adapter, so it caps and counts exactly the
// calls that go upstream.
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { AthenaClientSettings, GatewayConfig } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import type { GatewayTelemetry } from '../observability/telemetry.js';
import { CachingAthenaPort, type CachingPortOptions } from './caching-port.js';
import type { AthenaPort } from './port.js';
import { type ResilienceSettings, ResilientAthenaPort } from './resilient-port.js';
import { SdkAthenaAdapter, type UpstreamCallEvent } from './sdk-adapter.js';

/** The settings the stack reads from the gateway's configuration. */
export type PortStackConfig = Pick<
  GatewayConfig,
  'cacheTtlMs' | 'upstreamConcurrency' | 'upstreamQueueLimit' | 'breakerFailureThreshold' | 'breakerOpenMs'
> & {
  athena: AthenaClientSettings;
};

export interface PortStackOptions {
  /** Metrics and per-operation log lines: the adapter's calls, the breaker and the cache report here. */
  telemetry?: GatewayTelemetry | undefined;
  /** Sees every finished upstream call too (after telemetry). */
  onUpstreamCall?: ((event: UpstreamCallEvent) => void) | undefined;
  /** An SDK client made elsewhere (the benchmark's variant without keep-alive); default one from the settings. */
  client?: AthenaClient | undefined;
  /**
   * Wraps the adapter, under the resilience layer: tests count, hold or falsify the calls that
   * would really go upstream there.
   */
  wrapAdapter?: ((adapter: AthenaPort) => AthenaPort) | undefined;
  /** The cache's monotonic clock; tests move it by hand. */
  now?: CachingPortOptions['now'];
  /** Sees every cached read's outcome too (after telemetry). */
  onCacheEvent?: CachingPortOptions['onCacheEvent'];
  /**
   * Leaves the cross-request layer out. Only for tests of the resilience layer itself, which count
   * each request's own upstream failures (the cache would merge identical calls in flight).
   */
  withoutCache?: boolean | undefined;
  /** Replicas sharing Redis, and the upstream budget (src/fleet/). */
  fleet?: Fleet | undefined;
}

export interface PortStack {
  /** What the gateway is given: the outermost layer. */
  readonly port: AthenaPort;
  readonly adapter: SdkAthenaAdapter;
  /** The breaker and the upstream concurrency cap: what readiness and metrics watch. */
  readonly resilient: ResilientAthenaPort;
  /** Absent with `withoutCache`, and with a fleet (whose port makes its own in-process caching ports). */
  readonly cache: CachingAthenaPort | undefined;
  /** Closes the SDK client's sockets. */
  destroy(): void;
}

export function resilienceSettingsOf(config: PortStackConfig): ResilienceSettings {
  return {
    concurrency: config.upstreamConcurrency,
    queueLimit: config.upstreamQueueLimit,
    breakerFailureThreshold: config.breakerFailureThreshold,
    breakerOpenMs: config.breakerOpenMs,
  };
}

export function createPortStack(config: PortStackConfig, options: PortStackOptions = {}): PortStack {
  const { telemetry, onUpstreamCall } = options;
  const adapter = new SdkAthenaAdapter({
    settings: config.athena,
    client: options.client,
    onCall:
      telemetry === undefined && onUpstreamCall === undefined
        ? undefined
        : (event) => {
            telemetry?.onUpstreamCall(event);
            onUpstreamCall?.(event);
          },
  });
  const wrapped = options.wrapAdapter ? options.wrapAdapter(adapter) : adapter;
  const upstream = options.fleet ? options.fleet.upstream(wrapped) : wrapped;
  const resilient = new ResilientAthenaPort(upstream, {
    ...resilienceSettingsOf(config),
    onEvent: telemetry?.onResilienceEvent,
  });
  telemetry?.watchResilience(resilient);
  const onCacheEvent: CachingPortOptions['onCacheEvent'] =
    telemetry === undefined && options.onCacheEvent === undefined
      ? undefined
      : (event) => {
          telemetry?.onCacheEvent(event);
          options.onCacheEvent?.(event);
        };
  const makeCache = () =>
    new CachingAthenaPort(resilient, {
      ttlMs: config.cacheTtlMs,
      now: options.now,
      onCacheEvent,
    });
  if (options.fleet !== undefined && !options.withoutCache) {
    return {
      port: options.fleet.port(resilient, makeCache),
      adapter,
      resilient,
      cache: undefined,
      destroy: () => adapter.destroy(),
    };
  }
  const cache = options.withoutCache ? undefined : makeCache();
  return { port: cache ?? resilient, adapter, resilient, cache, destroy: () => adapter.destroy() };
}
