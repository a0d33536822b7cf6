// End to end through a real federation gateway: the gateway composes our subgraph (served over HTTP
// from the local Athena service) with the teams subgraph, and answers queries that cross both.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.js';
import type { GatewayContext } from '../../src/context.js';
import { type Stack, startStack } from '../helpers.js';
import { type FederationGateway, startFederationGateway } from './federation-gateway.js';
import { startTeamsSubgraph, type TeamsSubgraph } from './teams-subgraph.js';

/**
 * The caller is picked by the bearer value, so a restricted answer proves the gateway forwarded
 * the header; no header means auth is off. supergraph-auth.test.ts does the same with real JWTs.
 */
const VIEWERS: Record<string, Viewer> = {
  'Bearer analytics-reader': { subject: 't', scopes: new Set(['sessions:read']), workGroups: new Set(['analytics']) },
  'Bearer no-scopes': { subject: 'n', scopes: new Set(), workGroups: '*' },
};
const FULL: Viewer = { scopes: new Set(['sessions:read', 'sessions:write']), workGroups: '*' };

interface Received {
  query: string;
  authorization: string | null;
  requestId: string | null;
}

let stack: Stack;
let subgraphServer: Server;
let teams: TeamsSubgraph;
let router: FederationGateway;
/** Operations our subgraph received, as the gateway sent them. */
const received: Received[] = [];
let primary: string[];
let analytics: string[];
const MISSING = 'no-such-session';

async function sessionIdsOf(workGroup: string): Promise<string[]> {
  const result = await stack.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    `{ sessions(workGroup: "${workGroup}", first: 3) { edges { node { sessionId } } } }`,
  );
  return result.data!.sessions.edges.map((edge) => edge.node.sessionId);
}

/** What our gateway answers for one session when asked directly. */
async function direct(sessionId: string, selection: string): Promise<unknown> {
  const result = await stack.graphql<{ session: unknown }>(`{ session(sessionId: "${sessionId}") { ${selection} } }`);
  return result.data!.session;
}

beforeAll(async () => {
  const recorder: Plugin<GatewayContext & Record<string, unknown>> = {
    onParams: ({ params, request }) => {
      received.push({
        query: params.query ?? '',
        authorization: request.headers.get('authorization'),
        requestId: request.headers.get('x-request-id'),
      });
    },
  };
  stack = await startStack({
    gateway: {
      plugins: [recorder],
      viewerFor: (request) => {
        const authorization = request.headers.get('authorization');
        return authorization === null ? FULL : (VIEWERS[authorization] ?? { scopes: new Set(), workGroups: new Set() });
      },
    },
  });
  subgraphServer = createServer(stack.yoga);
  await new Promise<void>((resolve) => subgraphServer.listen(0, '127.0.0.1', resolve));
  const athenaUrl = `http://127.0.0.1:${(subgraphServer.address() as AddressInfo).port}/graphql`;

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
    { name: 'athena-sessions', url: athenaUrl },
    { name: 'teams', url: teams.url },
  ]);
});

afterAll(async () => {
  await router?.stop();
  await teams?.stop();
  subgraphServer?.closeAllConnections();
  await new Promise((resolve) => subgraphServer?.close(resolve));
  await stack?.close();
  // Everything this file started is closed: no server, socket or timer is left (sockets may take a
  // moment to finish closing, so the check waits for them, within a generous bound).
  const open = () => process.getActiveResourcesInfo().filter((resource) => /TCP|Timeout|Immediate/.test(resource));
  for (let attempt = 0; attempt < 50 && open().length > 0; attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(open()).toEqual([]);
});

beforeEach(() => {
  stack.resetCalls();
  received.length = 0;
});

const TEAM_SESSIONS = '{ teams { name workGroup { name } sessions { sessionId status { state } description } } }';

/** The teams answer as our gateway's own `session` entry point says each session is. */
async function expectedTeams(selection: string, visible: (sessionId: string) => boolean = () => true) {
  const answer = async (sessionId: string) =>
    sessionId === MISSING || !visible(sessionId) ? null : direct(sessionId, selection);
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

/** The operations our subgraph received that resolve entities. */
const entityFetches = () => received.filter((operation) => operation.query.includes('_entities'));

describe('a supergraph query that crosses both subgraphs', () => {
  it("teams with their sessions' status and description: one _entities call, one GetSession per distinct session", async () => {
    const result = await router.query(TEAM_SESSIONS);
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    // Six distinct sessions (one listed by both teams, one missing): one batch, six calls.
    expect(stack.calls()).toEqual({ GetSession: 6 });
    expect(received).toHaveLength(1);
    expect(received[0]!.query).toMatch(
      /^query\(\$representations:\[_Any!\]!\)\{_entities\(representations:\$representations\)\{\.\.\.on Session\{status\{state\}description\}\}\}$/,
    );

    stack.resetCalls();
    expect(result.data).toEqual({ teams: await expectedTeams('sessionId status { state } description') });
  });

  it('a status-only selection costs GetSessionStatus per distinct session', async () => {
    const result = await router.query('{ teams { sessions { status { state stateChangeReason } } } }');
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSessionStatus: 6 });
    expect(entityFetches()).toHaveLength(1);
    expect(result.data!.teams[1].sessions[3]).toBeNull();
  });

  it('the other way round: our session, and the team that owns it from the teams subgraph', async () => {
    const result = await router.query(
      `{ session(sessionId: "${analytics[1]}") { sessionId description owner { name } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      session: {
        sessionId: analytics[1],
        description: ((await direct(analytics[1]!, 'description')) as { description: string }).description,
        owner: { name: 'Insights' },
      },
    });
    expect(teams.operations.some((query) => query.includes('_entities'))).toBe(true);
  });

  it('work groups referenced by the teams subgraph resolve through our _entities, one ListSessions each', async () => {
    const result = await router.query(
      '{ teams { name workGroup { name sessions(first: 2) { edges { node { sessionId } } } } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(
      result.data!.teams.map((team: { workGroup: { sessions: { edges: { node: { sessionId: string } }[] } } }) =>
        team.workGroup.sessions.edges.map((edge) => edge.node.sessionId),
      ),
    ).toEqual([primary.slice(0, 2), analytics.slice(0, 2)]);
    expect(stack.calls()).toEqual({ ListSessions: 2 });
    expect(entityFetches()).toHaveLength(1);
  });
});

describe('auth travels through the gateway', () => {
  it("forwards the caller's authorization and x-request-id to our subgraph", async () => {
    const result = await router.query('{ teams { sessions { status { state } } } }', {
      authorization: 'Bearer analytics-reader',
      'x-request-id': 'req-42',
    });
    expect(result.errors).toBeUndefined();
    expect(entityFetches().map(({ authorization, requestId }) => ({ authorization, requestId }))).toEqual([
      { authorization: 'Bearer analytics-reader', requestId: 'req-42' },
    ]);
    expect(teams.authorizations.at(-1)).toBe('Bearer analytics-reader');
  });

  it("a session outside the caller's work groups reads as null through the supergraph, like a missing one", async () => {
    const result = await router.query(TEAM_SESSIONS, { authorization: 'Bearer analytics-reader' });
    expect(result.errors).toBeUndefined();
    // A caller limited to some work groups costs a GetSession per session, to check its work group.
    expect(stack.calls()).toEqual({ GetSession: 6 });
    stack.resetCalls();
    const analyticsOnly = new Set(analytics);
    expect(result.data).toEqual({
      teams: await expectedTeams('sessionId status { state } description', (sessionId) => analyticsOnly.has(sessionId)),
    });
    expect(result.data!.teams[0].sessions.slice(0, 2)).toEqual([null, null]);
  });

  it('without the sessions:read scope, _entities answers FORBIDDEN and costs no upstream call', async () => {
    const result = await router.query(TEAM_SESSIONS, { authorization: 'Bearer no-scopes' });
    expect(result.errors?.map((error) => error.extensions)).toEqual([
      { code: 'FORBIDDEN', serviceName: 'athena-sessions' },
    ]);
    expect(stack.calls()).toEqual({});
    // The teams subgraph's own data still comes through; the sessions it cannot have are null.
    expect(
      result.data?.teams?.map((team: { name: string; sessions: unknown[] }) => [team.name, team.sessions]),
    ).toEqual([
      ['Platform', [null, null, null]],
      ['Insights', [null, null, null, null]],
    ]);
  });
});
