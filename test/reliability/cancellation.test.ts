// Cancellation: a client that goes away cancels its upstream work, an abort also stops the SDK's
// retries, and the operation deadline covers queries and mutations but not subscriptions.
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterEach, describe, expect, it } from 'vitest';
import { isAthenaError } from '../../src/athena/port.js';
import { SdkAthenaAdapter, type UpstreamCallEvent } from '../../src/athena/sdk-adapter.js';
import { OperationDeadlines } from '../../src/lifecycle/operation-deadline.js';
import { startLocalAthena } from '../../src/local-athena/server.js';
import { testConfig } from '../test-config.js';
import { eventually, type ResilientStack, sleep, startResilientStack } from './support.js';

let stack: ResilientStack | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await stack?.close();
  stack = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('a client that goes away', () => {
  it('cancels its upstream call at once, which is not retried', async () => {
    stack = await startResilientStack({ config: { operationTimeoutMs: 30_000, athena: { requestTimeoutMs: 20_000 } } });
    const sessionId = (
      await stack.graphql('{ sessions(workGroup: "analytics", first: 1) { edges { node { sessionId } } } }')
    ).data!.sessions.edges[0].node.sessionId;
    stack.athena.calls.reset();
    stack.upstreamEvents.length = 0;
    stack.athena.faults.set('GetSessionStatus', { latencyMs: 10_000 });
    const port = await listen(stack.yoga);

    const body = JSON.stringify({ query: `{ session(sessionId: "${sessionId}") { status { state } } }` });
    const client = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    client.on('error', () => undefined);
    client.end(body);
    expect(await eventually(() => stack!.athena.calls.count('GetSessionStatus') === 1)).toBe(true);
    expect(stack.port.inFlight).toBe(1);

    const leftAt = performance.now();
    client.destroy();
    expect(await eventually(() => stack!.upstreamEvents.length === 1, 5_000)).toBe(true);
    const cancelledAfterMs = performance.now() - leftAt;
    expect(stack.upstreamEvents[0]).toMatchObject({ operation: 'GetSessionStatus', outcome: 'aborted' });
    // Far sooner than the 10 s the upstream would have taken.
    expect(cancelledAfterMs).toBeLessThan(5_000);
    expect(stack.port.inFlight).toBe(0);
    await sleep(300);
    expect(stack.athena.calls.count('GetSessionStatus')).toBe(1);
    // A client that left says nothing about Athena.
    expect(stack.port.breakerState).toBe('closed');
    console.info(
      `reliability figures ${JSON.stringify({ clientGoneUpstreamCancelledMs: Math.round(cancelledAfterMs) })}`,
    );
  });
});

describe('an abort during the SDK retries', () => {
  it('stops them: no attempt is sent after the signal aborts', async () => {
    const athena = await startLocalAthena({ seed: 'demo' });
    const events: UpstreamCallEvent[] = [];
    const adapter = new SdkAthenaAdapter({
      settings: { ...testConfig().athena, mode: 'embedded', endpoint: athena.url, maxAttempts: 10 },
      onCall: (event) => events.push(event),
    });
    try {
      athena.faults.set('ListSessions', { error: 'InternalServerException', latencyMs: 50 });
      const controller = new AbortController();
      const call = adapter.listSessions({ workGroup: 'primary' }, { signal: controller.signal });
      expect(await eventually(() => athena.calls.count('ListSessions') >= 2)).toBe(true);
      controller.abort(new DOMException('deadline', 'TimeoutError'));
      const error = await call.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(isAthenaError(error, 'aborted')).toBe(true);
      const atAbort = athena.calls.count('ListSessions');
      await sleep(1_500);
      // Ten attempts were allowed; the abort ended them.
      expect(athena.calls.count('ListSessions')).toBe(atAbort);
      expect(atAbort).toBeLessThan(10);
      expect(events).toMatchObject([{ operation: 'ListSessions', outcome: 'aborted' }]);
    } finally {
      adapter.destroy();
      await athena.close();
    }
  });
});

describe('the operation deadline', () => {
  const deadlines = new OperationDeadlines(200);
  const seen: { field: string; aborted: boolean; reason?: string }[] = [];
  interface Context {
    signal: AbortSignal;
  }
  const yoga = createYoga({
    schema: createSchema<Context & Record<string, unknown>>({
      typeDefs: 'type Query { waitForAbort: String } type Subscription { ticks: Int }',
      resolvers: {
        Query: {
          waitForAbort: (_root: unknown, _args: unknown, context: Context) =>
            new Promise((_resolve, reject) =>
              context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }),
            ),
        },
        Subscription: {
          ticks: {
            subscribe: async function* (_root: unknown, _args: unknown, context: Context) {
              yield { ticks: 1 };
              // Longer than the deadline: a subscription must outlive it.
              await sleep(400);
              seen.push({ field: 'ticks', aborted: context.signal.aborted });
              yield { ticks: 2 };
            },
          },
        },
      },
    }),
    plugins: [deadlines.plugin()],
    context: ({ request }) => ({ signal: deadlines.signalFor(request) }),
    maskedErrors: false,
  });

  it("aborts a query's signal with a TimeoutError when it passes", async () => {
    const started = performance.now();
    const response = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ waitForAbort }' }),
    });
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(body.errors[0]!.message).toMatch(/deadline of 200 ms/);
  });

  it('does not cut a subscription', async () => {
    const response = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { ticks }' }),
    });
    const text = await response.text();
    expect(text).toContain('{"data":{"ticks":1}}');
    expect(text).toContain('{"data":{"ticks":2}}');
    expect(text).toContain('event: complete');
    expect(seen).toEqual([{ field: 'ticks', aborted: false }]);
  });

  it("aborts the signal when the client goes away first, with the client's reason", async () => {
    const controller = new AbortController();
    const request = new Request('http://test/graphql', { signal: controller.signal });
    const signal = deadlines.signalFor(request);
    controller.abort(new DOMException('gone', 'AbortError'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    deadlines.disarm(request);
  });
});
