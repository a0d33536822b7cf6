// The sessionStatus subscription over yoga's Server-Sent Events on a real HTTP server, against the
// local Athena service on a manual clock: what a subscriber sees, what it costs upstream, who may subscribe.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaError } from '../../src/athena/port.js';
import type { Viewer } from '../../src/auth/viewer.js';
import { UnauthenticatedError } from '../../src/errors.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { DEFAULT_LIFECYCLE_TIMINGS } from '../../src/local-athena/session-model.js';
import { type Stack, startStack } from '../helpers.js';
import { interceptPort } from '../support/port-calls.js';
import { readSse, type SseMessage, type SseSubscription, subscribeSse } from './sse.js';

const POLL_MS = 50;
const WATCH = `subscription($id: String!) {
  sessionStatus(sessionId: $id) { state stateChangeReason startDateTime lastModifiedDateTime endDateTime idleSinceDateTime }
}`;

const VIEWERS: Record<string, Viewer> = {
  'Bearer reader': { subject: 'reader', scopes: new Set(['sessions:read']), workGroups: '*' },
  'Bearer writer-only': { subject: 'writer', scopes: new Set(['sessions:write']), workGroups: '*' },
  'Bearer analytics-reader': {
    subject: 'analyst',
    scopes: new Set(['sessions:read']),
    workGroups: new Set(['analytics']),
  },
  'Bearer admin': { subject: 'admin', scopes: new Set(['sessions:read', 'sessions:write']), workGroups: '*' },
};

let stack: Stack;
let server: Server;
/** Sessions the upstream stops knowing (Athena keeps ended sessions, another implementation may not). */
const vanished = new Set<string>();
let endpoint: string;
const clock = new ManualClock();
let idle: { primary: string[]; analytics: string[] };

beforeAll(async () => {
  stack = await startStack({
    athena: { clock },
    config: { subscriptionPollMs: POLL_MS, athena: { maxAttempts: 1 } },
    wrapAdapter: (port) => ({
      ...interceptPort(port, (_operation, call) => call()),
      getSessionStatus: async (sessionId, options) => {
        if (vanished.has(sessionId))
          throw new AthenaError('not-found', 'GetSessionStatus', `Session ${sessionId} not found`);
        return port.getSessionStatus(sessionId, options);
      },
    }),
    gateway: {
      viewerFor: (request) => {
        const viewer = VIEWERS[request.headers.get('authorization') ?? ''];
        if (viewer === undefined) throw new UnauthenticatedError();
        return viewer;
      },
    },
  });
  const ids = async (workGroup: string) => {
    const result = await stack.graphql(
      `{ sessions(workGroup: "${workGroup}", state: IDLE, first: 30) { edges { node { sessionId } } } }`,
      {},
      { authorization: 'Bearer admin' },
    );
    return result.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId) as string[];
  };
  idle = { primary: await ids('primary'), analytics: await ids('analytics') };
  server = createServer(stack.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});
beforeEach(() => {
  stack.athena.faults.clear();
  stack.resetCalls();
});

const take = (list: string[]) => {
  const id = list.shift();
  if (id === undefined) throw new Error('ran out of demo sessions');
  return id;
};

function subscribe(sessionId: string, token = 'Bearer reader'): Promise<SseSubscription> {
  return subscribeSse(fetch, endpoint, WATCH, { id: sessionId }, { authorization: token });
}

const admin = (query: string, variables: Record<string, unknown>) =>
  stack.graphql(query, variables, { authorization: 'Bearer admin' });
const terminate = (sessionId: string) =>
  admin('mutation($id: String!) { terminateSession(input: { sessionId: $id }) { state } }', { id: sessionId });

const stateOf = (message: SseMessage) => (message === 'complete' ? 'complete' : message.data?.sessionStatus?.state);
const codesOf = (message: SseMessage) =>
  message === 'complete' ? [] : (message.errors ?? []).map((error) => error.extensions?.code);

/** Upstream GetSessionStatus calls stop growing soon (the client's leaving has to reach the server): the poll loop is gone. */
async function expectNoMorePolls(): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const before = stack.calls().GetSessionStatus ?? 0;
    await sleep(POLL_MS * 5);
    if ((stack.calls().GetSessionStatus ?? 0) === before) return;
    if (Date.now() > deadline) throw new Error('GetSessionStatus is still being polled after every subscriber left');
  }
}

describe('sessionStatus over Server-Sent Events', () => {
  it('sends the current status at once, then each change, and completes after TERMINATED', async () => {
    const sessionId = take(idle.primary);
    const subscription = await subscribe(sessionId);
    expect(subscription.status).toBe(200);
    expect(subscription.contentType).toContain('text/event-stream');

    const first = await subscription.next();
    expect(first).toEqual({ data: { sessionStatus: expect.objectContaining({ state: 'IDLE', endDateTime: null }) } });
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });

    const terminated = await terminate(sessionId);
    expect(terminated.data!.terminateSession.state).toBe('TERMINATING');
    const terminating = await subscription.next();
    expect(stateOf(terminating)).toBe('TERMINATING');

    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.terminatingMs);
    const last = await subscription.next();
    expect(last).toEqual({
      data: {
        sessionStatus: expect.objectContaining({
          state: 'TERMINATED',
          stateChangeReason: expect.stringContaining('TerminateSession'),
          endDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        }),
      },
    });
    expect(await subscription.next()).toBe('complete');
    await expectNoMorePolls();
  });

  it('works as a GET with the operation in the query string (the curl example), and refuses a JSON-only Accept with 406', async () => {
    const sessionId = take(idle.primary);
    const url = `${endpoint}?query=${encodeURIComponent(WATCH)}&variables=${encodeURIComponent(JSON.stringify({ id: sessionId }))}`;
    const viaGet = readSse(
      await fetch(url, { headers: { accept: 'text/event-stream', authorization: 'Bearer reader' } }),
    );
    expect(viaGet.status).toBe(200);
    expect(stateOf(await viaGet.next())).toBe('IDLE');
    await viaGet.close();

    const json = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: 'Bearer reader',
      },
      body: JSON.stringify({ query: WATCH, variables: { id: sessionId } }),
    });
    expect(json.status).toBe(406);
  });

  it('follows a new session from CREATING to IDLE, one event per change and none while nothing changes', async () => {
    const started = await admin(
      'mutation { startSession(input: { workGroup: "sandbox", engineConfiguration: { maxConcurrentDpus: 4 } }) { session { sessionId } } }',
      {},
    );
    const sessionId = started.data!.startSession.session.sessionId as string;
    const subscription = await subscribe(sessionId);
    expect(stateOf(await subscription.next())).toBe('CREATING');
    // Several polls with nothing new: nothing is sent.
    await sleep(POLL_MS * 4);
    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.creatingMs);
    expect(stateOf(await subscription.next())).toBe('CREATED');
    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.createdMs);
    const idleEvent = await subscription.next();
    expect(stateOf(idleEvent)).toBe('IDLE');
    expect(idleEvent !== 'complete' && idleEvent.data!.sessionStatus.idleSinceDateTime).toEqual(expect.any(String));
    await subscription.close();
    await expectNoMorePolls();
  });

  it('a session already TERMINATED gives its status and completes, with no polling', async () => {
    const sessionId = take(idle.primary);
    await terminate(sessionId);
    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.terminatingMs);
    stack.resetCalls();
    const subscription = await subscribe(sessionId);
    const messages = await subscription.rest();
    expect(messages.map(stateOf)).toEqual(['TERMINATED', 'complete']);
    await expectNoMorePolls();
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });

  it('an unknown session is NOT_FOUND, and the stream ends', async () => {
    const subscription = await subscribe('no-such-session');
    const messages = await subscription.rest();
    expect(messages).toHaveLength(2);
    expect(codesOf(messages[0]!)).toEqual(['NOT_FOUND']);
    expect(messages[1]).toBe('complete');
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });

  it.each([
    ['an empty id', ''],
    ['an id over 256 characters', 'x'.repeat(257)],
  ])('%s is BAD_USER_INPUT before any upstream call', async (_name, sessionId) => {
    const messages = await (await subscribe(sessionId)).rest();
    expect(codesOf(messages[0]!)).toEqual(['BAD_USER_INPUT']);
    expect(stack.calls()).toEqual({});
  });

  it('needs the sessions:read scope (FORBIDDEN) and a valid token (UNAUTHENTICATED, 401)', async () => {
    const sessionId = idle.primary[0]!;
    const forbidden = await (await subscribe(sessionId, 'Bearer writer-only')).rest();
    expect(codesOf(forbidden[0]!)).toEqual(['FORBIDDEN']);

    const anonymous = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: WATCH, variables: { id: sessionId } }),
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('UNAUTHENTICATED');
    expect(stack.calls()).toEqual({});
  });

  it('a caller limited to some work groups sees sessions of those only; others are NOT_FOUND', async () => {
    const outside = idle.primary[0]!;
    const denied = await (await subscribe(outside, 'Bearer analytics-reader')).rest();
    expect(codesOf(denied[0]!)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(denied)).not.toContain('primary');

    const inside = take(idle.analytics);
    const allowed = await subscribe(inside, 'Bearer analytics-reader');
    expect(stateOf(await allowed.next())).toBe('IDLE');
    // The work group is checked with GetSession before the first status; polling uses GetSessionStatus.
    expect(stack.calls().GetSession).toBe(2);
    await allowed.close();
  });

  it('an upstream that keeps failing ends the stream with UPSTREAM_ERROR, no internals', async () => {
    const sessionId = take(idle.primary);
    const subscription = await subscribe(sessionId);
    expect(stateOf(await subscription.next())).toBe('IDLE');
    stack.athena.faults.set('GetSessionStatus', { error: 'InternalServerException' });
    const messages = await subscription.rest();
    expect(messages).toHaveLength(2);
    expect(codesOf(messages[0]!)).toEqual(['UPSTREAM_ERROR']);
    expect(messages[0] !== 'complete' && messages[0]!.data).toBeNull();
    expect(JSON.stringify(messages[0])).not.toMatch(/InternalServerException|stack|amazonaws/i);
    expect(messages[1]).toBe('complete');
  });

  it('a session that vanishes upstream while watched ends the stream with NOT_FOUND', async () => {
    const sessionId = take(idle.primary);
    const subscription = await subscribe(sessionId);
    expect(stateOf(await subscription.next())).toBe('IDLE');
    vanished.add(sessionId);
    const messages = await subscription.rest();
    expect(messages.map(codesOf)).toEqual([['NOT_FOUND'], []]);
    expect(messages[0] !== 'complete' && messages[0]!.data).toBeNull();
    expect(messages[1]).toBe('complete');
  });

  it('when the client leaves, the poll loop stops', async () => {
    const sessionId = take(idle.primary);
    const subscription = await subscribe(sessionId);
    expect(stateOf(await subscription.next())).toBe('IDLE');
    await sleep(POLL_MS * 3);
    expect(stack.calls().GetSessionStatus).toBeGreaterThan(1);
    await subscription.close();
    await expectNoMorePolls();
  });
});

describe('100 concurrent subscribers to one session', () => {
  it('cost one upstream GetSessionStatus per poll interval, and all see each change once', async () => {
    const sessionId = take(idle.primary);
    const setupStarted = performance.now();
    const subscribers = await Promise.all(Array.from({ length: 100 }, () => subscribe(sessionId)));
    const firsts = await Promise.all(subscribers.map((subscription) => subscription.next()));
    const setupElapsed = performance.now() - setupStarted;
    expect(firsts.every((message) => stateOf(message) === 'IDLE')).toBe(true);
    // Each subscription loads its first status in its own request (in production the cross-request
    // cache shares those); the poll loop, started by the first, runs meanwhile.
    const initialCalls = stack.calls().GetSessionStatus ?? 0;
    expect(initialCalls).toBeLessThanOrEqual(100 + Math.floor(setupElapsed / POLL_MS) + 1);

    stack.resetCalls();
    const started = performance.now();
    await sleep(POLL_MS * 10);
    const elapsed = performance.now() - started;
    const polls = stack.calls().GetSessionStatus ?? 0;
    // The loop waits a full interval after each answer, so at most one call per interval, for all 100.
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(Math.floor(elapsed / POLL_MS) + 1);
    console.info(
      `[measure] 100 subscribers, one session: ${initialCalls} GetSessionStatus while they subscribed (${Math.round(setupElapsed)} ms), ` +
        `then ${polls} in ${Math.round(elapsed)} ms at SUBSCRIPTION_POLL_MS=${POLL_MS} ` +
        `(${(polls / (elapsed / POLL_MS)).toFixed(2)} per interval)`,
    );

    await terminate(sessionId);
    const changes = await Promise.all(subscribers.map((subscription) => subscription.next()));
    expect(changes.every((message) => stateOf(message) === 'TERMINATING')).toBe(true);
    await Promise.all(subscribers.map((subscription) => subscription.close()));
    await expectNoMorePolls();
  });
});
