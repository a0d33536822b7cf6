// Starts the local Athena service on an ephemeral port and a gateway over the port stack `serve`
// builds (cache -> resilience -> real SDK adapter), with an InstrumentedPort on the adapter.
import type { CacheEvent } from '../src/athena/caching-port.js';
import type { AthenaOperation, AthenaPort } from '../src/athena/port.js';
import { createPortStack, type PortStack } from '../src/athena/port-stack.js';
import type { SdkAthenaAdapter, UpstreamCallEvent } from '../src/athena/sdk-adapter.js';
import type { GatewayConfig } from '../src/config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import { type LocalAthena, type LocalAthenaOptions, startLocalAthena } from '../src/local-athena/server.js';
import { interceptPort, PortFake } from './support/port-calls.js';
import { testConfig } from './test-config.js';

export interface GraphQLResponse<Data = Record<string, any>> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
  body: Record<string, unknown>;
}

export interface Stack {
  athena: LocalAthena;
  adapter: SdkAthenaAdapter;
  /** Sits on the adapter: it sees exactly the calls that go upstream. */
  port: InstrumentedPort;
  /** The layers the gateway is given (`portStack.port`), as `serve` composes them. */
  portStack: PortStack;
  config: GatewayConfig;
  yoga: Gateway;
  /** POSTs one operation to the gateway in-process. */
  graphql<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  /** Upstream calls received by the local service, by Athena operation name, since the last reset. */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** A new gateway process over the same local Athena: every cache cold, nothing in flight. */
  restartGateway(): void;
  close(): Promise<void>;
}

export interface StackOptions {
  athena?: LocalAthenaOptions;
  config?: Partial<Omit<GatewayConfig, 'athena'>> & { athena?: Partial<GatewayConfig['athena']> };
  gateway?: GatewayOptions;
  /** Wraps the instrumented adapter, under the resilience and cache layers (to hold or falsify upstream calls). */
  wrapAdapter?: (port: AthenaPort) => AthenaPort;
  /** The cache's clock (see createPortStack). */
  now?: () => number;
  /** Sees every finished upstream call, as `serve` hands them to the telemetry (traces, metrics). */
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  /** Sees every cached read's outcome, as the cache metrics do. */
  onCacheEvent?: (event: CacheEvent) => void;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const athena = await startLocalAthena({ seed: 'demo', ...options.athena });
  const { athena: athenaOverrides, ...overrides } = options.config ?? {};
  // No cross-request cache unless a test asks for one: each test's counts are its own operation's.
  const base = testConfig({ cacheTtlMs: 0, ...overrides });
  const config: GatewayConfig = {
    ...base,
    athena: { ...base.athena, mode: 'embedded', endpoint: athena.url, ...athenaOverrides },
  };
  const build = () => {
    let instrumented: InstrumentedPort | undefined;
    const portStack = createPortStack(config, {
      now: options.now,
      onUpstreamCall: options.onUpstreamCall,
      onCacheEvent: options.onCacheEvent,
      wrapAdapter: (adapter) => {
        instrumented = new InstrumentedPort(adapter);
        return options.wrapAdapter ? options.wrapAdapter(instrumented) : instrumented;
      },
    });
    const yoga = createGateway(config, portStack.port, { resilience: portStack.resilient, ...options.gateway });
    return { portStack, port: instrumented!, yoga };
  };
  let gateway = build();
  return {
    athena,
    get adapter() {
      return gateway.portStack.adapter;
    },
    get port() {
      return gateway.port;
    },
    get portStack() {
      return gateway.portStack;
    },
    config,
    get yoga() {
      return gateway.yoga;
    },
    graphql: (query, variables, headers) => postGraphQL(gateway.yoga, query, variables, headers),
    calls: () => nonZero(athena.calls.counts()),
    resetCalls: () => {
      athena.calls.reset();
      gateway.port.resetConcurrency();
    },
    restartGateway: () => {
      gateway.portStack.destroy();
      gateway = build();
    },
    close: async () => {
      gateway.portStack.destroy();
      await athena.close();
    },
  };
}

export async function postGraphQL<Data>(
  yoga: Gateway,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    data: body.data as Data | null | undefined,
    errors: body.errors as GraphQLResponse['errors'],
    body,
  };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
}

/** Records how many calls of each operation were in flight at once, to prove calls ran concurrently. */
export class InstrumentedPort extends PortFake {
  #inFlight = new Map<AthenaOperation, number>();
  #maxInFlight = new Map<AthenaOperation, number>();

  constructor(inner: AthenaPort) {
    super();
    Object.assign(
      this,
      interceptPort(inner, (operation, call) => this.#track(operation, call)),
    );
  }

  maxInFlight(operation: AthenaOperation): number {
    return this.#maxInFlight.get(operation) ?? 0;
  }

  resetConcurrency(): void {
    this.#maxInFlight.clear();
  }

  async #track<T>(operation: AthenaOperation, call: () => Promise<T>): Promise<T> {
    const now = (this.#inFlight.get(operation) ?? 0) + 1;
    this.#inFlight.set(operation, now);
    this.#maxInFlight.set(operation, Math.max(now, this.#maxInFlight.get(operation) ?? 0));
    try {
      return await call();
    } finally {
      this.#inFlight.set(operation, (this.#inFlight.get(operation) ?? 1) - 1);
    }
  }
}
