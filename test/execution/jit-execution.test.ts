// Queries run through graphql-js the first time and compiled by graphql-jit from the second: the
// answers, errors included, must be the same bytes either way.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

/** How each execution ran: interpreted by graphql-js, or a query compiled by graphql-jit. */
const runs: ('compiled' | 'compiled-now')[] = [];
vi.mock('graphql-jit', async (importOriginal) => {
  const jit = await importOriginal<typeof import('graphql-jit')>();
  return {
    ...jit,
    compileQuery: (...args: Parameters<typeof jit.compileQuery>) => {
      const result = jit.compileQuery(...args) as ReturnType<typeof jit.compileQuery<Record<string, unknown>>>;
      if (!jit.isCompiledQuery(result)) return result;
      let first = true;
      return {
        ...result,
        query: (...queryArgs: Parameters<typeof result.query>) => {
          runs.push(first ? 'compiled-now' : 'compiled');
          first = false;
          return result.query(...queryArgs);
        },
      };
    },
  };
});

let stack: Stack;
let sessionIds: string[];

beforeAll(async () => {
  stack = await startStack({ config: { athena: { maxAttempts: 1 } } });
  const result = await stack.graphql<{ sessions: { edges: { node: { sessionId: string } }[] } }>(
    '{ sessions(workGroup: "analytics", first: 5) { edges { node { sessionId } } } }',
  );
  sessionIds = result.data!.sessions.edges.map((edge) => edge.node.sessionId);
});
afterAll(() => stack.close());

/** Runs a document three times: interpreted, compiled on the spot, compiled from the cache. */
async function thrice(query: string, variables?: Record<string, unknown>) {
  runs.length = 0;
  const first = await stack.graphql(query, variables);
  const afterFirst = runs.length;
  const second = await stack.graphql(query, variables);
  const third = await stack.graphql(query, variables);
  return { first, second, third, runs: [afterFirst === 0 ? 'interpreted' : 'compiled', ...runs] };
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

describe('graphql-jit on repeated queries', () => {
  it.each([
    [
      'a page with summary and detail fields, fragments and aliases',
      `query Page($workGroup: String!) {
        page: sessions(workGroup: $workGroup, first: 3) {
          edges { cursor node { ...Summary engineConfiguration { maxConcurrentDpus sparkProperties { key value } } statistics { dpuExecutionInMillis } } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
      fragment Summary on Session { __typename id sessionId workGroup description notebookVersion engineVersion { selectedEngineVersion effectiveEngineVersion } status { state stateChangeReason startDateTime idleSinceDateTime } }`,
      { workGroup: 'analytics' },
    ],
    [
      'a non-null variable left to its default',
      'query Defaults($workGroup: String! = "analytics", $first: Int = 2) { sessions(workGroup: $workGroup, first: $first) { edges { node { sessionId } } } }',
      { first: 3 },
    ],
    [
      'a missing session is null',
      '{ session(sessionId: "no-such-session") { sessionId status { state } } }',
      undefined,
    ],
    [
      'an empty connection for an unknown work group',
      '{ sessions(workGroup: "no-such-group", first: 5) { edges { node { sessionId } } pageInfo { hasNextPage } } }',
      undefined,
    ],
    [
      'a work group with its sessions',
      '{ workGroup(name: "ml-experiments") { __typename id name sessions(first: 2) { edges { node { id sessionConfiguration { executionRole encryptionConfiguration { encryptionOption kmsKey } } } } } } }',
      undefined,
    ],
    [
      'bad input is refused with BAD_USER_INPUT',
      '{ sessions(workGroup: "analytics", first: 500) { edges { node { sessionId } } } }',
      undefined,
    ],
  ])('%s: the same answer compiled as interpreted', async (_name, query, variables) => {
    const result = await thrice(query, variables);
    expect(result.runs).toEqual(['interpreted', 'compiled-now', 'compiled']);
    for (const compiled of [result.second, result.third]) {
      expect(compiled.status).toBe(result.first.status);
      expect(JSON.stringify(compiled.body)).toBe(JSON.stringify(result.first.body));
    }
  });

  it.each([
    [
      'a string for an Int',
      'query($n: Int!) { sessions(workGroup: "primary", first: $n) { edges { cursor } } }',
      { n: 'x' },
    ],
    [
      'a missing non-null variable',
      'query($n: Int!) { sessions(workGroup: "primary", first: $n) { edges { cursor } } }',
      {},
    ],
    [
      'an unknown enum value',
      'query($s: SessionState) { sessions(workGroup: "primary", state: $s, first: 1) { edges { cursor } } }',
      { s: 'ASLEEP' },
    ],
  ])('variables that do not fit (%s): the same status and words on every run', async (_name, query, variables) => {
    const result = await thrice(query, variables);
    expect(result.first.status).toBe(400);
    expect(result.first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (const later of [result.second, result.third]) {
      expect(later.status).toBe(result.first.status);
      expect(JSON.stringify(later.body)).toBe(JSON.stringify(result.first.body));
    }
  });

  it('node and nodes, an invalid global id among them', async () => {
    const query = `{ one: node(id: "${globalId('Session', sessionIds[0]!)}") { id ... on Session { status { state } } }
      many: nodes(ids: ["${globalId('Session', sessionIds[1]!)}", "${globalId('WorkGroup', 'analytics')}"]) { __typename id } }`;
    const result = await thrice(query);
    expect(result.first.errors).toBeUndefined();
    expect(result.runs).toEqual(['interpreted', 'compiled-now', 'compiled']);
    expect(JSON.stringify(result.third.body)).toBe(JSON.stringify(result.first.body));
    const invalid = await thrice('{ node(id: "not-a-global-id") { id } }');
    expect(invalid.first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(invalid.first.body).toMatchObject({ errors: [{ locations: [{ line: 1, column: 3 }] }] });
    expect(JSON.stringify(invalid.third.body)).toBe(JSON.stringify(invalid.first.body));
  });

  it('sessions that fail upstream are null with an error at their path, the rest of the list answered', async () => {
    const query = `{
  sessions(workGroup: "analytics", first: 3) {
    edges { node { sessionId engineConfiguration { maxConcurrentDpus } } }
  }
}`;
    stack.athena.faults.set('GetSession', { error: 'InternalServerException' });
    try {
      const result = await thrice(query);
      expect(result.runs).toEqual(['interpreted', 'compiled-now', 'compiled']);
      expect(result.first.errors).toHaveLength(3);
      expect(result.first.errors?.[0]).toMatchObject({
        locations: [{ line: 3, column: 30 }],
        extensions: { code: 'UPSTREAM_ERROR' },
      });
      expect(JSON.stringify(result.third.body)).toBe(JSON.stringify(result.first.body));
      const ids = (response: typeof result.first) =>
        (response.data as { sessions: { edges: { node: { sessionId: string } }[] } }).sessions.edges.map(
          (edge) => edge.node.sessionId,
        );
      expect(ids(result.third)).toEqual(sessionIds.slice(0, 3));
    } finally {
      stack.athena.faults.clear('GetSession');
    }
  });

  it('mutations stay with graphql-js', async () => {
    const result = await thrice('mutation { terminateSession(input: { sessionId: "no-such-session" }) { state } }');
    expect(result.first.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(result.third.body)).toBe(JSON.stringify(result.first.body));
    expect(result.runs).toEqual(['interpreted']);
  });

  it('a document seen once is never compiled', async () => {
    runs.length = 0;
    for (let unique = 0; unique < 3; unique += 1) {
      const result = await stack.graphql(
        `{ session(sessionId: "${sessionIds[0]}") { sessionId status { state } } } # one-off ${unique}`,
      );
      expect(result.errors).toBeUndefined();
    }
    expect(runs).toEqual([]);
  });
});
