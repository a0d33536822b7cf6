// The supergraph in front of a fleet: a real federation gateway whose athena-sessions subgraph is
// 2 gateway processes behind a round-robin balancer, sharing one Redis. The federation e2e still
// answers as it does over one process, both replicas really serve, and the fleet costs Athena what
// one replica costs (the second replica answers from what the first one put in Redis).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type FederationGateway, startFederationGateway } from '../federation/federation-gateway.js';
import { startTeamsSubgraph, type TeamsSubgraph } from '../federation/teams-subgraph.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { type Balancer, startRoundRobinBalancer } from '../support/round-robin-balancer.js';

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
let balancer: Balancer;
let teams: TeamsSubgraph;
let router: FederationGateway;
let primary: string[];
let analytics: string[];
const MISSING = 'no-such-session';

/** Asked through the balancer, as any client of the fleet would. */
async function viaBalancer<Data = Record<string, any>>(query: string): Promise<Data> {
  const response = await fetch(`${balancer.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data: Data; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function sessionIdsOf(workGroup: string): Promise<string[]> {
  const data = await viaBalancer<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    `{ sessions(workGroup: "${workGroup}", first: 3) { edges { node { sessionId } } } }`,
  );
  return data.sessions.edges.map((edge) => edge.node.sessionId);
}

/** Successful upstream calls of one operation each replica made (its own /metrics). */
async function callsByReplica(operation: string): Promise<number[]> {
  return Promise.all(
    replicas.map(async (replica) => {
      const text = (await replica.get('/metrics')).text;
      const match = new RegExp(`athena_calls_total\\{operation="${operation}",outcome="ok"\\} (\\d+)`).exec(text);
      return match ? Number(match[1]) : 0;
    }),
  );
}

beforeAll(async () => {
  redis = await startRedis();
  athena = await startLocalAthena({ seed: 'demo' });
  // A TTL longer than the test, so "what one replica costs" does not depend on how fast the machine is.
  replicas = await startReplicas({
    replicas: 2,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { CACHE_TTL_MS: '60000' },
  });
  balancer = await startRoundRobinBalancer(replicas);
  primary = await sessionIdsOf('primary');
  analytics = await sessionIdsOf('analytics');
  teams = await startTeamsSubgraph([
    { id: 'platform', name: 'Platform', workGroup: 'primary', sessionIds: [primary[0]!, primary[1]!, analytics[0]!] },
    {
      id: 'insights',
      name: 'Insights',
      workGroup: 'analytics',
      sessionIds: [analytics[0]!, analytics[1]!, analytics[2]!, MISSING],
    },
  ]);
  router = await startFederationGateway([
    { name: 'athena-sessions', url: `${balancer.url}/graphql` },
    { name: 'teams', url: teams.url },
  ]);
}, 90_000);

afterAll(async () => {
  await router?.stop();
  await teams?.stop();
  await balancer?.close();
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

beforeEach(() => {
  athena.calls.reset();
  balancer.resetCounts();
});

const TEAM_SESSIONS = '{ teams { name workGroup { name } sessions { sessionId status { state } description } } }';

/** The teams answer as the fleet's own `session` entry point says each session is. */
async function expectedTeams() {
  const answer = async (sessionId: string) =>
    sessionId === MISSING
      ? null
      : (
          await viaBalancer<{ session: unknown }>(
            `{ session(sessionId: "${sessionId}") { sessionId status { state } description } }`,
          )
        ).session;
  return [
    {
      name: 'Platform',
      workGroup: { name: 'primary' },
      sessions: await Promise.all([primary[0]!, primary[1]!, analytics[0]!].map(answer)),
    },
    {
      name: 'Insights',
      workGroup: { name: 'analytics' },
      sessions: await Promise.all([analytics[0]!, analytics[1]!, analytics[2]!, MISSING].map(answer)),
    },
  ];
}

describe('the federation e2e with the router in front of 2 replicas', () => {
  it('teams with their sessions: each replica serves one _entities batch, the fleet pays what one replica pays', async () => {
    const before = await callsByReplica('GetSession');
    const first = await router.query(TEAM_SESSIONS);
    const second = await router.query(TEAM_SESSIONS);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    // Round robin: one batch to each replica.
    expect(balancer.served.http).toEqual([1, 1]);
    // Six distinct sessions (one listed by both teams, one missing), then only the missing one again:
    // a not-found answer is not cached, in one process either, so 6 + 1 is what one replica pays for
    // both queries. The replica that served second read the other five from Redis.
    expect(athena.calls.counts()).toEqual({ GetSession: 7 });
    const after = await callsByReplica('GetSession');
    // Successful GetSessions by replica: the five that exist, all fetched by the first replica.
    expect(after.map((count, index) => count - before[index]!).sort()).toEqual([0, 5]);

    athena.calls.reset();
    expect(first.data).toEqual({ teams: await expectedTeams() });
  });

  it('a status-only selection: GetSessionStatus per distinct session, once for the fleet', async () => {
    const query = '{ teams { sessions { status { state stateChangeReason } } } }';
    const results = [await router.query(query), await router.query(query)];
    for (const result of results) expect(result.errors).toBeUndefined();
    expect(results[1]!.data).toEqual(results[0]!.data);
    expect(balancer.served.http).toEqual([1, 1]);
    const calls = athena.calls.counts();
    // At most what one replica pays (the status may already be known from the query before).
    expect(Object.keys(calls).filter((operation) => operation !== 'GetSessionStatus')).toEqual([]);
    expect(calls.GetSessionStatus ?? 0).toBeLessThanOrEqual(6);
    expect(results[0]!.data!.teams[1].sessions[3]).toBeNull();
  });

  it('the other way round: our session and its owner from the teams subgraph, on either replica', async () => {
    const query = `{ session(sessionId: "${analytics[1]}") { sessionId description owner { name } } }`;
    const results = [await router.query(query), await router.query(query)];
    expect(balancer.served.http).toEqual([1, 1]);
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({
        session: { sessionId: analytics[1], description: expect.any(String), owner: { name: 'Insights' } },
      });
    }
  });

  it('work groups from the teams subgraph resolve through our _entities: one ListSessions per work group, fleet-wide', async () => {
    const query = '{ teams { name workGroup { name sessions(first: 2) { edges { node { sessionId } } } } } }';
    const results = [await router.query(query), await router.query(query)];
    expect(balancer.served.http).toEqual([1, 1]);
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(
        result.data!.teams.map((team: { workGroup: { sessions: { edges: { node: { sessionId: string } }[] } } }) =>
          team.workGroup.sessions.edges.map((edge) => edge.node.sessionId),
        ),
      ).toEqual([primary.slice(0, 2), analytics.slice(0, 2)]);
    }
    // The pages were already read once (beforeAll, through the same fleet) and are shared: at most
    // one ListSessions per work group, as one replica would pay.
    expect(athena.calls.count('ListSessions')).toBeLessThanOrEqual(2);
    expect(Object.keys(athena.calls.counts()).filter((operation) => operation !== 'ListSessions')).toEqual([]);
  });
});
