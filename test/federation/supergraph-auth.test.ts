// Auth travels through a real federation gateway with real JWTs: the router forwards the caller's
// bearer token, and our `_entities` applies the same scopes and work-group rules as every other
// entry point. Our subgraph runs with auth on (HS256), as it would behind a company router.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers.js';
import { bearer, READ, startProductionStack, token } from '../security/support.js';
import { type FederationGateway, startFederationGateway } from './federation-gateway.js';
import { startTeamsSubgraph, type TeamsSubgraph } from './teams-subgraph.js';

let stack: Stack;
let subgraphServer: Server;
let teams: TeamsSubgraph;
let router: FederationGateway;
let primaryIds: string[];
let analyticsIds: string[];

const TEAM_SESSIONS = '{ teams { name sessions { sessionId description status { state } } } }';

async function firstIds(workGroup: string, authorization: Record<string, string>): Promise<string[]> {
  const result = await stack.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    `{ sessions(workGroup: "${workGroup}", first: 2) { edges { node { sessionId } } } }`,
    {},
    authorization,
  );
  return result.data!.sessions.edges.map((edge) => edge.node.sessionId);
}

beforeAll(async () => {
  stack = await startProductionStack();
  const admin = bearer(await token());
  primaryIds = await firstIds('primary', admin);
  analyticsIds = await firstIds('analytics', admin);
  subgraphServer = createServer(stack.yoga);
  await new Promise<void>((resolve) => subgraphServer.listen(0, '127.0.0.1', resolve));
  teams = await startTeamsSubgraph([
    { id: 'mixed', name: 'Mixed', workGroup: 'analytics', sessionIds: [...primaryIds, ...analyticsIds] },
  ]);
  // The router reads our SDL with a token of its own, as a router without a registry must.
  router = await startFederationGateway(
    [
      { name: 'athena-sessions', url: `http://127.0.0.1:${(subgraphServer.address() as AddressInfo).port}/graphql` },
      { name: 'teams', url: teams.url },
    ],
    bearer(await token({ scope: READ, sub: 'router' })),
  );
});

afterAll(async () => {
  await router?.stop();
  await teams?.stop();
  await new Promise<void>((resolve) => (subgraphServer ? subgraphServer.close(() => resolve()) : resolve()));
  await stack?.close();
});

beforeEach(() => stack.resetCalls());

describe('real JWTs through @apollo/gateway', () => {
  it('a caller with every work group sees every session', async () => {
    const result = await router.query(TEAM_SESSIONS, bearer(await token({ scope: READ })));
    expect(result.errors).toBeUndefined();
    expect(result.data!.teams[0].sessions.map((session: { sessionId: string }) => session.sessionId)).toEqual([
      ...primaryIds,
      ...analyticsIds,
    ]);
  });

  it('a caller limited to analytics reads primary sessions as null, with no error, never FORBIDDEN', async () => {
    const result = await router.query(TEAM_SESSIONS, bearer(await token({ scope: READ, workgroups: ['analytics'] })));
    expect(result.errors).toBeUndefined();
    const sessions = result.data!.teams[0].sessions as ({ sessionId: string } | null)[];
    expect(sessions.map((session) => session?.sessionId ?? null)).toEqual([null, null, ...analyticsIds]);
    // The work group of each session is checked with GetSession before it is answered.
    expect(stack.calls()).toEqual({ GetSession: 4 });
  });

  it('a token without sessions:read gets FORBIDDEN from our subgraph and costs no upstream call', async () => {
    const result = await router.query(TEAM_SESSIONS, bearer(await token({ scope: 'sessions:write' })));
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(result.data?.teams?.[0]?.name).toBe('Mixed');
    expect(stack.calls()).toEqual({});
  });

  it('an expired token is refused by our subgraph as UNAUTHENTICATED', async () => {
    const result = await router.query(TEAM_SESSIONS, bearer(await token({ expiresIn: -120 })));
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.errors)).toContain('UNAUTHENTICATED');
    expect(stack.calls()).toEqual({});
  });
});
