// Faults injected per operation at the local Athena service, through the whole production wiring
// (SDK adapter with retries -> resilient port -> gateway). For each fault: the answer comes within
// the deadline with UPSTREAM_ERROR, the gateway keeps serving, /ready flips and flips back, and the
// metrics count what happened. Timing bounds are generous on purpose (a shared 2-core machine);
// the counts are exact.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually, metricValue, type ResilientStack, sleep, startResilientStack, summarize } from './support.js';

const STATUS = (id: string) => `{ session(sessionId: "${id}") { sessionId status { state } } }`;
const LIST = '{ sessions(workGroup: "analytics", first: 2) { edges { node { sessionId } } } }';
/** Room for a busy machine on top of a deadline; a deadline never fires early, so lower bounds are exact. */
const SLACK_MS = 1_500;

const figures: Record<string, unknown> = {};
let stack: ResilientStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});
afterAll(() => {
  // The measured figures, for docs/operations.md.
  console.info(`reliability figures ${JSON.stringify(figures)}`);
});

async function someSessionId(s: ResilientStack): Promise<string> {
  const result = await s.graphql(
    '{ sessions(workGroup: "ml-experiments", first: 1) { edges { node { sessionId } } } }',
  );
  return result.data!.sessions.edges[0].node.sessionId as string;
}

function expectUpstreamError(result: {
  errors?: { message: string; extensions?: { code?: string } }[];
  body: unknown;
}): void {
  expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
  expect(JSON.stringify(result.body)).not.toMatch(/Exception|amazonaws|ECONN|stack|\bat \w/i);
}

describe('a latency spike past the request timeout', () => {
  it('every answer comes at the operation deadline with UPSTREAM_ERROR; the breaker opens; recovery closes it', async () => {
    stack = await startResilientStack({
      config: { operationTimeoutMs: 1_000, athena: { requestTimeoutMs: 300, maxAttempts: 5 } },
      resilience: { breakerFailureThreshold: 3, breakerOpenMs: 500 },
    });
    const sessionId = await someSessionId(stack);
    stack.athena.faults.set('GetSessionStatus', { latencyMs: 10_000 });

    // Three at once: each one's attempts time out after 300 ms and are retried until the deadline.
    const slow = await Promise.all([1, 2, 3].map(() => stack!.timed(STATUS(sessionId))));
    for (const result of slow) {
      expectUpstreamError(result);
      expect(result.errors![0]!.message).toMatch(/deadline/);
      expect(result.ms).toBeGreaterThanOrEqual(990);
      expect(result.ms).toBeLessThan(1_000 + SLACK_MS);
    }
    // Each attempt really failed at its own 300 ms timeout and was retried: several attempts per
    // operation within its one second (three fit; two leave room for a busy machine).
    expect(stack.athena.calls.count('GetSessionStatus')).toBeGreaterThanOrEqual(6);
    expect(stack.port.breakerState).toBe('open');
    expect((await stack.ready()).status).toBe(503);

    // While open: answered at once, without reaching Athena.
    const before = stack.athena.calls.count('GetSessionStatus');
    const fast = await Promise.all([1, 2, 3].map(() => stack!.timed(STATUS(sessionId))));
    for (const result of fast) expectUpstreamError(result);
    expect(stack.athena.calls.count('GetSessionStatus')).toBe(before);

    stack.athena.faults.clear();
    const recoveryStarted = performance.now();
    expect(await eventually(async () => (await stack!.ready()).status === 200)).toBe(true);
    const ok = await stack.graphql(STATUS(sessionId));
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.session.sessionId).toBe(sessionId);
    expect(stack.port.breakerState).toBe('closed');
    const recoveryMs = performance.now() - recoveryStarted;

    const metrics = await stack.metrics();
    expect(metricValue(metrics, 'athena_calls_total', { operation: 'GetSessionStatus', outcome: 'aborted' })).toBe(3);
    expect(
      metricValue(metrics, 'athena_calls_rejected_total', { operation: 'GetSessionStatus', reason: 'breaker-open' }),
    ).toBe(3);
    expect(metricValue(metrics, 'athena_circuit_breaker_transitions_total', { state: 'open' })).toBe(1);
    expect(metricValue(metrics, 'athena_circuit_breaker_transitions_total', { state: 'closed' })).toBe(1);
    expect(metricValue(metrics, 'graphql_operation_errors_total', { code: 'UPSTREAM_ERROR' })).toBe(6);
    expect(metricValue(metrics, 'athena_circuit_breaker_state')).toBe(0);
    figures.latencySpike = {
      deadlineMs: 1_000,
      requestTimeoutMs: 300,
      atDeadlineMs: summarize(slow.map((result) => result.ms)),
      breakerOpenMs: summarize(fast.map((result) => result.ms)),
      recoveryAfterFaultClearedMs: Math.round(recoveryMs),
    };
  });

  it('the deadline covers calls made one after another, not only one call', async () => {
    stack = await startResilientStack({
      config: { operationTimeoutMs: 700, athena: { requestTimeoutMs: 5_000, maxAttempts: 1 } },
    });
    const cursor = (await stack.graphql('{ sessions(workGroup: "primary", first: 99) { pageInfo { endCursor } } }'))
      .data!.sessions.pageInfo.endCursor;
    // Two upstream pages one after another, 400 ms each, each well within its own timeout: only
    // the operation's deadline can stop it at 700 ms.
    stack.athena.faults.set('ListSessions', { latencyMs: 400 });
    const result = await stack.timed(
      'query Walk($after: String) { sessions(workGroup: "primary", first: 100, after: $after) { edges { cursor } } }',
      { after: cursor },
    );
    expectUpstreamError(result);
    expect(result.ms).toBeGreaterThanOrEqual(690);
    expect(result.ms).toBeLessThan(700 + SLACK_MS);
    figures.sequentialCallsDeadline = { deadlineMs: 700, answeredMs: Math.round(result.ms) };
  });
});

describe('a run of 500s', () => {
  it('is retried with backoff, answered with UPSTREAM_ERROR, opens the breaker, and recovers', async () => {
    stack = await startResilientStack({ resilience: { breakerFailureThreshold: 3, breakerOpenMs: 500 } });
    stack.athena.faults.set('ListSessions', { error: 'InternalServerException' });

    const failed: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const result = await stack.timed(LIST);
      expectUpstreamError(result);
      expect(result.errors![0]!.message).toMatch(/failed after retries/);
      expect(result.ms).toBeLessThan(stack.config.operationTimeoutMs);
      failed.push(result.ms);
    }
    // Three attempts per call (the configured maximum), never more.
    expect(stack.athena.calls.count('ListSessions')).toBe(9);
    expect(stack.port.breakerState).toBe('open');
    expect((await stack.ready()).body).toMatchObject({ ready: false, breaker: 'open' });

    const fastFail = await stack.timed(LIST);
    expectUpstreamError(fastFail);
    expect(stack.athena.calls.count('ListSessions')).toBe(9);

    // One breaker for the one upstream: other operations fail fast too, and cost nothing.
    expectUpstreamError(await stack.graphql('{ session(sessionId: "nope") { sessionId } }'));
    expect(stack.athena.calls.count('GetSessionStatus')).toBe(0);

    stack.athena.faults.clear();
    const recoveryStarted = performance.now();
    await sleep(500);
    expect((await stack.ready()).status).toBe(200);
    const ok = await stack.graphql(LIST);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.sessions.edges).toHaveLength(2);
    const recoveryMs = performance.now() - recoveryStarted;

    const metrics = await stack.metrics();
    expect(metricValue(metrics, 'athena_calls_total', { operation: 'ListSessions', outcome: 'unavailable' })).toBe(3);
    expect(metricValue(metrics, 'athena_call_retries_total', { operation: 'ListSessions' })).toBe(6);
    expect(metricValue(metrics, 'athena_calls_rejected_total', { reason: 'breaker-open' })).toBe(2);
    expect(metricValue(metrics, 'athena_calls_total', { operation: 'ListSessions', outcome: 'ok' })).toBe(1);
    expect(metricValue(metrics, 'graphql_operations_total', { outcome: 'error' })).toBe(5);
    figures.runOf500s = {
      retriedThenFailedMs: summarize(failed),
      breakerOpenMs: Math.round(fastFail.ms),
      recoveryAfterFaultClearedMs: Math.round(recoveryMs),
    };
  });

  it('a short run is absorbed by the retries: the client never sees it', async () => {
    stack = await startResilientStack();
    stack.athena.faults.set('ListSessions', { error: 'InternalServerException', count: 2 });
    const result = await stack.graphql(LIST);
    expect(result.errors).toBeUndefined();
    expect(stack.athena.calls.count('ListSessions')).toBe(3);
    expect(metricValue(await stack.metrics(), 'athena_call_retries_total', { operation: 'ListSessions' })).toBe(2);
    expect(stack.port.breakerState).toBe('closed');
  });
});

describe('throttling', () => {
  it('is retried with the longer throttling backoff, then UPSTREAM_ERROR saying so; recovers', async () => {
    stack = await startResilientStack({
      config: { operationTimeoutMs: 8_000 },
      resilience: { breakerFailureThreshold: 2, breakerOpenMs: 300 },
    });
    const sessionId = await someSessionId(stack);
    stack.athena.faults.set('GetSession', { error: 'TooManyRequestsException' });
    const detail = `{ session(sessionId: "${sessionId}") { engineConfiguration { maxConcurrentDpus } } }`;
    const throttled = await Promise.all([stack.timed(detail), stack.timed(detail)]);
    for (const result of throttled) {
      expectUpstreamError(result);
      expect(result.errors![0]!.message).toMatch(/throttling/);
      expect(result.ms).toBeLessThan(8_000);
    }
    expect(stack.athena.calls.count('GetSession')).toBe(6);
    expect((await stack.ready()).status).toBe(503);
    stack.athena.faults.clear();
    expect(await eventually(async () => (await stack!.ready()).status === 200)).toBe(true);
    expect((await stack.graphql(detail)).errors).toBeUndefined();
    expect(
      metricValue(await stack.metrics(), 'athena_calls_total', { operation: 'GetSession', outcome: 'throttled' }),
    ).toBe(2);
    figures.throttling = { retriedThenFailedMs: summarize(throttled.map((result) => result.ms)) };
  });
});

describe('dropped connections', () => {
  it('a few drops are retried on a fresh connection and succeed', async () => {
    stack = await startResilientStack();
    const sessionId = await someSessionId(stack);
    stack.athena.faults.set('GetSessionStatus', { error: 'drop', count: 2 });
    const result = await stack.graphql(STATUS(sessionId));
    expect(result.errors).toBeUndefined();
    expect(stack.athena.calls.count('GetSessionStatus')).toBe(3);
    expect(metricValue(await stack.metrics(), 'athena_call_retries_total', { operation: 'GetSessionStatus' })).toBe(2);
  });

  it('persistent drops are UPSTREAM_ERROR quickly, open the breaker, and recover', async () => {
    stack = await startResilientStack({ resilience: { breakerFailureThreshold: 2, breakerOpenMs: 300 } });
    const sessionId = await someSessionId(stack);
    stack.athena.faults.set('GetSessionStatus', { error: 'drop' });
    const dropped = [await stack.timed(STATUS(sessionId)), await stack.timed(STATUS(sessionId))];
    for (const result of dropped) {
      expectUpstreamError(result);
      expect(result.ms).toBeLessThan(stack.config.operationTimeoutMs);
    }
    expect(stack.athena.calls.count('GetSessionStatus')).toBe(6);
    expect((await stack.ready()).status).toBe(503);
    stack.athena.faults.clear();
    expect(await eventually(async () => (await stack!.ready()).status === 200)).toBe(true);
    expect((await stack.graphql(STATUS(sessionId))).errors).toBeUndefined();
    expect(
      metricValue(await stack.metrics(), 'athena_calls_total', {
        operation: 'GetSessionStatus',
        outcome: 'unavailable',
      }),
    ).toBe(2);
    figures.droppedConnections = { retriedThenFailedMs: summarize(dropped.map((result) => result.ms)) };
  });
});

describe('the upstream stopped and started again on the same port', () => {
  it('fails fast while it is down, /ready says so, and both recover by themselves', async () => {
    stack = await startResilientStack({
      probeIntervalMs: 100,
      resilience: { breakerFailureThreshold: 3, breakerOpenMs: 300 },
    });
    const sessionId = await someSessionId(stack);
    expect(await eventually(async () => (await stack!.ready()).body.upstream === 'reachable')).toBe(true);

    await stack.stopAthena();
    const down: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const result = await stack.timed(STATUS(sessionId));
      expectUpstreamError(result);
      expect(result.ms).toBeLessThan(stack.config.operationTimeoutMs);
      down.push(result.ms);
    }
    // Both signals see it: the breaker opened on client traffic, and the probe cannot reach Athena.
    expect(await eventually(async () => (await stack!.ready()).body.upstream === 'unreachable')).toBe(true);
    expect((await stack.ready()).status).toBe(503);
    // The process is fine: its own health does not depend on Athena.
    expect((await stack.yoga.fetch('http://gateway.test/health')).status).toBe(200);

    await stack.startAthena();
    const restarted = performance.now();
    // No client traffic needed: the probe is the breaker's trial call.
    expect(await eventually(async () => (await stack!.ready()).status === 200)).toBe(true);
    const readyAfterMs = performance.now() - restarted;
    expect(stack.port.breakerState).toBe('closed');
    const ok = await stack.graphql(STATUS(sessionId));
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.session.sessionId).toBe(sessionId);

    const metrics = await stack.metrics();
    expect(
      metricValue(metrics, 'athena_calls_total', { operation: 'GetSessionStatus', outcome: 'unavailable' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      metricValue(metrics, 'athena_circuit_breaker_transitions_total', { state: 'closed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'gateway_ready')).toBe(1);
    figures.upstreamRestart = {
      whileDownMs: summarize(down),
      readyAfterRestartMs: Math.round(readyAfterMs),
      probeIntervalMs: 100,
      breakerOpenMs: 300,
    };
  });
});
