// OpenTelemetry traces end to end: the real SDK and OTLP/HTTP exporter send to a real receiver on
// loopback, which decodes what arrives; the spans hang under the caller's W3C traceparent.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_SESSION_ID } from '../../src/http/graphiql.js';
import { GatewayTelemetry } from '../../src/observability/telemetry.js';
import { startTracing, type Tracing } from '../../src/observability/tracing.js';
import { type Stack, startStack } from '../helpers.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROUTER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${ROUTER_SPAN_ID}-01`;
const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;
let tracing: Tracing;
let stack: Stack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const settings = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace('/v1/traces', ''),
    OTEL_SERVICE_NAME: 'gateway-under-test',
  }).tracing;
  expect(settings?.url).toBe(receiver.url);
  tracing = await startTracing(settings!);
  const telemetry = new GatewayTelemetry({ tracing });
  stack = await startStack({ gateway: { telemetry }, onUpstreamCall: telemetry.onUpstreamCall });
});
afterAll(async () => {
  await stack.close();
  await tracing.shutdown();
  await receiver.close();
});
beforeEach(() => {
  receiver.spans.length = 0;
  stack.athena.faults.clear();
});

async function traceOf(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const result = await stack.graphql(query, variables, headers);
  await tracing.flush();
  return { result, spans: receiver.spans };
}

const named = (spans: ReceivedSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name);
  expect(found, `span ${name} among ${spans.map((span) => span.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
};

describe('traces over OTLP/HTTP', () => {
  it("an operation under a router's traceparent: parse, validate, the operation span, and one span per Athena call", async () => {
    const { result, spans } = await traceOf(
      'query Sessions { sessions(workGroup: "primary", first: 3) { edges { node { sessionId } } } }',
      undefined,
      { traceparent: TRACEPARENT },
    );
    expect(result.errors).toBeUndefined();
    expect(receiver.requests).toBeGreaterThan(0);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([TRACE_ID]));
    expect(new Set(spans.map((span) => span.serviceName))).toEqual(new Set(['gateway-under-test']));

    const operation = named(spans, 'query.Sessions');
    expect(operation.kind).toBe(SERVER);
    expect(operation.parentSpanId).toBe(ROUTER_SPAN_ID);
    expect(operation.attributes).toMatchObject({
      'graphql.execute.operationName': 'Sessions',
      'graphql.execute.operationType': 'query',
    });
    // The query text and variables stay out of traces, as out of logs.
    expect(operation.attributes['graphql.execute.document']).toBeUndefined();

    for (const phase of ['graphql.parse', 'graphql.validate'])
      expect(named(spans, phase).parentSpanId).toBe(ROUTER_SPAN_ID);

    const call = named(spans, 'Athena.ListSessions');
    expect(call.kind).toBe(CLIENT);
    expect(call.parentSpanId).toBe(operation.spanId);
    expect(call.attributes).toMatchObject({
      'rpc.system': 'aws-api',
      'rpc.service': 'Athena',
      'rpc.method': 'ListSessions',
      'athena.work_group': 'primary',
      'athena.outcome': 'ok',
      'athena.retries': 0,
    });
    expect(call.durationNs).toBeGreaterThan(0n);
    expect(call.statusCode).not.toBe(2);
  });

  it('without a traceparent the operation starts a trace of its own; a GetSession span names its session', async () => {
    const { spans } = await traceOf(
      'query One($id: String!) { session(sessionId: $id) { statistics { dpuExecutionInMillis } } }',
      { id: DEMO_SESSION_ID },
    );
    const operation = named(spans, 'query.One');
    expect(operation.parentSpanId).toBeUndefined();
    expect(operation.traceId).not.toBe(TRACE_ID);
    const call = named(spans, 'Athena.GetSession');
    expect(call.traceId).toBe(operation.traceId);
    expect(call.parentSpanId).toBe(operation.spanId);
    expect(call.attributes['athena.session_id']).toBe(DEMO_SESSION_ID);
  });

  it('retries and failures show on the Athena span', async () => {
    stack.athena.faults.set('GetSessionStatus', { error: 'InternalServerException', count: 1 });
    const retried = await traceOf('query S($id: String!) { session(sessionId: $id) { status { state } } }', {
      id: DEMO_SESSION_ID,
    });
    expect(retried.result.errors).toBeUndefined();
    expect(named(retried.spans, 'Athena.GetSessionStatus').attributes).toMatchObject({
      'athena.retries': 1,
      'athena.outcome': 'ok',
    });

    receiver.spans.length = 0;
    stack.athena.faults.set('GetSessionStatus', { error: 'InternalServerException' });
    const failed = await traceOf('query S($id: String!) { session(sessionId: $id) { status { state } } }', {
      id: DEMO_SESSION_ID,
    });
    expect(failed.result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    const call = named(failed.spans, 'Athena.GetSessionStatus');
    expect(call.attributes).toMatchObject({
      'athena.outcome': 'unavailable',
      'athena.retries': stack.config.athena.maxAttempts - 1,
    });
    expect(call.statusCode).toBe(2);
    expect(named(failed.spans, 'query.S').statusCode).toBe(2);
  });

  it('a mutation span carries its type', async () => {
    const { spans } = await traceOf(
      'mutation Start { startSession(input: { workGroup: "primary" }) { session { sessionId } } }',
    );
    expect(named(spans, 'mutation.Start').attributes['graphql.execute.operationType']).toBe('mutation');
    expect(named(spans, 'Athena.StartSession').attributes['athena.work_group']).toBe('primary');
  });
});

describe('configuration', () => {
  it('tracing is off unless an OTLP endpoint is set, and the standard switches turn it off', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom' }).tracing?.url).toBe(
      'http://collector:4318/custom',
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'athena-sessions-gateway',
    });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toBeUndefined();
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing,
    ).toBeUndefined();
  });
});
