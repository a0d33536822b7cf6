// The operator's view: one JSON log line per operation with what it cost upstream, request ids,
// nothing secret in the logs, and Prometheus metrics.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGateway } from '../../src/gateway.js';
import { createHttpServer } from '../../src/http/server-timeouts.js';
import { attachWebSocketServer } from '../../src/http/websocket.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { Readiness } from '../../src/observability/readiness.js';
import { startStack } from '../helpers.js';
import { sendOverWebSocket } from '../security/support.js';
import { testConfig } from '../test-config.js';
import { metricValue, type ResilientStack, startResilientStack } from './support.js';

let stack: ResilientStack;
beforeAll(async () => {
  stack = await startResilientStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.athena.faults.clear());

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await stack.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await response.text();
  return response;
}

const operationLines = (requestId: string) =>
  stack.logLines.filter((line) => line.msg === 'graphql operation' && line.requestId === requestId);

describe('the log line of an operation', () => {
  it('says who, what, how long, what it cost upstream, and how it ended', async () => {
    const response = await post(
      JSON.stringify({
        query:
          'query Overview { sessions(workGroup: "analytics", first: 3) { edges { node { sessionId statistics { dpuExecutionInMillis } } } } }',
      }),
      { 'x-request-id': 'req-overview-1' },
    );
    expect(response.headers.get('x-request-id')).toBe('req-overview-1');
    const lines = operationLines('req-overview-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      service: 'athena-sessions-gateway',
      msg: 'graphql operation',
      requestId: 'req-overview-1',
      operationName: 'Overview',
      operationType: 'query',
      durationMs: expect.any(Number),
      upstream: { ListSessions: 1, GetSession: 3 },
      upstreamRetries: 0,
      outcome: 'ok',
      status: 200,
    });
  });

  it('counts the calls of each of several concurrent operations separately', async () => {
    const sessionId = (
      await stack.graphql('{ sessions(workGroup: "analytics", first: 1) { edges { node { sessionId } } } }')
    ).data!.sessions.edges[0].node.sessionId;
    stack.athena.faults.set('*', { latencyMs: 30 });
    await Promise.all([
      post(
        JSON.stringify({
          query:
            '{ sessions(workGroup: "primary", first: 5) { edges { node { engineConfiguration { maxConcurrentDpus } } } } }',
        }),
        { 'x-request-id': 'concurrent-a' },
      ),
      post(JSON.stringify({ query: `{ session(sessionId: "${sessionId}") { status { state } } }` }), {
        'x-request-id': 'concurrent-b',
      }),
      post(
        JSON.stringify({ query: `mutation { terminateSession(input: { sessionId: "no-such-session" }) { state } }` }),
        { 'x-request-id': 'concurrent-c' },
      ),
    ]);
    expect(operationLines('concurrent-a')).toMatchObject([
      { upstream: { ListSessions: 1, GetSession: 5 }, outcome: 'ok' },
    ]);
    expect(operationLines('concurrent-b')).toMatchObject([{ upstream: { GetSessionStatus: 1 }, outcome: 'ok' }]);
    expect(operationLines('concurrent-c')).toMatchObject([
      { upstream: { TerminateSession: 1 }, outcome: 'error', errorCodes: ['NOT_FOUND'], operationType: 'mutation' },
    ]);
    expect(operationLines('concurrent-a')[0]!.upstream).toEqual({ ListSessions: 1, GetSession: 5 });
  });

  it('records retries and upstream failures, at warn level', async () => {
    stack.athena.faults.set('GetSessionStatus', { error: 'InternalServerException', count: 1 });
    await post(JSON.stringify({ query: '{ a: session(sessionId: "x") { sessionId } }' }), {
      'x-request-id': 'retried-once',
    });
    expect(operationLines('retried-once')).toMatchObject([
      { level: 30, upstream: { GetSessionStatus: 1 }, upstreamRetries: 1, outcome: 'ok' },
    ]);

    stack.athena.faults.set('GetSessionStatus', { error: 'InternalServerException' });
    await post(JSON.stringify({ query: 'query Failing { session(sessionId: "x") { sessionId } }' }), {
      'x-request-id': 'failing',
    });
    expect(operationLines('failing')).toMatchObject([
      {
        level: 40,
        operationName: 'Failing',
        upstream: { GetSessionStatus: 1 },
        upstreamRetries: 2,
        outcome: 'error',
        errorCodes: ['UPSTREAM_ERROR'],
      },
    ]);
  });

  it('covers operations that never run: bad input, invalid documents, bad JSON', async () => {
    await post(JSON.stringify({ query: '{ session(sessionId: "") { sessionId } }' }), { 'x-request-id': 'bad-input' });
    await post(JSON.stringify({ query: '{ nope }' }), { 'x-request-id': 'invalid' });
    await post('{"query": ', { 'x-request-id': 'bad-json' });
    expect(operationLines('bad-input')).toMatchObject([
      { outcome: 'error', errorCodes: ['BAD_USER_INPUT'], upstream: {}, operationName: '(anonymous)' },
    ]);
    expect(operationLines('invalid')).toMatchObject([
      { outcome: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'], upstream: {} },
    ]);
    expect(operationLines('bad-json')).toMatchObject([{ outcome: 'error', errorCodes: ['BAD_REQUEST'], status: 400 }]);
  });

  it('makes up a request id when none, or an unusable one, is given, and always sends it back', async () => {
    const none = await post(JSON.stringify({ query: '{ __typename }' }));
    const generated = none.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(operationLines(generated)).toHaveLength(1);

    for (const unusable of ['has space', 'x'.repeat(129), 'quote"inside', 'new\\nline']) {
      const response = await post(JSON.stringify({ query: '{ __typename }' }), { 'x-request-id': unusable });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(stack.rawLog()).not.toContain('has space');

    const health = await stack.yoga.fetch('http://gateway.test/ready', { headers: { 'x-request-id': 'probe-1' } });
    expect(health.headers.get('x-request-id')).toBe('probe-1');
    expect(operationLines('probe-1')).toHaveLength(0);
  });

  it('never carries secrets: headers, tokens, variables and the query text stay out of the log', async () => {
    const [bearer, cookie, apiKey, variableToken, inlineToken] = [
      'eyJhbGciOiJIUzI1NiJ9.secret-payload.signature',
      'cookie-secret-value',
      'api-key-secret-value',
      'variable-secret-token-00000000000',
      'inline-secret-token',
    ] as const;
    await post(
      JSON.stringify({
        query: `mutation Start($token: String) { a: startSession(input: { workGroup: "sandbox", clientRequestToken: $token }) { session { sessionId } } b: startSession(input: { workGroup: "sandbox", description: "${inlineToken}" }) { session { sessionId } } }`,
        variables: { token: variableToken },
      }),
      {
        authorization: `Bearer ${bearer}`,
        cookie: `session=${cookie}`,
        'x-api-key': apiKey,
        'x-request-id': 'with-secrets',
      },
    );
    expect(operationLines('with-secrets')).toMatchObject([
      { operationName: 'Start', outcome: 'ok', upstream: { StartSession: 2 } },
    ]);
    const raw = stack.rawLog();
    for (const secret of [bearer, cookie, apiKey, variableToken, inlineToken]) expect(raw).not.toContain(secret);
    expect(raw).not.toMatch(/authorization|bearer/i);
  });
});

describe('an upstream failure in the log', () => {
  it('is logged by its error name and message only: the query text, with any inline secret, stays out', async () => {
    const secret = 'AKIA-inline-spark-secret-key';
    stack.athena.faults.set('StartSession', { error: 'InternalServerException' });
    const response = await post(
      JSON.stringify({
        query: `mutation Leaky { startSession(input: { workGroup: "sandbox", engineConfiguration: { sparkProperties: [{ key: "spark.hadoop.fs.s3a.secret.key", value: "${secret}" }] } }) { session { sessionId } } }`,
      }),
      { 'x-request-id': 'upstream-leak' },
    );
    expect(response.status).toBe(200);
    expect(operationLines('upstream-leak')).toMatchObject([
      { operationName: 'Leaky', outcome: 'error', errorCodes: ['UPSTREAM_ERROR'] },
    ]);
    const raw = stack.rawLog();
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain('spark.hadoop.fs.s3a');
  });
});

describe('operations over graphql-ws', () => {
  it('get the same log line, metrics and request id as over HTTP, mutations included', async () => {
    const server = createHttpServer(stack.yoga, stack.config.http);
    const webSockets = attachWebSocketServer(server, stack.yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const query = await sendOverWebSocket(url, {
        payload: { query: 'query OverSocket { sessions(workGroup: "analytics", first: 2) { edges { cursor } } }' },
        authorization: undefined,
      });
      expect(query.code).toBeNull();
      const mutation = await sendOverWebSocket(url, {
        payload: {
          query: 'mutation EndOverSocket { terminateSession(input: { sessionId: "no-such-session" }) { state } } ',
        },
        authorization: undefined,
      });
      expect(mutation.code).toBe('NOT_FOUND');

      const lines = stack.logLines.filter((line) => line.msg === 'graphql operation');
      const overSocket = lines.find((line) => line.operationName === 'OverSocket');
      expect(overSocket).toMatchObject({
        operationType: 'query',
        outcome: 'ok',
        upstream: { ListSessions: 1 },
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const ended = lines.find((line) => line.operationName === 'EndOverSocket');
      expect(ended).toMatchObject({
        operationType: 'mutation',
        outcome: 'error',
        errorCodes: ['NOT_FOUND'],
        upstream: { TerminateSession: 1 },
      });
      expect(ended!.requestId).not.toBe(overSocket!.requestId);
      const metrics = await stack.metrics();
      expect(
        metricValue(metrics, 'graphql_operations_total', { operation: 'OverSocket', type: 'query', outcome: 'ok' }),
      ).toBe(1);
      expect(
        metricValue(metrics, 'graphql_operations_total', {
          operation: 'EndOverSocket',
          type: 'mutation',
          outcome: 'error',
        }),
      ).toBe(1);

      // A client's own request id on the upgrade request names the socket's operations, as the header names an HTTP request's.
      const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-request-id': 'socket-7' } });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      socket.on('message', (raw) => {
        if (JSON.parse(raw.toString()).type === 'connection_ack')
          socket.send(JSON.stringify({ id: 'a', type: 'subscribe', payload: { query: 'query Named { __typename }' } }));
      });
      await new Promise<void>((resolve) =>
        socket.on('message', (raw) => JSON.parse(raw.toString()).type === 'complete' && resolve()),
      );
      socket.close();
      expect(operationLines('socket-7')).toMatchObject([{ operationName: 'Named', outcome: 'ok' }]);
    } finally {
      await webSockets.dispose();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with every family the operator needs', async () => {
    const response = await stack.yoga.fetch('http://gateway.test/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const family of [
      'graphql_operations_total',
      'graphql_operation_duration_seconds',
      'graphql_operation_errors_total',
      'athena_calls_total',
      'athena_call_duration_seconds',
      'athena_call_retries_total',
      'athena_calls_rejected_total',
      'athena_calls_in_flight',
      'athena_calls_queued',
      'athena_circuit_breaker_state',
      'athena_circuit_breaker_transitions_total',
      'gateway_cache_events_total',
      'gateway_ready',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(metricValue(text, 'graphql_operations_total', { operation: 'Overview', type: 'query', outcome: 'ok' })).toBe(
      1,
    );
    expect(metricValue(text, 'graphql_operation_duration_seconds_count', { operation: 'Overview' })).toBe(1);
    expect(
      metricValue(text, 'athena_call_duration_seconds_count', { operation: 'ListSessions', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'graphql_operation_errors_total', { code: 'BAD_USER_INPUT' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'gateway_ready')).toBe(1);
  });

  it('counts cache events fed by the cache layer', async () => {
    stack.telemetry.onCacheEvent({ cache: 'session-status', outcome: 'hit' });
    stack.telemetry.onCacheEvent({ cache: 'session-status', outcome: 'hit' });
    stack.telemetry.onCacheEvent({ cache: 'list-page', outcome: 'miss' });
    stack.telemetry.onCacheEvent({ cache: 'list-page', outcome: 'shared' });
    const text = await stack.metrics();
    expect(metricValue(text, 'gateway_cache_events_total', { cache: 'session-status', outcome: 'hit' })).toBe(2);
    expect(metricValue(text, 'gateway_cache_events_total', { cache: 'list-page', outcome: 'miss' })).toBe(1);
    expect(metricValue(text, 'gateway_cache_events_total', { cache: 'list-page', outcome: 'shared' })).toBe(1);
  });

  it('shows calls in flight while they run', async () => {
    stack.athena.faults.set('GetSessionStatus', { latencyMs: 300 });
    const pending = Promise.all([1, 2].map(() => stack.graphql('{ session(sessionId: "slow") { sessionId } }')));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(metricValue(await stack.metrics(), 'athena_calls_in_flight')).toBe(2);
    await pending;
    expect(metricValue(await stack.metrics(), 'athena_calls_in_flight')).toBe(0);
  });

  it('keeps client-chosen operation names from growing the label set without end', async () => {
    const metrics = new GatewayMetrics({ maxOperationNames: 2 });
    for (const operationName of ['First', 'Second', 'Third', 'bad name!', '(anonymous)', 'First']) {
      metrics.observeOperation({ operationName, operationType: 'query', outcome: 'ok', durationMs: 1, errorCodes: [] });
    }
    const text = (await metrics.render()).body;
    expect(metricValue(text, 'graphql_operations_total', { operation: 'First' })).toBe(2);
    expect(metricValue(text, 'graphql_operations_total', { operation: 'Second' })).toBe(1);
    expect(metricValue(text, 'graphql_operations_total', { operation: '(other)' })).toBe(2);
    expect(metricValue(text, 'graphql_operations_total', { operation: '(anonymous)' })).toBe(1);
    expect(text).not.toContain('Third');
  });

  it('names operations by the operation executed: names a client only claims cannot fill the label slots', async () => {
    const fresh = await startStack();
    try {
      // operationName that the document does not define, and a document that does not validate: neither runs.
      for (let i = 0; i < 210; i += 1) {
        await fresh.yoga.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            i % 2 === 0
              ? { query: 'query Real { __typename }', operationName: `Junk${i}` }
              : { query: `query Junk${i} { nope }` },
          ),
        });
      }
      await fresh.graphql('query AfterTheFlood { __typename }');
      const text = await (await fresh.yoga.fetch('http://gateway.test/metrics')).text();
      expect(metricValue(text, 'graphql_operations_total', { operation: 'AfterTheFlood' })).toBe(1);
      expect(metricValue(text, 'graphql_operations_total', { operation: '(other)' })).toBe(0);
      expect(text).not.toMatch(/Junk\d/);
    } finally {
      await fresh.close();
    }
  });

  it('each gateway has its own registry', async () => {
    const other = await startStack();
    try {
      await other.graphql('query OnlyHere { __typename }');
      const here = await (await other.yoga.fetch('http://gateway.test/metrics')).text();
      expect(metricValue(here, 'graphql_operations_total', { operation: 'OnlyHere' })).toBe(1);
      expect(metricValue(here, 'graphql_operations_total', { operation: 'Overview' })).toBe(0);
      expect(metricValue(await stack.metrics(), 'graphql_operations_total', { operation: 'OnlyHere' })).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('/ready and /health', () => {
  it('/ready is 503 once shutdown begins, while /health stays 200', async () => {
    const readiness = new Readiness();
    const yoga = createGateway(testConfig(), stack.port, { readiness });
    expect((await yoga.fetch('http://gateway.test/ready')).status).toBe(200);
    readiness.markShuttingDown();
    const response = await yoga.fetch('http://gateway.test/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ready: false, accepting: false });
    expect((await yoga.fetch('http://gateway.test/health')).status).toBe(200);
  });

  it('match their paths exactly and only answer GET', async () => {
    // yoga's own helpers would answer any URL ending in the path.
    expect(await (await stack.yoga.fetch('http://gateway.test/graphql?x=/ready')).text()).not.toContain('"accepting"');
    expect(await (await stack.yoga.fetch('http://gateway.test/graphql?x=/metrics')).text()).not.toContain('# TYPE');
    expect((await stack.yoga.fetch('http://gateway.test/ready', { method: 'POST' })).status).toBe(405);
    expect((await stack.yoga.fetch('http://gateway.test/metrics', { method: 'DELETE' })).status).toBe(405);
  });
});
