// One poller per watched session across the fleet: 90 subscribers (SSE and WebSocket) spread over 3
// replicas cost one GetSessionStatus per interval together; when the replica that polls is killed,
// another takes over and the subscribers on the survivors see every change, once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { type StatusWatcher, until, watchStatus } from '../support/status-watchers.js';

const POLL_MS = 400;
const SUBSCRIBERS_PER_REPLICA = 30;

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
const clock = new ManualClock();

beforeAll(async () => {
  redis = await startRedis();
  athena = await startLocalAthena({ seed: 'demo', clock });
  // No cache: every poll is a real call, so the count below is exactly the pollers' work.
  replicas = await startReplicas({
    replicas: 3,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { SUBSCRIPTION_POLL_MS: String(POLL_MS), CACHE_TTL_MS: '0' },
  });
}, 90_000);

afterAll(async () => {
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

interface Subscriber extends StatusWatcher {
  replica: Replica;
}

const subscribe = (replica: Replica, transport: 'sse' | 'ws', sessionId: string): Subscriber =>
  Object.assign(watchStatus(replica.url, transport, sessionId), { replica });

/** GetSessionStatus calls each replica made (its own /metrics). */
async function pollsByReplica(): Promise<number[]> {
  return Promise.all(
    replicas.map(async (replica) => {
      if (replica.process.exitCode !== null || replica.process.signalCode !== null) return 0;
      const text = (await replica.get('/metrics')).text;
      const match = /athena_calls_total\{operation="GetSessionStatus",outcome="ok"\} (\d+)/.exec(text);
      return match ? Number(match[1]) : 0;
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('one poller per watched session, fleet-wide', () => {
  it('90 subscribers over 3 replicas: one GetSessionStatus per interval; kill -9 the poller: another takes over, nobody sees a duplicate or a step back', async () => {
    const started = await replicas[0]!.graphql(
      'mutation { startSession(input: { workGroup: "sandbox", engineConfiguration: { maxConcurrentDpus: 4 } }) { session { sessionId status { state } } } }',
    );
    expect(started.errors).toBeUndefined();
    const sessionId = started.data!.startSession.session.sessionId as string;

    const subscribers: Subscriber[] = [];
    for (const replica of replicas) {
      for (let index = 0; index < SUBSCRIBERS_PER_REPLICA; index += 1) {
        subscribers.push(subscribe(replica, index % 2 === 0 ? 'sse' : 'ws', sessionId));
      }
    }
    await until(
      () => subscribers.every((subscriber) => subscriber.states.length >= 1 || subscriber.errors.length > 0),
      60_000,
      'every subscriber has its first status',
    );
    expect(subscribers.flatMap((subscriber) => subscriber.errors.map(String))).toEqual([]);
    expect(new Set(subscribers.map((subscriber) => subscriber.states[0]))).toEqual(new Set(['CREATING']));

    // Steady state: the whole fleet polls once per interval, as one process would.
    const windowMs = 10 * POLL_MS;
    athena.calls.reset();
    await sleep(windowMs);
    const polls = athena.calls.count('GetSessionStatus');
    expect(polls).toBeGreaterThanOrEqual(windowMs / POLL_MS / 2);
    expect(polls).toBeLessThanOrEqual(Math.ceil((windowMs / POLL_MS) * 1.1) + 1);

    clock.advance(2_000); // CREATING -> CREATED
    await until(
      () => subscribers.every((subscriber) => subscriber.states.at(-1) === 'CREATED'),
      30_000,
      'every subscriber sees CREATED',
    );

    // Which replica polls? The one whose GetSessionStatus count grows.
    const before = await pollsByReplica();
    await sleep(4 * POLL_MS);
    const after = await pollsByReplica();
    const grew = after.map((count, index) => count - before[index]!);
    const leader = grew.indexOf(Math.max(...grew));
    expect(grew.filter((count) => count > 0)).toHaveLength(1);
    await replicas[leader]!.kill();
    const survivors = subscribers.filter((subscriber) => subscriber.replica.index !== leader);
    for (const subscriber of subscribers) if (subscriber.replica.index === leader) subscriber.close();

    clock.advance(1_000); // CREATED -> IDLE
    const tookOver = await until(
      () => survivors.every((subscriber) => subscriber.states.at(-1) === 'IDLE'),
      30_000,
      'survivors see IDLE',
    );
    // Within three intervals of the kill someone polls again, and the next poll delivers (slack for a loaded machine).
    expect(tookOver).toBeLessThan(4 * POLL_MS + 4_000);

    athena.calls.reset();
    await sleep(windowMs);
    expect(athena.calls.count('GetSessionStatus')).toBeLessThanOrEqual(Math.ceil((windowMs / POLL_MS) * 1.1) + 1);

    const survivor = replicas.find((replica) => replica.index !== leader)!;
    const terminated = await survivor.graphql(
      'mutation($id: String!) { terminateSession(input: { sessionId: $id }) { state } }',
      { id: sessionId },
    );
    expect(terminated.errors).toBeUndefined();
    await until(
      () => survivors.every((subscriber) => subscriber.states.at(-1) === 'TERMINATING'),
      30_000,
      'survivors see TERMINATING',
    );
    clock.advance(2_000); // TERMINATING -> TERMINATED
    await until(
      () => survivors.every((subscriber) => subscriber.completed),
      30_000,
      'survivors complete after TERMINATED',
    );

    for (const subscriber of survivors) {
      expect({ transport: subscriber.transport, states: subscriber.states, errors: subscriber.errors }).toEqual({
        transport: subscriber.transport,
        states: ['CREATING', 'CREATED', 'IDLE', 'TERMINATING', 'TERMINATED'],
        errors: [],
      });
    }
  }, 120_000);
});
