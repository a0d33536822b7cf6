// The calculationStatus subscription over Server-Sent Events and graphql-ws on a real HTTP server,
// against the local Athena service on a manual clock: the same poller design as sessionStatus.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.js';
import { UnauthenticatedError } from '../../src/errors.js';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type Stack, startStack } from '../helpers.js';
import { WebSocketClients } from '../support/graphql-ws-client.js';
import { type SseMessage, subscribeSse } from './sse.js';

const POLL_MS = 50;
const CREATING_MS = 50;
const QUEUED_MS = 100;
const RUNNING_MS = 1_000;
const WATCH =
  'subscription($id: String!) { calculationStatus(calculationId: $id) { state stateChangeReason submissionDateTime completionDateTime } }';
const VIEWERS: Record<string, Viewer> = {
  'Bearer reader': { subject: 'reader', scopes: new Set(['sessions:read']), workGroups: '*' },
  'Bearer writer-only': { subject: 'writer', scopes: new Set(['sessions:write']), workGroups: '*' },
  'Bearer sandbox-reader': { subject: 'sandbox', scopes: new Set(['sessions:read']), workGroups: new Set(['sandbox']) },
  'Bearer admin': { subject: 'admin', scopes: new Set(['sessions:read', 'sessions:write']), workGroups: '*' },
};

const clock = new ManualClock(Date.now());
let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let httpUrl: string;
let wsUrl: string;
let idle: string[];
const clients = new WebSocketClients(() => wsUrl);

beforeAll(async () => {
  stack = await startStack({
    athena: {
      clock,
      timings: { calculationCreatingMs: CREATING_MS, calculationQueuedMs: QUEUED_MS, calculationMs: RUNNING_MS },
    },
    config: { subscriptionPollMs: POLL_MS },
    gateway: {
      viewerFor: (request) => {
        const viewer = VIEWERS[request.headers.get('authorization') ?? ''];
        if (viewer === undefined) throw new UnauthenticatedError();
        return viewer;
      },
    },
  });
  server = createServer(stack.yoga);
  webSockets = attachWebSocketServer(server, stack.yoga, { allowedOrigins: [] });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  httpUrl = `http://127.0.0.1:${port}/graphql`;
  wsUrl = `ws://127.0.0.1:${port}/graphql`;
  const result = await admin(
    '{ sessions(workGroup: "analytics", state: IDLE, first: 10) { edges { node { sessionId } } } }',
  );
  idle = result.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
});
afterEach(async () => {
  await clients.disposeAll();
});
afterAll(async () => {
  await webSockets.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});
beforeEach(() => stack.resetCalls());

function admin(query: string, variables: Record<string, unknown> = {}) {
  return stack.graphql(query, variables, { authorization: 'Bearer admin' });
}

async function startCalculation(): Promise<string> {
  const sessionId = idle.shift();
  if (sessionId === undefined) throw new Error('ran out of idle demo sessions');
  const result = await admin(
    'mutation($id: String!) { startCalculation(input: { sessionId: $id, codeBlock: "spark.range(5).count()" }) { calculation { calculationId } } }',
    { id: sessionId },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.startCalculation.calculation.calculationId;
}

const stateOf = (message: SseMessage) => (message === 'complete' ? 'complete' : message.data?.calculationStatus?.state);
const codesOf = (message: SseMessage) =>
  message === 'complete' ? [] : (message.errors ?? []).map((error) => error.extensions?.code);

/** Waits until the poller has gone: no GetCalculationExecutionStatus for a few intervals. */
async function expectNoMorePolls(): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const before = stack.calls().GetCalculationExecutionStatus ?? 0;
    await sleep(POLL_MS * 5);
    if ((stack.calls().GetCalculationExecutionStatus ?? 0) === before) return;
    if (Date.now() > deadline)
      throw new Error('GetCalculationExecutionStatus is still being polled after the subscription ended');
  }
}

describe('calculationStatus over Server-Sent Events', () => {
  it('sends the current status at once, then each change, and completes after COMPLETED', async () => {
    const calculationId = await startCalculation();
    stack.resetCalls();
    const subscription = await subscribeSse(
      fetch,
      httpUrl,
      WATCH,
      { id: calculationId },
      { authorization: 'Bearer reader' },
    );
    expect(subscription.status).toBe(200);
    const first = await subscription.next();
    expect(stateOf(first)).toMatch(/^(CREATING|CREATED|QUEUED)$/);
    expect(stack.calls()).toEqual({ GetCalculationExecutionStatus: 1 });

    clock.advance(CREATING_MS + QUEUED_MS);
    expect(stateOf(await subscription.next())).toBe('RUNNING');
    clock.advance(RUNNING_MS);
    const last = await subscription.next();
    expect(last).toEqual({
      data: {
        calculationStatus: expect.objectContaining({ state: 'COMPLETED', completionDateTime: expect.any(String) }),
      },
    });
    expect(await subscription.next()).toBe('complete');
    await expectNoMorePolls();
  });

  it('many subscribers to one calculation share one poll loop', async () => {
    const calculationId = await startCalculation();
    const subscriptions = await Promise.all(
      Array.from({ length: 5 }, () =>
        subscribeSse(fetch, httpUrl, WATCH, { id: calculationId }, { authorization: 'Bearer reader' }),
      ),
    );
    await Promise.all(subscriptions.map((subscription) => subscription.next()));
    stack.resetCalls();
    await sleep(POLL_MS * 6);
    // One loop: about one call per interval, not five.
    expect(stack.calls().GetCalculationExecutionStatus ?? 0).toBeLessThanOrEqual(7);
    expect(stack.calls().GetCalculationExecutionStatus ?? 0).toBeGreaterThan(0);
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await expectNoMorePolls();
  });

  it('stopping the calculation ends the stream with its final state', async () => {
    const calculationId = await startCalculation();
    const subscription = await subscribeSse(
      fetch,
      httpUrl,
      WATCH,
      { id: calculationId },
      { authorization: 'Bearer reader' },
    );
    await subscription.next();
    const stopped = await admin('mutation($id: String!) { stopCalculation(input: { calculationId: $id }) { state } }', {
      id: calculationId,
    });
    expect(stopped.errors).toBeUndefined();
    // Cancellation takes a moment on the local service's clock (CANCELING, then CANCELED).
    clock.advance(60_000);
    const rest = await subscription.rest();
    expect(rest.at(-1)).toBe('complete');
    expect(stateOf(rest.at(-2)!)).toMatch(/^(CANCELED|FAILED)$/);
  });

  it('an unknown calculation is NOT_FOUND; a bad id BAD_USER_INPUT with no call; no read scope FORBIDDEN', async () => {
    const missing = await subscribeSse(
      fetch,
      httpUrl,
      WATCH,
      { id: '00000000-0000-4000-8000-000000000000' },
      { authorization: 'Bearer reader' },
    );
    expect(codesOf(await missing.next())).toEqual(['NOT_FOUND']);
    stack.resetCalls();
    const bad = await subscribeSse(fetch, httpUrl, WATCH, { id: 'x'.repeat(37) }, { authorization: 'Bearer reader' });
    expect(codesOf(await bad.next())).toEqual(['BAD_USER_INPUT']);
    const forbidden = await subscribeSse(fetch, httpUrl, WATCH, { id: 'x' }, { authorization: 'Bearer writer-only' });
    expect(codesOf(await forbidden.next())).toEqual(['FORBIDDEN']);
    expect(stack.calls()).toEqual({});
  });

  it("a calculation in a work group outside the caller's claim is NOT_FOUND", async () => {
    const calculationId = await startCalculation();
    const hidden = await subscribeSse(
      fetch,
      httpUrl,
      WATCH,
      { id: calculationId },
      { authorization: 'Bearer sandbox-reader' },
    );
    expect(codesOf(await hidden.next())).toEqual(['NOT_FOUND']);
  });
});

describe('calculationStatus over graphql-ws', () => {
  const client = (authorization = 'Bearer reader') => clients.client({ connectionParams: { authorization } });

  it('sends the current status, each change, and completes after COMPLETED', async () => {
    const calculationId = await startCalculation();
    const iterator = client()
      .iterate<Record<string, any>>({ query: WATCH, variables: { id: calculationId } })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value!.data!.calculationStatus.state).toMatch(/^(CREATING|CREATED|QUEUED)$/);
    clock.advance(CREATING_MS + QUEUED_MS);
    expect((await iterator.next()).value!.data!.calculationStatus.state).toBe('RUNNING');
    clock.advance(RUNNING_MS);
    expect((await iterator.next()).value!.data!.calculationStatus).toMatchObject({
      state: 'COMPLETED',
      completionDateTime: expect.any(String),
    });
    expect((await iterator.next()).done).toBe(true);
  });

  it('an unknown calculation is NOT_FOUND, and the operation completes', async () => {
    const results: any[] = [];
    for await (const result of client().iterate({ query: WATCH, variables: { id: 'no-such-calculation' } }))
      results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0].errors.map((error: any) => error.extensions.code)).toEqual(['NOT_FOUND']);
  });
});
