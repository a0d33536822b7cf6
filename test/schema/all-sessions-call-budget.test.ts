// allSessions' call budget with no cache at all (CACHE_TTL_MS=0): the first page costs one
// ListSessions per work group, and a later page costs exactly one per work group whose buffered
// rows ran out (issue 13), because the end cursor carries the rows read but not yet served. The
// expected count of every page comes from a model of the merge over plain arrays (the direct SDK
// walks), and the walk itself must equal the merge of those walks.
import { ListSessionsCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALL_SESSIONS_CURSOR_LENGTH } from '../../src/security/limits.js';
import { type GraphQLResponse, type Stack, startStack } from '../helpers.js';

interface Row {
  sessionId: string;
  start: number;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ config: { cacheTtlMs: 0 } });
});
afterAll(() => stack.close());

async function sdkWalk(workGroup: string): Promise<Row[]> {
  const rows: Row[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.adapter.client.send(
      new ListSessionsCommand({ WorkGroup: workGroup, MaxResults: 100, NextToken: nextToken }),
    );
    for (const session of page.Sessions ?? [])
      rows.push({ sessionId: session.SessionId!, start: session.Status!.StartDateTime!.getTime() });
    nextToken = page.NextToken;
  } while (nextToken);
  return rows;
}

interface ModelPage {
  ids: string[];
  calls: number;
}

/**
 * The pages the connection promises, and what each may cost: a work group is read when its next
 * row is not known (first page, or its buffered rows ran out while the upstream has more), for as
 * many rows as the page still needs; nothing already read is read again.
 */
function model(lists: Row[][], first: number): ModelPage[] {
  const lanes = lists.map((list) => ({ list, fetched: 0, buffer: [] as Row[], read: false }));
  const more = (lane: (typeof lanes)[number]) => !lane.read || lane.fetched < lane.list.length;
  const pages: ModelPage[] = [];
  for (;;) {
    const page: ModelPage = { ids: [], calls: 0 };
    while (page.ids.length < first) {
      for (const lane of lanes) {
        if (lane.buffer.length > 0 || !more(lane)) continue;
        page.calls += 1;
        const size = first - page.ids.length;
        lane.buffer = lane.list.slice(lane.fetched, lane.fetched + size);
        lane.fetched += lane.buffer.length;
        lane.read = true;
      }
      let newest: (typeof lanes)[number] | undefined;
      for (const lane of lanes) {
        const head = lane.buffer[0];
        if (head !== undefined && (newest === undefined || head.start > newest.buffer[0]!.start)) newest = lane;
      }
      if (newest === undefined) break;
      page.ids.push(newest.buffer.shift()!.sessionId);
    }
    pages.push(page);
    if (!lanes.some((lane) => lane.buffer.length > 0 || more(lane))) return pages;
  }
}

const QUERY = `query($workGroups: [String!], $first: Int, $after: String) {
  allSessions(workGroups: $workGroups, first: $first, after: $after) {
    edges { cursor node { sessionId } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('allSessions with CACHE_TTL_MS=0 costs exactly the upstream pages it needs', () => {
  const cases = [
    ['analytics', 'primary', 'sandbox'],
    ['analytics', 'legacy-etl', 'ml-experiments', 'primary', 'sandbox'],
  ].flatMap((workGroups) => [1, 3, 7, 20].map((first) => [workGroups, first] as const));

  it.each(cases)(
    'over %j with first: %i, every page costs what the model says, and the walk is the merge',
    async (workGroups, first) => {
      const lists = await Promise.all([...workGroups].sort().map(sdkWalk));
      const expected = model(lists, first);
      // Enough rows that pages span upstream reads and buffers carry over.
      expect(expected.length).toBeGreaterThan(5);
      let after: string | null = null;
      const walked: ModelPage[] = [];
      for (let n = 0; n <= expected.length; n += 1) {
        stack.resetCalls();
        const result: GraphQLResponse = await stack.graphql(QUERY, {
          workGroups,
          first,
          after,
        });
        expect(result.errors).toBeUndefined();
        const { edges, pageInfo } = result.data!.allSessions;
        const calls = stack.calls();
        expect(Object.keys(calls).filter((operation) => operation !== 'ListSessions')).toEqual([]);
        walked.push({
          ids: edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId),
          calls: calls.ListSessions ?? 0,
        });
        if (pageInfo.endCursor !== null)
          expect(pageInfo.endCursor.length).toBeLessThanOrEqual(MAX_ALL_SESSIONS_CURSOR_LENGTH);
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
      }
      // Page by page: the same rows and exactly the same ListSessions count.
      expect(walked).toEqual(expected);
      expect(walked[0]!.calls).toBe(workGroups.length);
    },
    60_000,
  );

  it('resuming from an edge other than the last reads the page it stopped in again, once, and lands right', async () => {
    const workGroups = ['analytics', 'primary'];
    const lists = await Promise.all(workGroups.map(sdkWalk));
    const merged = model(lists, 1_000)[0]!.ids;
    const page = await stack.graphql<Record<string, any>>(QUERY, { workGroups, first: 10 });
    const middle = page.data!.allSessions.edges[4].cursor as string;
    stack.resetCalls();
    const resumed = await stack.graphql<Record<string, any>>(QUERY, { workGroups, first: 5, after: middle });
    expect(resumed.errors).toBeUndefined();
    expect(resumed.data!.allSessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId)).toEqual(
      merged.slice(5, 10),
    );
    expect(stack.calls().ListSessions).toBeLessThanOrEqual(workGroups.length);
  });
});
