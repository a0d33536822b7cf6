// The contract's upstream-call table, one test per row, counted by Athena operation name at the
// local service (cold: every test builds its request's loaders from nothing).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;
let sessionIds: string[];

const SUMMARY =
  'id sessionId workGroup description notebookVersion engineVersion { selectedEngineVersion effectiveEngineVersion } status { state startDateTime }';

beforeAll(async () => {
  stack = await startStack();
  const result = await stack.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    '{ sessions(workGroup: "primary", first: 100) { edges { node { sessionId } } } }',
  );
  sessionIds = result.data!.sessions.edges.map((edge) => edge.node.sessionId);
  expect(sessionIds.length).toBe(100);
});

afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

describe('sessions(first: n) with summary fields only', () => {
  it.each([1, 20, 100])('first: %i costs one ListSessions and nothing else', async (first) => {
    const result = await stack.graphql(
      `{ sessions(workGroup: "primary", first: ${first}) { edges { cursor node { ${SUMMARY} } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.sessions.edges).toHaveLength(first);
    expect(stack.calls()).toEqual({ ListSessions: 1 });
  });

  it('WorkGroup.sessions and workGroup(name) together still cost one ListSessions', async () => {
    const result = await stack.graphql(
      `{ workGroup(name: "primary") { id name sessions(first: 30) { edges { node { ${SUMMARY} } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.workGroup.sessions.edges).toHaveLength(30);
    expect(stack.calls()).toEqual({ ListSessions: 1 });
  });
});

describe('sessions(first: n) with detail fields', () => {
  it.each([
    'engineConfiguration { maxConcurrentDpus sparkProperties { key value } }',
    'sessionConfiguration { executionRole }',
    'statistics { dpuExecutionInMillis }',
  ])('adds one GetSession per distinct session, run concurrently: %s', async (detail) => {
    stack.athena.faults.set('GetSession', { latencyMs: 20 });
    try {
      const result = await stack.graphql(
        `{ sessions(workGroup: "primary", first: 20) { edges { node { ${SUMMARY} ${detail} } } } }`,
      );
      expect(result.errors).toBeUndefined();
      expect(stack.calls()).toEqual({ ListSessions: 1, GetSession: 20 });
      expect(stack.port.maxInFlight('GetSession')).toBeGreaterThan(1);
    } finally {
      stack.athena.faults.clear('GetSession');
    }
  });

  it('the same session twice in one operation costs one GetSession', async () => {
    const result = await stack.graphql(`{
      a: sessions(workGroup: "primary", first: 5) { edges { node { engineConfiguration { maxConcurrentDpus } } } }
      b: sessions(workGroup: "primary", first: 5) { edges { node { statistics { dpuExecutionInMillis } } } } }`);
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ ListSessions: 1, GetSession: 5 });
  });
});

describe('session(sessionId)', () => {
  it('status only costs one GetSessionStatus', async () => {
    const result = await stack.graphql(
      `{ session(sessionId: "${sessionIds[0]}") { id sessionId status { state stateChangeReason startDateTime lastModifiedDateTime endDateTime idleSinceDateTime } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.session.sessionId).toBe(sessionIds[0]);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });

  it.each([
    'description',
    'workGroup',
    'engineConfiguration { sparkProperties { key value } }',
    'sessionConfiguration { executionRole encryptionConfiguration { encryptionOption } }',
    'statistics { dpuExecutionInMillis }',
    'status { state } engineVersion { effectiveEngineVersion } notebookVersion',
  ])('a detail field (%s) costs one GetSession, with or without status', async (fields) => {
    const result = await stack.graphql(`{ session(sessionId: "${sessionIds[1]}") { sessionId ${fields} } }`);
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSession: 1 });
  });

  it('detail fields inside a named fragment are seen too', async () => {
    const result = await stack.graphql(`
      query { session(sessionId: "${sessionIds[1]}") { status { state } ...Config } }
      fragment Config on Session { engineConfiguration { maxConcurrentDpus } }`);
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSession: 1 });
  });
});

describe('the same session several times in one operation', () => {
  it('aliases, node and nodes share one call', async () => {
    const sessionId = sessionIds[2]!;
    const globalId = Buffer.from(`Session:${sessionId}`).toString('base64');
    const result = await stack.graphql(`{
      a: session(sessionId: "${sessionId}") { status { state } }
      b: session(sessionId: "${sessionId}") { engineConfiguration { maxConcurrentDpus } }
      c: node(id: "${globalId}") { id ... on Session { description status { state } } }
      d: nodes(ids: ["${globalId}", "${globalId}"]) { id ... on Session { statistics { dpuExecutionInMillis } } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.c.id).toBe(globalId);
    expect(result.data!.d).toHaveLength(2);
    expect(stack.calls()).toEqual({ GetSession: 1 });
  });

  it('status-only aliases share one GetSessionStatus', async () => {
    const sessionId = sessionIds[3]!;
    const globalId = Buffer.from(`Session:${sessionId}`).toString('base64');
    const result = await stack.graphql(`{
      a: session(sessionId: "${sessionId}") { status { state } }
      b: session(sessionId: "${sessionId}") { sessionId status { idleSinceDateTime } }
      c: node(id: "${globalId}") { ... on Session { status { state } } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });
});

describe('mutations', () => {
  it('terminateSession { state } costs one TerminateSession', async () => {
    const result = await stack.graphql(
      `mutation { terminateSession(input: { sessionId: "${sessionIds[10]}" }) { state } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.terminateSession.state).toMatch(/TERMINAT/);
    expect(stack.calls()).toEqual({ TerminateSession: 1 });
  });

  it('startSession { session { sessionId status { state } } } costs one StartSession', async () => {
    const result = await stack.graphql(`mutation {
      startSession(input: { workGroup: "analytics", description: "call budget", clientMutationId: "m1" }) {
        clientMutationId session { id sessionId workGroup description status { state } }
      }
    }`);
    expect(result.errors).toBeUndefined();
    const payload = result.data!.startSession;
    expect(payload.clientMutationId).toBe('m1');
    expect(payload.session.workGroup).toBe('analytics');
    expect(payload.session.description).toBe('call budget');
    expect(payload.session.status.state).toBe('CREATING');
    expect(stack.calls()).toEqual({ StartSession: 1 });
  });
});

describe('work groups', () => {
  it.each([1, 20, 50, 100])(
    'workGroups(first: %i) with name state description creationDateTime engineVersion costs ListWorkGroups x ceil(n/50) at most',
    async (first) => {
      const result = await stack.graphql(
        `{ workGroups(first: ${first}) { edges { cursor node { id name state description creationDateTime engineVersion { selectedEngineVersion effectiveEngineVersion } } } pageInfo { hasNextPage endCursor } } }`,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.workGroups.edges.length).toBeGreaterThanOrEqual(Math.min(first, 4));
      // The demo's work groups fit in one upstream page.
      expect(stack.calls()).toEqual({ ListWorkGroups: 1 });
    },
  );

  it('workGroup(name) with its own fields costs one GetWorkGroup', async () => {
    const result = await stack.graphql(
      '{ workGroup(name: "primary") { id name state description creationDateTime engineVersion { effectiveEngineVersion } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetWorkGroup: 1 });
  });
});

describe('allSessions', () => {
  it.each([
    [['primary'], 20],
    [['primary', 'analytics', 'ml-experiments'], 20],
    [['primary', 'analytics', 'ml-experiments', 'sandbox'], 100],
  ])(
    'allSessions(workGroups: %j, first: %i) with summary fields costs ListSessions x k on its first page',
    async (workGroups, first) => {
      const result = await stack.graphql(
        `query($names: [String!]) { allSessions(workGroups: $names, first: ${first}) { edges { cursor node { ${SUMMARY} } } pageInfo { hasNextPage endCursor } } }`,
        {
          names: workGroups,
        },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.allSessions.edges).toHaveLength(first);
      expect(stack.calls()).toEqual({ ListSessions: workGroups.length });
    },
  );
});
