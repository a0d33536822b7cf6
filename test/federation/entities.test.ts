// `_entities` as a federation router calls it, straight at our gateway: the call budget, null for
// what does not exist, the argument rules and the auth rules of every other entry point.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.js';
import { type Stack, startStack } from '../helpers.js';

const ENTITIES =
  'query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename SELECTION } }';
const entitiesQuery = (selection: string) => ENTITIES.replace('SELECTION', selection);
const SESSION_FIELDS = '... on Session { sessionId status { state } description }';

const session = (sessionId: string) => ({ __typename: 'Session', sessionId });
const workGroup = (name: string) => ({ __typename: 'WorkGroup', name });

/** The test picks the caller with a header, as auth would from a token. */
const VIEWERS: Record<string, Viewer> = {
  'analytics-reader': {
    subject: 'analytics-reader',
    scopes: new Set(['sessions:read']),
    workGroups: new Set(['analytics']),
  },
  'no-scopes': { subject: 'no-scopes', scopes: new Set(), workGroups: '*' },
};

let stack: Stack;
let primary: string[];
let analytics: string[];

async function sessionIdsOf(name: string, first: number): Promise<string[]> {
  const result = await stack.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    `{ sessions(workGroup: "${name}", first: ${first}) { edges { node { sessionId } } } }`,
  );
  return result.data!.sessions.edges.map((edge) => edge.node.sessionId);
}

beforeAll(async () => {
  stack = await startStack({
    gateway: {
      viewerFor: (request) => {
        const caller = request.headers.get('x-test-caller');
        return caller === null
          ? { scopes: new Set(['sessions:read', 'sessions:write']), workGroups: '*' }
          : VIEWERS[caller]!;
      },
    },
  });
  primary = await sessionIdsOf('primary', 50);
  analytics = await sessionIdsOf('analytics', 5);
  expect(primary).toHaveLength(50);
  expect(analytics).toHaveLength(5);
});

afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

describe('_entities call budget', () => {
  it('50 distinct sessions with status and description cost one GetSession each, in order', async () => {
    const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations: primary.map(session) });
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetSession: 50 });
    expect(result.data!._entities.map((entity: { sessionId: string }) => entity.sessionId)).toEqual(primary);

    // The same answers as the `session` entry point gives.
    const direct = await stack.graphql(
      `{ session(sessionId: "${primary[7]}") { sessionId status { state } description } }`,
    );
    expect(result.data!._entities[7]).toEqual({ __typename: 'Session', ...direct.data!.session });
  });

  it("a router's full batch, 500 sessions with every nested object, passes the cost limit: one GetSession each", async () => {
    const every = `... on Session { sessionId status { state } engineVersion { effectiveEngineVersion }
      engineConfiguration { additionalConfigs { key } sparkProperties { key } classifications { name properties { key } } }
      sessionConfiguration { encryptionConfiguration { encryptionOption } } statistics { dpuExecutionInMillis } }`;
    const missing = Array.from({ length: 500 - primary.length }, (_, i) => session(`gone-${i}`));
    const result = await stack.graphql<{ _entities: ({ sessionId: string } | null)[] }>(entitiesQuery(every), {
      representations: [...primary.map(session), ...missing],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.filter((entity) => entity !== null).map((entity) => entity!.sessionId)).toEqual(
      primary,
    );
    expect(stack.calls()).toEqual({ GetSession: 500 });
  });

  it('duplicate references cost nothing more', async () => {
    const representations = [...primary, ...primary, ...primary.slice(0, 10)].map(session);
    const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toHaveLength(110);
    expect(stack.calls()).toEqual({ GetSession: 50 });
  });

  it('a status-only selection costs GetSessionStatus, not GetSession', async () => {
    const result = await stack.graphql(entitiesQuery('... on Session { status { state startDateTime } }'), {
      representations: primary.map(session),
    });
    expect(result.errors).toBeUndefined();
    expect(
      result.data!._entities.every((entity: { status: { state: string } }) => typeof entity.status.state === 'string'),
    ).toBe(true);
    expect(stack.calls()).toEqual({ GetSessionStatus: 50 });
  });

  it('a selection through a named fragment is read like an inline one', async () => {
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ...Parts } }
      fragment Parts on Session { status { state } workGroup }`;
    const result = await stack.graphql(query, { representations: primary.slice(0, 3).map(session) });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((entity: { workGroup: string }) => entity.workGroup)).toEqual([
      'primary',
      'primary',
      'primary',
    ]);
    expect(stack.calls()).toEqual({ GetSession: 3 });
  });

  it('a missing session is null, with no error, beside the ones that exist', async () => {
    const representations = [session(primary[0]!), session('no-such-session'), session(primary[1]!)];
    const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities[1]).toBeNull();
    expect(result.data!._entities[0].sessionId).toBe(primary[0]);
    expect(result.data!._entities[2].sessionId).toBe(primary[1]);
    expect(stack.calls()).toEqual({ GetSession: 3 });
  });

  it('one failing session yields an error at its index and the rest of the list', async () => {
    stack.athena.faults.set('GetSession', { error: 'InternalServerException' });
    try {
      const selection = '... on Session { sessionId description } ... on WorkGroup { name }';
      const result = await stack.graphql(entitiesQuery(selection), {
        representations: [session(primary[0]!), workGroup('analytics')],
      });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions?.code).toBe('UPSTREAM_ERROR');
      expect(result.errors![0]!.path).toEqual(['_entities', 0]);
      expect(result.data!._entities).toEqual([null, { __typename: 'WorkGroup', name: 'analytics' }]);
    } finally {
      stack.athena.faults.clear('GetSession');
    }
  });
});

describe('_entities for work groups', () => {
  it('resolves a work group and its sessions with the one ListSessions page', async () => {
    const selection = '... on WorkGroup { name sessions(first: 3) { edges { node { sessionId } } } }';
    const result = await stack.graphql(entitiesQuery(selection), {
      representations: [workGroup('analytics'), workGroup('no-such-group')],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities[0]).toEqual({
      __typename: 'WorkGroup',
      name: 'analytics',
      sessions: { edges: analytics.slice(0, 3).map((sessionId) => ({ node: { sessionId } })) },
    });
    expect(result.data!._entities[1]).toBeNull();
    expect(stack.calls()).toEqual({ ListSessions: 2 });
  });

  it('sessions and work groups mix in one call', async () => {
    const selection = '... on WorkGroup { name } ... on Session { sessionId status { state } }';
    const result = await stack.graphql(entitiesQuery(selection), {
      representations: [session(analytics[0]!), workGroup('analytics')],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((entity: { __typename: string }) => entity.__typename)).toEqual([
      'Session',
      'WorkGroup',
    ]);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1, ListSessions: 1 });
  });
});

describe('_entities argument rules: BAD_USER_INPUT before any upstream call', () => {
  it.each([
    ['an unknown __typename', { __typename: 'Team', id: '1' }],
    ['a __typename of the schema that is not an entity', { __typename: 'PageInfo', hasNextPage: true }],
    ['no __typename', { sessionId: 'abc' }],
    ['an inherited property as __typename', { __typename: 'constructor' }],
    ['a representation that is not an object', 'Session:abc'],
  ])('%s: one error for the list, which no router would send', async (_name, bad) => {
    // The valid references beside it are not loaded either.
    const representations = [session(primary[0]!), bad, session(primary[1]!)];
    const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions?.argumentName).toMatch(/^representations\[1\]/);
    expect(result.data).toBeNull();
    expect(stack.calls()).toEqual({});
  });

  it.each([
    ['an empty sessionId', session(''), 'representations.sessionId'],
    ['a sessionId over 256 characters', session('x'.repeat(257)), 'representations.sessionId'],
    ['a sessionId that is not a string', { __typename: 'Session', sessionId: 42 }, 'representations.sessionId'],
    ['a missing key', { __typename: 'Session' }, 'representations.sessionId'],
    ['a malformed work group name', workGroup('no spaces allowed'), 'representations.name'],
  ])(
    '%s: an error at its index and no call for it; the references beside it resolve',
    async (_name, bad, argumentName) => {
      // A router batches the references of many parents into one list: one bad key, say from
      // another subgraph's data, must not cost the others their answer.
      const representations = [session(primary[0]!), bad, session(primary[1]!)];
      const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName });
      expect(result.errors![0]!.path).toEqual(['_entities', 1]);
      expect(result.data!._entities.map((entity: { sessionId: string } | null) => entity?.sessionId ?? null)).toEqual([
        primary[0],
        null,
        primary[1],
      ]);
      expect(stack.calls()).toEqual({ GetSession: 2 });
    },
  );

  it('more representations than one call may carry', async () => {
    const representations = Array.from({ length: 501 }, (_, index) => session(`s-${index}`));
    const result = await stack.graphql(entitiesQuery(SESSION_FIELDS), { representations });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.calls()).toEqual({});
  });

  it('bad arguments of a nested work group connection', async () => {
    // first: 1 keeps the operation within the cost limit, which counts 500 work groups for the variable.
    const result = await stack.graphql(
      entitiesQuery('... on WorkGroup { sessions(first: 1, after: "forged.cursor") { edges { cursor } } }'),
      {
        representations: [workGroup('analytics')],
      },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.calls()).toEqual({});
  });

  it('representations written inline in the document are read the same way', async () => {
    const result = await stack.graphql(
      `{ _entities(representations: [{ __typename: "Session", sessionId: "${primary[0]}" }]) { ... on Session { sessionId } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([{ sessionId: primary[0] }]);
  });
});

describe('_entities auth rules', () => {
  it('needs the sessions:read scope: one FORBIDDEN for the list, and no upstream call', async () => {
    const representations = [session(primary[0]!), session(primary[1]!), workGroup('primary')];
    const result = await stack.graphql(
      entitiesQuery(SESSION_FIELDS),
      { representations },
      { 'x-test-caller': 'no-scopes' },
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    expect(stack.calls()).toEqual({});
  });

  it("a session or work group outside the caller's work groups is null, like a missing one", async () => {
    const representations = [
      session(primary[0]!),
      session(analytics[0]!),
      workGroup('primary'),
      workGroup('analytics'),
    ];
    const selection = '... on Session { sessionId status { state } } ... on WorkGroup { name }';
    const result = await stack.graphql(
      entitiesQuery(selection),
      { representations },
      { 'x-test-caller': 'analytics-reader' },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      null,
      { __typename: 'Session', sessionId: analytics[0], status: { state: expect.any(String) } },
      null,
      { __typename: 'WorkGroup', name: 'analytics' },
    ]);
    // The work group of each session is checked with GetSession (the contract's extra call for a
    // restricted caller); the forbidden work group costs nothing.
    expect(stack.calls()).toEqual({ GetSession: 2, ListSessions: 1 });
  });
});
