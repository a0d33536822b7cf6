// The sharing and freshness rules end to end: GraphQL operations through the gateway, upstream
// calls counted at the local Athena service, time moved by hand instead of slept.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CacheName } from '../../src/athena/cache-policy.js';
import type { CacheOutcome } from '../../src/athena/caching-port.js';
import { ManualClock } from '../athena/fake-port.js';
import { type CachedStack, Gate, startCachedStack } from './cached-stack.js';

const TTL = 1_000;
const STATUS = (id: string) => `{ session(sessionId: "${id}") { sessionId status { state stateChangeReason } } }`;
const DETAILS = (id: string) =>
  `{ session(sessionId: "${id}") { sessionId workGroup status { state } engineConfiguration { maxConcurrentDpus } statistics { dpuExecutionInMillis } } }`;
const PAGE = (workGroup: string, extra = '') =>
  `{ sessions(workGroup: "${workGroup}", first: 20) { edges { node { sessionId description status { state } ${extra} } } } }`;
const WITH_CONFIGURATION =
  'engineConfiguration { maxConcurrentDpus sparkProperties { key value } } sessionConfiguration { executionRole } engineVersion { effectiveEngineVersion }';

let stack: CachedStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function outcomes(current: CachedStack, cache: CacheName, outcome: CacheOutcome): number {
  return current.cacheEvents.filter((event) => event.cache === cache && event.outcome === outcome).length;
}

async function sessionIdsOf(current: CachedStack, workGroup: string): Promise<string[]> {
  const result = await current.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(PAGE(workGroup));
  expect(result.errors).toBeUndefined();
  return result.data!.sessions.edges.map((edge) => edge.node.sessionId);
}

describe.each([
  ['CACHE_TTL_MS=1000', TTL],
  ['CACHE_TTL_MS=0', 0],
])('identical calls in flight are shared (%s)', (_name, ttlMs) => {
  it('fifty concurrent status polls of one session cost one GetSessionStatus', async () => {
    const gate = new Gate(new Set(['GetSessionStatus']));
    stack = await startCachedStack({ ttlMs, gate });
    const [sessionId] = await sessionIdsOf(stack, 'analytics');
    stack.resetCalls();

    const polls = Array.from({ length: 50 }, () => stack!.graphql(STATUS(sessionId!)));
    // Every poll has joined the one call held at the gate before Athena answers it.
    await vi.waitFor(() => expect(outcomes(stack!, 'status', 'shared')).toBe(49), { timeout: 15_000 });
    expect(gate.waiting).toBe(1);
    gate.open();
    const results = await Promise.all(polls);
    expect(results.every((result) => result.errors === undefined && result.data!.session.sessionId === sessionId)).toBe(
      true,
    );
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });
});

describe('CACHE_TTL_MS=1000: reuse within the TTL only', () => {
  it('a status poll is answered from memory within the TTL, and asks Athena again after it', async () => {
    const clock = new ManualClock();
    stack = await startCachedStack({ ttlMs: TTL, now: clock.now });
    const [sessionId] = await sessionIdsOf(stack, 'analytics');
    stack.resetCalls();

    await stack.graphql(STATUS(sessionId!));
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
    stack.resetCalls();
    clock.advance(TTL - 1);
    for (let poll = 0; poll < 5; poll += 1) await stack.graphql(STATUS(sessionId!));
    expect(stack.calls()).toEqual({});
    clock.advance(1);
    await stack.graphql(STATUS(sessionId!));
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });

  it('a page with engine configuration: cold at the contract minimum, warm free, then one ListSessions per TTL', async () => {
    const clock = new ManualClock();
    stack = await startCachedStack({ ttlMs: TTL, now: clock.now });
    const cold = await stack.graphql(PAGE('primary', WITH_CONFIGURATION));
    expect(cold.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ ListSessions: 1, GetSession: 20 });

    stack.resetCalls();
    const warm = await stack.graphql(PAGE('primary', WITH_CONFIGURATION));
    expect(warm.body).toEqual(cold.body);
    expect(stack.calls()).toEqual({});

    // After the TTL the list is asked again; the configuration never changes, so it is not.
    stack.resetCalls();
    clock.advance(TTL);
    const later = await stack.graphql(PAGE('primary', WITH_CONFIGURATION));
    expect(later.body).toEqual(cold.body);
    expect(stack.calls()).toEqual({ ListSessions: 1 });

    // Statistics change while a session runs: after the TTL they take a GetSession again.
    stack.resetCalls();
    clock.advance(TTL);
    await stack.graphql(PAGE('primary', 'statistics { dpuExecutionInMillis }'));
    expect(stack.calls()).toEqual({ ListSessions: 1, GetSession: 20 });
  });

  it('a session with details is free within the TTL and one GetSession after it', async () => {
    const clock = new ManualClock();
    stack = await startCachedStack({ ttlMs: TTL, now: clock.now });
    const [sessionId] = await sessionIdsOf(stack, 'analytics');
    stack.resetCalls();
    const first = await stack.graphql(DETAILS(sessionId!));
    expect(first.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSession: 1 });
    stack.resetCalls();
    await stack.graphql(DETAILS(sessionId!));
    await stack.graphql(STATUS(sessionId!)); // the GetSession's status answers a status poll too
    expect(stack.calls()).toEqual({});
    clock.advance(TTL);
    await stack.graphql(DETAILS(sessionId!));
    expect(stack.calls()).toEqual({ GetSession: 1 });
  });
});

describe('after a terminate through the gateway nothing stale is served', () => {
  it('status, details and lists show the terminate at once, however warm the cache was', async () => {
    const clock = new ManualClock();
    stack = await startCachedStack({ ttlMs: 60_000, now: clock.now });
    const [sessionId] = await sessionIdsOf(stack, 'ml-experiments');
    // Warm everything that shows the session's state.
    await stack.graphql(STATUS(sessionId!));
    await stack.graphql(DETAILS(sessionId!));
    await stack.graphql(PAGE('ml-experiments', WITH_CONFIGURATION));
    stack.resetCalls();
    await stack.graphql(STATUS(sessionId!));
    await stack.graphql(PAGE('ml-experiments'));
    expect(stack.calls()).toEqual({});

    const terminated = await stack.graphql<{
      terminateSession: { state: string; session: { status: { state: string } } };
    }>(`mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state session { status { state } } } }`);
    expect(terminated.errors).toBeUndefined();
    expect(terminated.data!.terminateSession.state).toBe('TERMINATING');
    expect(terminated.data!.terminateSession.session.status.state).toMatch(/^TERMINAT(ING|ED)$/);

    // The clock has not moved: only the invalidation can make these fresh.
    const status = await stack.graphql<{ session: { status: { state: string } } }>(STATUS(sessionId!));
    expect(status.data!.session.status.state).toMatch(/^TERMINAT(ING|ED)$/);
    const details = await stack.graphql<{ session: { status: { state: string }; engineConfiguration: unknown } }>(
      DETAILS(sessionId!),
    );
    expect(details.data!.session.status.state).toMatch(/^TERMINAT(ING|ED)$/);
    expect(details.data!.session.engineConfiguration).not.toBeNull();
    const listed = await sessionIdsOf(stack, 'ml-experiments');
    expect(listed).not.toContain(sessionId);
    expect(listed.length).toBeGreaterThan(0);
  });

  it('a list of another work group stays cached', async () => {
    stack = await startCachedStack({ ttlMs: 60_000 });
    const [sessionId] = await sessionIdsOf(stack, 'ml-experiments');
    await sessionIdsOf(stack, 'analytics');
    await stack.graphql(`mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state } }`);
    stack.resetCalls();
    await sessionIdsOf(stack, 'analytics');
    expect(stack.calls()).toEqual({});
  });
});

describe('CACHE_TTL_MS=0: no reuse across requests', () => {
  it('every operation asks Athena again, immutable fields included', async () => {
    stack = await startCachedStack({ ttlMs: 0 });
    const [sessionId] = await sessionIdsOf(stack, 'analytics');
    stack.resetCalls();
    for (let poll = 0; poll < 3; poll += 1) await stack.graphql(STATUS(sessionId!));
    expect(stack.calls()).toEqual({ GetSessionStatus: 3 });
    stack.resetCalls();
    await stack.graphql(PAGE('primary', WITH_CONFIGURATION));
    await stack.graphql(PAGE('primary', WITH_CONFIGURATION));
    expect(stack.calls()).toEqual({ ListSessions: 2, GetSession: 40 });
    expect(stack.cacheEvents.filter((event) => event.outcome === 'hit')).toEqual([]);
  });
});
