// The subscriptions e2e across a fleet: subscribers over SSE and WebSocket reach 2 replicas through a
// round-robin balancer (as behind a router or ingress). Every subscriber sees every change of the
// session, once and in order, whichever replica it landed on, while the fleet polls Athena once per
// interval, as one process would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { type Balancer, startRoundRobinBalancer } from '../support/round-robin-balancer.js';
import { type StatusWatcher, until, watchStatus } from '../support/status-watchers.js';

const POLL_MS = 400;
const SUBSCRIBERS = 24;

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
let balancer: Balancer;
const clock = new ManualClock();

beforeAll(async () => {
  redis = await startRedis();
  athena = await startLocalAthena({ seed: 'demo', clock });
  // No cache: every poll is a real call, so the count below is exactly the pollers' work.
  replicas = await startReplicas({
    replicas: 2,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { SUBSCRIPTION_POLL_MS: String(POLL_MS), CACHE_TTL_MS: '0' },
  });
  balancer = await startRoundRobinBalancer(replicas);
}, 90_000);

afterAll(async () => {
  await balancer?.close();
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('subscriptions through a balancer in front of 2 replicas', () => {
  it('SSE and WebSocket subscribers on both replicas see every change; the fleet polls once per interval', async () => {
    const started = await fetch(`${balancer.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'mutation { startSession(input: { workGroup: "sandbox", engineConfiguration: { maxConcurrentDpus: 4 } }) { session { sessionId } } }',
      }),
    });
    const sessionId = ((await started.json()) as { data: { startSession: { session: { sessionId: string } } } }).data
      .startSession.session.sessionId;

    balancer.resetCounts();
    const watchers: StatusWatcher[] = [];
    for (let index = 0; index < SUBSCRIBERS; index += 1)
      // Pairs of one transport then the other, so that round robin gives each transport both replicas.
      watchers.push(watchStatus(balancer.url, Math.floor(index / 2) % 2 === 0 ? 'sse' : 'ws', sessionId));
    await until(
      () => watchers.every((watcher) => watcher.states.length >= 1 || watcher.errors.length > 0),
      60_000,
      'every subscriber has its first status',
    );
    expect(watchers.flatMap((watcher) => watcher.errors.map(String))).toEqual([]);
    // Both replicas hold subscribers of both kinds.
    expect(balancer.served.http.every((count) => count >= 1)).toBe(true);
    expect(balancer.served.upgrades.every((count) => count >= 1)).toBe(true);
    expect(balancer.served.http.reduce((sum, count) => sum + count, 0)).toBe(SUBSCRIBERS / 2);
    expect(balancer.served.upgrades.reduce((sum, count) => sum + count, 0)).toBe(SUBSCRIBERS / 2);

    // Steady state: one GetSessionStatus per interval for the whole fleet.
    const windowMs = 10 * POLL_MS;
    athena.calls.reset();
    await sleep(windowMs);
    const polls = athena.calls.count('GetSessionStatus');
    expect(polls).toBeGreaterThanOrEqual(windowMs / POLL_MS / 2);
    expect(polls).toBeLessThanOrEqual(Math.ceil((windowMs / POLL_MS) * 1.1) + 1);

    clock.advance(2_000); // CREATING -> CREATED
    await until(() => watchers.every((watcher) => watcher.states.at(-1) === 'CREATED'), 30_000, 'CREATED');
    clock.advance(1_000); // CREATED -> IDLE
    await until(() => watchers.every((watcher) => watcher.states.at(-1) === 'IDLE'), 30_000, 'IDLE');

    // Terminated through the balancer too: whichever replica runs it, every subscriber hears of it.
    const terminated = await fetch(`${balancer.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($id: String!) { terminateSession(input: { sessionId: $id }) { state } }',
        variables: { id: sessionId },
      }),
    });
    expect(((await terminated.json()) as { errors?: unknown }).errors).toBeUndefined();
    await until(() => watchers.every((watcher) => watcher.states.at(-1) === 'TERMINATING'), 30_000, 'TERMINATING');
    clock.advance(2_000); // TERMINATING -> TERMINATED
    await until(() => watchers.every((watcher) => watcher.completed), 30_000, 'every subscriber completes');

    for (const watcher of watchers)
      expect({ transport: watcher.transport, states: watcher.states, errors: watcher.errors }).toEqual({
        transport: watcher.transport,
        states: ['CREATING', 'CREATED', 'IDLE', 'TERMINATING', 'TERMINATED'],
        errors: [],
      });
  }, 120_000);
});
