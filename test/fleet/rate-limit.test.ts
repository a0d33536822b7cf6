// ATHENA_RATE_LIMIT=20 over 3 replicas: together they stay under 20 upstream calls per second,
// and calls over budget wait instead of failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const LIMIT = 20;
const WINDOW_MS = 10_000;
const DETAILS = 'query($id: String!) { session(sessionId: $id) { statistics { dpuExecutionInMillis } } }';

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
let ids: string[];

beforeAll(async () => {
  redis = await startRedis();
  athena = await startLocalAthena({ seed: 'demo' });
  // No cache: every operation is a distinct upstream call, so the load is well over budget.
  replicas = await startReplicas({
    replicas: 3,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { ATHENA_RATE_LIMIT: String(LIMIT), CACHE_TTL_MS: '0' },
  });
  const page = await replicas[0]!.graphql(
    '{ sessions(workGroup: "primary", first: 100) { edges { node { sessionId } } } }',
  );
  ids = page.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
}, 90_000);

afterAll(async () => {
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

/** 12 clients (4 per replica) as fast as they can for WINDOW_MS: upstream calls counted, client errors kept. */
async function load() {
  const failures: unknown[] = [];
  let answered = 0;
  let running = true;
  let next = 0;
  const workers = replicas.flatMap((replica) =>
    Array.from({ length: 4 }, async () => {
      while (running) {
        const id = ids[next++ % ids.length];
        const result = await replica.graphql(DETAILS, { id });
        if (result.errors !== undefined) failures.push(result.errors);
        else answered += 1;
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  athena.calls.reset();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const calls = athena.calls.total();
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await Promise.all(workers);
  return { calls, seconds, failures, answered };
}

describe('a shared upstream budget', () => {
  it('3 replicas under load make at most ~20 calls per second together, and no client sees an error', async () => {
    const { calls, seconds, failures, answered } = await load();

    // A fixed one-second window in Redis: at most LIMIT per window the measurement touches.
    expect(calls).toBeLessThanOrEqual(LIMIT * Math.ceil(seconds + 1));
    // The budget is used, not starved (12 clients want far more).
    expect(calls).toBeGreaterThanOrEqual(LIMIT * seconds * 0.5);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);
    const metrics = (await replicas[0]!.get('/metrics')).text;
    expect(metrics).toMatch(/athena_budget_waits_total [1-9]\d*/);
  }, 60_000);

  it('with Redis stopped, each replica keeps to its share (20 / the 3 replicas it last saw alive): still ~20 calls per second together', async () => {
    // Every replica has seen the whole fleet announce itself (one beat a second).
    const seenAll = () => replicas.every((replica) => replica.logs.some((entry) => entry.replicas === 3));
    for (let waited = 0; !seenAll() && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seenAll()).toBe(true);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { calls, seconds, failures, answered } = await load();
    // Without the split each replica would keep the whole budget: about 60 per second.
    expect(calls).toBeLessThanOrEqual(LIMIT * Math.ceil(seconds + 1));
    expect(calls).toBeGreaterThanOrEqual(LIMIT * seconds * 0.5);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);
  }, 60_000);
});
