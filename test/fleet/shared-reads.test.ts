// Three replicas sharing one Redis (with a password) over one local Athena: the same load costs the
// fleet what it costs one process, the immutable-field cache is shared, a write on one replica is
// seen at once on the others, and the password never shows.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const TTL_MS = 3_000;
const PASSWORD = 'fleet-pa55word-never-shown';
const STATUS = 'query($id: String!) { session(sessionId: $id) { status { state } } }';
const DETAILS =
  'query($id: String!) { session(sessionId: $id) { sessionId statistics { dpuExecutionInMillis } status { state } } }';
const PAGE =
  'query($wg: String!) { sessions(workGroup: $wg, first: 20) { edges { node { sessionId status { state } } } } }';

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
let idle: string[];

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
  // Latency so that concurrent requests overlap in flight, as they do against real Athena.
  athena = await startLocalAthena({ seed: 'demo', latencyMs: 150 });
  replicas = await startReplicas({
    replicas: 3,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { CACHE_TTL_MS: String(TTL_MS) },
  });
  // First operations of a fresh process are slow (schema, JIT); the counts below are about steady state.
  await Promise.all(replicas.map((replica) => replica.graphql('{ session(sessionId: "warm-up") { sessionId } }')));
  const page = await replicas[0]!.graphql(
    `{ sessions(workGroup: "analytics", state: IDLE, first: 20) { edges { node { sessionId } } } }`,
  );
  idle = page.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
  expect(idle.length).toBeGreaterThan(6);
}, 90_000);

afterAll(async () => {
  if (process.env.DEBUG_FLEET)
    for (const r of replicas ?? [])
      console.log(
        'DEBUG',
        r.index,
        JSON.stringify(
          r.logs.filter((l) => (l.level as number) >= 40 || String(l.msg).includes('Redis')).map((l) => l.msg),
        ),
        (await r.get('/metrics')).text
          .split('\n')
          .filter((l) => l.startsWith('gateway_shared') || l.startsWith('gateway_cache'))
          .join(' | '),
      );
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

beforeEach(() => athena.calls.reset());

/** `count` identical requests, spread round robin over the replicas, all at once. */
function spread(count: number, send: (replica: Replica) => Promise<{ errors?: unknown }>) {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const result = await send(replicas[index % replicas.length]!);
      expect(result.errors).toBeUndefined();
      return result;
    }),
  );
}

describe('one fleet, one set of upstream calls (CACHE_TTL_MS=3000)', () => {
  it('30 concurrent status reads over 3 replicas cost one GetSessionStatus, as in one process; reads within the TTL cost none', async () => {
    const id = idle[0]!;
    await spread(30, (replica) => replica.graphql(STATUS, { id }));
    expect(athena.calls.counts()).toEqual({ GetSessionStatus: 1 });
    await spread(30, (replica) => replica.graphql(STATUS, { id }));
    expect(athena.calls.counts()).toEqual({ GetSessionStatus: 1 });
  });

  it('the same page on every replica is one ListSessions; the same session with details one GetSession', async () => {
    await spread(30, (replica) => replica.graphql(PAGE, { wg: 'ml-experiments' }));
    expect(athena.calls.counts()).toEqual({ ListSessions: 1 });
    athena.calls.reset();
    await spread(30, (replica) => replica.graphql(DETAILS, { id: idle[1] }));
    expect(athena.calls.counts()).toEqual({ GetSession: 1 });
  });

  it('the immutable fields one replica fetched are answered by the others without a call, after the TTL too', async () => {
    const configured =
      '{ sessions(workGroup: "ml-experiments", first: 20) { edges { node { engineConfiguration { maxConcurrentDpus } } } } }';
    await replicas[0]!.graphql(configured);
    expect(athena.calls.count('GetSession')).toBeGreaterThan(3);
    // Past the TTL the page is fetched again; the configurations, which never change, are not.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
    athena.calls.reset();
    const answers = await Promise.all([replicas[1]!.graphql(configured), replicas[2]!.graphql(configured)]);
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(
        answer.data!.sessions.edges.every(
          (edge: any) => typeof edge.node.engineConfiguration.maxConcurrentDpus === 'number',
        ),
      ).toBe(true);
    }
    expect(athena.calls.counts()).toEqual({ ListSessions: 1 });
  });
});

describe('no stale reads after a write', () => {
  it('after terminateSession on replica A, replica B reads the new state and the new first page at once', async () => {
    const id = idle[3]!;
    // Every replica has the session IDLE and the page cached.
    await spread(3, (replica) => replica.graphql(STATUS, { id }));
    await spread(3, (replica) => replica.graphql(PAGE, { wg: 'analytics' }));
    const terminated = await replicas[0]!.graphql(
      'mutation($id: String!) { terminateSession(input: { sessionId: $id }) { state } }',
      { id },
    );
    expect(terminated.errors).toBeUndefined();
    const [status, page] = await Promise.all([
      replicas[1]!.graphql(STATUS, { id }),
      replicas[2]!.graphql(PAGE, { wg: 'analytics' }),
    ]);
    expect(status.data!.session.status.state).toMatch(/^TERMINAT(ING|ED)$/);
    const row = page.data!.sessions.edges.find((edge: { node: { sessionId: string } }) => edge.node.sessionId === id);
    expect(row?.node.status.state ?? 'TERMINATED').toMatch(/^TERMINAT(ING|ED)$/);
  });

  it('after startSession on replica A, replica B lists the new session at once', async () => {
    await spread(3, (replica) => replica.graphql(PAGE, { wg: 'sandbox' }));
    const started = await replicas[0]!.graphql(
      'mutation { startSession(input: { workGroup: "sandbox", engineConfiguration: { maxConcurrentDpus: 4 } }) { session { sessionId } } }',
    );
    expect(started.errors).toBeUndefined();
    const sessionId = started.data!.startSession.session.sessionId as string;
    const page = await replicas[1]!.graphql(PAGE, { wg: 'sandbox' });
    expect(page.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId)).toContain(
      sessionId,
    );
  });
});

describe('what operators see', () => {
  it('/metrics shows the Redis connection and the shared-cache outcomes; no log line or metric holds the password', async () => {
    const metrics = await replicas[1]!.get('/metrics');
    expect(metrics.text).toMatch(/gateway_redis_connected\{redis="redis:\/\/:\*\*\*@127\.0\.0\.1:\d+"\} 1/);
    expect(metrics.text).toMatch(/gateway_shared_cache_events_total\{cache="status",outcome="(hit|shared|miss)"\} \d+/);
    for (const replica of replicas) {
      expect(JSON.stringify(replica.logs)).not.toContain(PASSWORD);
      expect((await replica.get('/metrics')).text).not.toContain(PASSWORD);
    }
    expect(replicas[0]!.logs.some((line) => line.msg === 'Redis connected: replicas share their work')).toBe(true);
  });
});
