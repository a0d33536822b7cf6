// The production wiring of the CLI (the port stack, with telemetry and readiness) over the local
// Athena service, in-process, with the log lines captured. Without the cross-request layer: these
// tests count each request's own upstream failures, which that layer would merge when identical.
import { Writable } from 'node:stream';
import { createPortStack } from '../../src/athena/port-stack.js';
import type { ResilienceSettings, ResilientAthenaPort } from '../../src/athena/resilient-port.js';
import type { SdkAthenaAdapter, UpstreamCallEvent } from '../../src/athena/sdk-adapter.js';
import type { GatewayConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { GracefulShutdown } from '../../src/lifecycle/graceful-shutdown.js';
import { type LocalAthena, type LocalAthenaOptions, startLocalAthena } from '../../src/local-athena/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { athenaProbe, Readiness } from '../../src/observability/readiness.js';
import { GatewayTelemetry } from '../../src/observability/telemetry.js';
import { type GraphQLResponse, postGraphQL } from '../helpers.js';
import { testConfig } from '../test-config.js';

export interface ResilientStackOptions {
  athena?: LocalAthenaOptions;
  config?: Partial<Omit<GatewayConfig, 'athena'>> & { athena?: Partial<GatewayConfig['athena']> };
  resilience?: Partial<ResilienceSettings>;
  /** Background readiness probe interval; 0 (default) = no probe. */
  probeIntervalMs?: number;
}

export interface ResilientStack {
  athena: LocalAthena;
  adapter: SdkAthenaAdapter;
  port: ResilientAthenaPort;
  config: GatewayConfig;
  telemetry: GatewayTelemetry;
  readiness: Readiness;
  shutdown: GracefulShutdown;
  yoga: Gateway;
  /** Every finished upstream call the adapter reported. */
  upstreamEvents: UpstreamCallEvent[];
  /** Every log line the gateway wrote, parsed. */
  logLines: Record<string, any>[];
  rawLog(): string;
  graphql<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  /** GraphQL answer plus the time it took, in ms. */
  timed<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<Data> & { ms: number }>;
  ready(): Promise<{ status: number; body: Record<string, unknown> }>;
  metrics(): Promise<string>;
  /** Stops the local service and starts a fresh one on the same port (the upstream restarted). */
  stopAthena(): Promise<void>;
  startAthena(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TEST_RESILIENCE: ResilienceSettings = {
  concurrency: 64,
  queueLimit: 1_000,
  breakerFailureThreshold: 3,
  breakerOpenMs: 500,
};

export async function startResilientStack(options: ResilientStackOptions = {}): Promise<ResilientStack> {
  const athenaOptions: LocalAthenaOptions = { seed: 'demo', ...options.athena };
  let athena = await startLocalAthena(athenaOptions);
  const athenaPort = athena.port;
  const { athena: athenaOverrides, ...overrides } = options.config ?? {};
  const resilience = { ...DEFAULT_TEST_RESILIENCE, ...options.resilience };
  const base = testConfig({
    logLevel: 'info',
    upstreamConcurrency: resilience.concurrency,
    upstreamQueueLimit: resilience.queueLimit,
    breakerFailureThreshold: resilience.breakerFailureThreshold,
    breakerOpenMs: resilience.breakerOpenMs,
    ...overrides,
  });
  const config: GatewayConfig = {
    ...base,
    athena: { ...base.athena, mode: 'embedded', endpoint: athena.url, ...athenaOverrides },
  };

  const chunks: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write: (chunk, _encoding, done) => {
        chunks.push(String(chunk));
        done();
      },
    }) as never,
  );
  const telemetry = new GatewayTelemetry({ logger });
  const upstreamEvents: UpstreamCallEvent[] = [];
  const portStack = createPortStack(config, {
    telemetry,
    onUpstreamCall: (event) => upstreamEvents.push(event),
    withoutCache: true,
  });
  const { adapter, resilient: port } = portStack;
  const readiness = new Readiness({
    breakerState: () => port.breakerState,
    probe: athenaProbe(port),
    probeIntervalMs: options.probeIntervalMs ?? 0,
    probeTimeoutMs: 2_000,
  });
  readiness.start();
  const shutdown = new GracefulShutdown();
  const yoga = createGateway(config, portStack.port, { logger, telemetry, readiness, shutdown });

  const stack: ResilientStack = {
    get athena() {
      return athena;
    },
    adapter,
    port,
    config,
    telemetry,
    readiness,
    shutdown,
    yoga,
    upstreamEvents,
    get logLines() {
      return chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, any>);
    },
    rawLog: () => chunks.join(''),
    graphql: (query, variables, headers) => postGraphQL(yoga, query, variables, headers),
    async timed(query, variables) {
      const started = performance.now();
      const result = await postGraphQL<any>(yoga, query, variables);
      return { ...result, ms: performance.now() - started };
    },
    async ready() {
      const response = await yoga.fetch('http://gateway.test/ready');
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async metrics() {
      return (await yoga.fetch('http://gateway.test/metrics')).text();
    },
    async stopAthena() {
      await athena.close();
    },
    async startAthena() {
      athena = await startLocalAthena({ ...athenaOptions, port: athenaPort });
    },
    async close() {
      readiness.stop();
      adapter.destroy();
      await athena.close();
    },
  };
  return stack;
}

/** The value of one sample in Prometheus text, or 0 when it is absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (.+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const sample = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => sample[key] === value)) {
      total += Number(match[3]);
      found = true;
    }
  }
  return found ? total : 0;
}

/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
} {
  const round = (value: number) => Math.round(value);
  return {
    n: values.length,
    min: round(Math.min(...values)),
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: round(Math.max(...values)),
  };
}
