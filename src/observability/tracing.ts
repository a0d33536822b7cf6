// OpenTelemetry traces, on only when an OTLP endpoint is configured. The SDK, the exporter and the
// GraphQL instrumentation are imported by `startTracing` alone, so a gateway without tracing loads
// none of them and runs none of their hooks: tracing off costs neither CPU nor memory.
//
// What a trace holds, under the caller's W3C `traceparent` when there is one (a router sends it):
//   graphql.parse, graphql.validate            (yoga's instrumentation hooks, below)
//   query.Sessions / mutation.X (SERVER)       (@envelop/opentelemetry: operation name and type)
//     Athena.ListSessions (CLIENT) ...         (one per upstream call, from the SDK adapter's onCall)
import type { Attributes, Context, Span, TextMapGetter, Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Plugin } from 'graphql-yoga';
import type { UpstreamCallEvent } from '../athena/sdk-adapter.js';
import type { TracingSettings } from '../config.js';

export interface Tracing {
  /** The yoga/envelop plugins; they go after every plugin that replaces `execute` (graphql-jit). */
  plugins(): Plugin[];
  /** The SDK adapter's `onCall`: one CLIENT span per upstream call, child of the operation's span. */
  onUpstreamCall(event: UpstreamCallEvent): void;
  /** Sends every finished span now (tests; shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Where spans go; default: OTLP/HTTP to `settings.url`. */
  exporter?: SpanExporter | undefined;
}

const TRACER_NAME = 'athena-sessions-gateway';

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

export async function startTracing(settings: TracingSettings, options: TracingOptions = {}): Promise<Tracing> {
  const [
    api,
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    sdk,
    { resourceFromAttributes },
    { useOpenTelemetry },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@envelop/opentelemetry'),
  ]);
  const exporter =
    options.exporter ??
    new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: settings.url });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    // Batched: a request never waits for the collector, and a slow collector costs dropped spans, not latency.
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter })],
  });
  // Spans follow async work (resolvers, DataLoader batches, SDK calls) through AsyncLocalStorage.
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = new W3CTraceContextPropagator();
  const tracer = provider.getTracer(TRACER_NAME);

  const inSpan = (name: string, wrapped: () => void) => {
    const span = tracer.startSpan(name, {}, api.context.active());
    try {
      wrapped();
    } finally {
      span.end();
    }
  };

  const phases: Plugin = {
    instrumentation: {
      // The caller's trace (a router's `traceparent`) becomes the parent of everything below.
      request({ request }, wrapped) {
        return api.context.with(propagator.extract(api.ROOT_CONTEXT, request.headers, headerGetter), wrapped);
      },
      parse: (_payload, wrapped) => inSpan('graphql.parse', wrapped),
      validate: (_payload, wrapped) => inSpan('graphql.validate', wrapped),
    },
  };
  // The document and variables stay out of spans, as they stay out of logs: they may carry secrets.
  const operations = useOpenTelemetry(
    { document: false, variables: false, result: false, resolvers: false },
    provider,
    api.SpanKind.SERVER,
    {},
    TRACER_NAME,
  ) as Plugin;

  return {
    plugins: () => [phases, operations],
    onUpstreamCall: (event) => upstreamSpan(tracer, api, event),
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      api.context.disable();
    },
  };
}

function upstreamSpan(tracer: Tracer, api: typeof import('@opentelemetry/api'), event: UpstreamCallEvent): void {
  // The adapter reports a call when it is over; the span starts when the call did.
  const end = performance.now();
  const attributes: Attributes = {
    'rpc.system': 'aws-api',
    'rpc.service': 'Athena',
    'rpc.method': event.operation,
    'athena.outcome': event.outcome,
    'athena.attempts': event.attempts,
    'athena.retries': event.attempts - 1,
  };
  if (event.sessionId !== undefined) attributes['athena.session_id'] = event.sessionId;
  if (event.workGroup !== undefined) attributes['athena.work_group'] = event.workGroup;
  const parent: Context = api.context.active();
  const span: Span = tracer.startSpan(
    `Athena.${event.operation}`,
    { kind: api.SpanKind.CLIENT, startTime: end - event.durationMs, attributes },
    parent,
  );
  if (event.outcome !== 'ok') span.setStatus({ code: api.SpanStatusCode.ERROR, message: event.outcome });
  span.end(end);
}
