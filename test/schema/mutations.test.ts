import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;
let sessionIds: string[];

beforeAll(async () => {
  stack = await startStack();
  const result = await stack.graphql(
    '{ sessions(workGroup: "analytics", first: 10) { edges { node { sessionId } } } }',
  );
  sessionIds = result.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

const TERMINATE = `mutation($id: String!, $m: String) {
  terminateSession(input: { sessionId: $id, clientMutationId: $m }) {
    clientMutationId state session { sessionId status { state endDateTime } }
  }
}`;

describe('terminateSession', () => {
  it('terminates, echoes clientMutationId, and shows the fresh state; a second terminate succeeds with no effect', async () => {
    const id = sessionIds[0]!;
    const first = await stack.graphql(TERMINATE, { id, m: 'one' });
    expect(first.errors).toBeUndefined();
    expect(first.data!.terminateSession.clientMutationId).toBe('one');
    expect(first.data!.terminateSession.state).toBe('TERMINATING');
    expect(['TERMINATING', 'TERMINATED']).toContain(first.data!.terminateSession.session.status.state);

    const second = await stack.graphql(TERMINATE, { id, m: 'two' });
    expect(second.errors).toBeUndefined();
    expect(second.data!.terminateSession.clientMutationId).toBe('two');
    expect(['TERMINATING', 'TERMINATED']).toContain(second.data!.terminateSession.state);
  });

  it('what the request already held for the session is refreshed after terminate', async () => {
    const id = sessionIds[1]!;
    const result = await stack.graphql(
      `mutation($id: String!) {
      before: terminateSession(input: { sessionId: $id }) { session { status { state } } }
    }`,
      { id },
    );
    expect(result.errors).toBeUndefined();
    expect(['TERMINATING', 'TERMINATED']).toContain(result.data!.before.session.status.state);
  });
});

describe('startSession', () => {
  const START = `mutation($token: String) {
    startSession(input: {
      workGroup: "ml-experiments", description: "feature build", clientRequestToken: $token, idleTimeoutMinutes: 30,
      engineConfiguration: { maxConcurrentDpus: 8, sparkProperties: [{ key: "spark.sql.shuffle.partitions", value: "64" }, { key: "spark.executor.memory", value: "4g" }] }
    }) { session { sessionId workGroup status { state } } }
  }`;

  it('twice with one clientRequestToken starts one session', async () => {
    const token = 'retry-token-0000000000000000000000001';
    const one = await stack.graphql(START, { token: token.slice(0, 36) });
    const two = await stack.graphql(START, { token: token.slice(0, 36) });
    expect(one.errors).toBeUndefined();
    expect(two.errors).toBeUndefined();
    expect(two.data!.startSession.session.sessionId).toBe(one.data!.startSession.session.sessionId);
    expect(stack.calls()).toEqual({ StartSession: 2 });
  });

  it('without a token, two starts are two sessions, and the new session reads back with its configuration', async () => {
    const one = await stack.graphql(START);
    const two = await stack.graphql(START);
    const id = one.data!.startSession.session.sessionId;
    expect(two.data!.startSession.session.sessionId).not.toBe(id);
    const read = await stack.graphql(
      `{ session(sessionId: "${id}") { workGroup description engineConfiguration { maxConcurrentDpus sparkProperties { key value } } sessionConfiguration { idleTimeoutSeconds } } }`,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.session).toMatchObject({
      workGroup: 'ml-experiments',
      description: 'feature build',
      engineConfiguration: {
        maxConcurrentDpus: 8,
        // Sorted by key, whatever order they were given in.
        sparkProperties: [
          { key: 'spark.executor.memory', value: '4g' },
          { key: 'spark.sql.shuffle.partitions', value: '64' },
        ],
      },
    });
  });

  it('an unknown work group is NOT_FOUND', async () => {
    const result = await stack.graphql(
      'mutation { startSession(input: { workGroup: "nope" }) { session { sessionId } } }',
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('partial results', () => {
  it("one failing GetSession in a list nulls that session's fields with an error at its path; the rest is returned", async () => {
    // One attempt per call, so a fault on exactly one call fails exactly one session.
    const stack = await startStack({ config: { athena: { maxAttempts: 1 } } });
    stack.athena.faults.set('GetSession', { error: 'InternalServerException', count: 1 });
    try {
      const result = await stack.graphql(
        `{ sessions(workGroup: "primary", first: 5) { edges { node { sessionId engineConfiguration { maxConcurrentDpus } } } } }`,
      );
      const edges = result.data!.sessions.edges as { node: { sessionId: string; engineConfiguration: unknown } }[];
      expect(edges).toHaveLength(5);
      const failed = edges.filter((edge) => edge.node.engineConfiguration === null);
      expect(failed).toHaveLength(1);
      expect(result.errors).toHaveLength(1);
      for (const error of result.errors!) {
        expect(error.extensions?.code).toBe('UPSTREAM_ERROR');
        expect(error.path?.slice(0, 3)).toEqual(['sessions', 'edges', expect.any(Number)]);
        expect(error.path?.at(-1)).toBe('engineConfiguration');
      }
    } finally {
      await stack.close();
    }
  });
});

describe('mapping', () => {
  it('dates are ISO-8601 UTC strings with milliseconds; SafeInt statistics', async () => {
    const result = await stack.graphql(
      `{ sessions(workGroup: "primary", first: 5) { edges { node { status { startDateTime lastModifiedDateTime } statistics { dpuExecutionInMillis } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    for (const { node } of result.data!.sessions.edges) {
      expect(node.status.startDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Number.isSafeInteger(node.statistics.dpuExecutionInMillis)).toBe(true);
    }
  });
});
