// One poller per watched session across the fleet: 90 subscribers (SSE and WebSocket) spread over 3
// replicas cost one GetSessionStatus per interval together; when the replica that polls is killed,
// another takes over and the subscribers on the survivors see every change, once, in order.
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { readSse } from '../subscriptions/sse.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const POLL_MS = 400;
const SUBSCRIBERS_PER_REPLICA = 30;
const WATCH = 'subscription($id: String!) { sessionStatus(sessionId: $id) { state lastModifiedDateTime } }';

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

interface Subscriber {
  replica: Replica;
  transport: 'sse' | 'ws';
  states: string[];
  errors: unknown[];
  completed: boolean;
  close(): void;
}

function subscribeSse(replica: Replica, sessionId: string): Subscriber {
  const controller = new AbortController();
  const subscriber: Subscriber = {
    replica,
    transport: 'sse',
    states: [],
    errors: [],
    completed: false,
    close: () => controller.abort(),
  };
  void (async () => {
    try {
      const response = await fetch(`${replica.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: WATCH, variables: { id: sessionId } }),
        signal: controller.signal,
      });
      const stream = readSse(response);
      for (;;) {
        const message = await stream.next(60_000);
        if (message === 'complete') {
          subscriber.completed = true;
          return;
        }
        if (message.errors) subscriber.errors.push(message.errors);
        else subscriber.states.push(message.data!.sessionStatus.state);
      }
    } catch (error) {
      subscriber.errors.push(error);
    }
  })();
  return subscriber;
}

function subscribeWs(replica: Replica, sessionId: string): Subscriber {
  const client = createClient({
    url: `${replica.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const subscriber: Subscriber = {
    replica,
    transport: 'ws',
    states: [],
    errors: [],
    completed: false,
    close: () => void client.dispose(),
  };
  client.subscribe<{ sessionStatus: { state: string } }>(
    { query: WATCH, variables: { id: sessionId } },
    {
      next: (result) =>
        result.errors
          ? subscriber.errors.push(result.errors)
          : subscriber.states.push(result.data!.sessionStatus.state),
      error: (error) => subscriber.errors.push(error),
      complete: () => (subscriber.completed = true),
    },
  );
  return subscriber;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

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
        subscribers.push(index % 2 === 0 ? subscribeSse(replica, sessionId) : subscribeWs(replica, sessionId));
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
