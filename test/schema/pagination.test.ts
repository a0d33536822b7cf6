// Walking the connection with every `first` from 1 to 100 yields exactly what a direct SDK walk
// of ListSessions yields: every session once, in the upstream's order.
import { ListSessionsCommand, type SessionState } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

async function sdkWalk(workGroup: string, state?: SessionState): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.adapter.client.send(
      new ListSessionsCommand({ WorkGroup: workGroup, StateFilter: state, MaxResults: 100, NextToken: nextToken }),
    );
    ids.push(...(page.Sessions ?? []).map((session) => session.SessionId!));
    nextToken = page.NextToken;
  } while (nextToken);
  return ids;
}

interface Page {
  sessions: {
    edges: { cursor: string; node: { sessionId: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

async function gatewayWalk(workGroup: string, first: number, state?: string) {
  const ids: string[] = [];
  const listCalls: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 2_000; guard += 1) {
    stack.resetCalls();
    const result: Awaited<ReturnType<typeof stack.graphql<Page>>> = await stack.graphql<Page>(
      'query($workGroup: String!, $first: Int, $after: String, $state: SessionState) { sessions(workGroup: $workGroup, first: $first, after: $after, state: $state) { edges { cursor node { sessionId } } pageInfo { hasNextPage hasPreviousPage endCursor } } }',
      { workGroup, first, after, state },
    );
    expect(result.errors).toBeUndefined();
    const { edges, pageInfo } = result.data!.sessions;
    listCalls.push(stack.calls().ListSessions ?? 0);
    expect(pageInfo.hasPreviousPage).toBe(false);
    ids.push(...edges.map((edge) => edge.node.sessionId));
    if (!pageInfo.hasNextPage) return { ids, listCalls };
    expect(edges.length).toBe(first);
    after = pageInfo.endCursor;
  }
  throw new Error('walk did not end');
}

describe('paging walks over a work group of more than 250 sessions', () => {
  let expected: string[];
  beforeAll(async () => {
    expected = await sdkWalk('primary');
    expect(expected.length).toBeGreaterThan(250);
  });

  it('every first from 1 to 100 gives every session exactly once, in upstream order', async () => {
    for (let first = 1; first <= 100; first += 1) {
      const { ids, listCalls } = await gatewayWalk('primary', first);
      expect(ids, `first: ${first}`).toEqual(expected);
      // One ListSessions per page, plus at most one when a page starts mid-way through an upstream page.
      for (const calls of listCalls) expect(calls).toBeLessThanOrEqual(2);
    }
  }, 120_000);

  it('first: 100 walks cost exactly one ListSessions per page', async () => {
    const { listCalls } = await gatewayWalk('primary', 100);
    expect(listCalls.every((calls) => calls === 1)).toBe(true);
  });

  it('a state filter walks the filtered list', async () => {
    const idle = await sdkWalk('primary', 'IDLE');
    expect(idle.length).toBeGreaterThan(0);
    const { ids } = await gatewayWalk('primary', 7, 'IDLE');
    expect(ids).toEqual(idle);
  });

  it('hasNextPage is false on the last page of an exact multiple', async () => {
    const first = [...Array(100).keys()].map((n) => 100 - n).find((n) => expected.length % n === 0)!;
    const { ids, listCalls } = await gatewayWalk('primary', first);
    expect(ids).toEqual(expected);
    // No trailing empty page: the walk ends on the page that holds the last session.
    expect(listCalls).toHaveLength(expected.length / first);
  });

  it('a work group that does not exist gives an empty connection, and workGroup(name) null', async () => {
    const result = await stack.graphql(
      '{ sessions(workGroup: "no-such-group") { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } workGroup(name: "no-such-group") { name } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      sessions: {
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      },
      workGroup: null,
    });
  });

  it('global ids are stable across requests', async () => {
    const query =
      '{ sessions(workGroup: "primary", first: 3) { edges { node { id sessionId } } } workGroup(name: "primary") { id } }';
    const one = await stack.graphql(query);
    const two = await stack.graphql(query);
    expect(one.data).toEqual(two.data);
    const node = one.data!.sessions.edges[0].node;
    expect(Buffer.from(node.id, 'base64').toString()).toBe(`Session:${node.sessionId}`);
  });
});
