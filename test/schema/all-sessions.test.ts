// allSessions: walking the merged connection gives what a merge of direct SDK walks of each work
// group's ListSessions gives (newest first by startDateTime, ties to the first work group by name),
// and each page reads upstream only the work groups whose rows it needs.
import { ListSessionsCommand, type SessionState } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AthenaPort, ListSessionsInput } from '../../src/athena/port.js';
import { type Stack, startStack } from '../helpers.js';

const DEMO_GROUPS = ['analytics', 'ml-experiments', 'primary', 'sandbox'];

/** Every ListSessions the gateway sends, in order, so a test can tell which work groups a page read. */
function recording(reads: ListSessionsInput[]) {
  return (port: AthenaPort): AthenaPort => {
    const recorded = Object.create(port) as AthenaPort;
    recorded.listSessions = (input, options) => {
      reads.push(input);
      return port.listSessions(input, options);
    };
    return recorded;
  };
}

interface Row {
  sessionId: string;
  workGroup: string;
  start: number;
}

async function sdkWalk(stack: Stack, workGroup: string, state?: SessionState): Promise<Row[]> {
  const rows: Row[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.adapter.client.send(
      new ListSessionsCommand({ WorkGroup: workGroup, StateFilter: state, MaxResults: 100, NextToken: nextToken }),
    );
    rows.push(
      ...(page.Sessions ?? []).map((session) => ({
        sessionId: session.SessionId!,
        workGroup,
        start: session.Status!.StartDateTime!.getTime(),
      })),
    );
    nextToken = page.NextToken;
  } while (nextToken);
  return rows;
}

/** The k-way merge the connection promises, over whole lists. */
async function expectedMerge(stack: Stack, workGroups: string[], state?: SessionState): Promise<Row[]> {
  const lists = await Promise.all([...workGroups].sort().map((workGroup) => sdkWalk(stack, workGroup, state)));
  const heads = lists.map(() => 0);
  const merged: Row[] = [];
  for (;;) {
    let best = -1;
    lists.forEach((list, i) => {
      const head = list[heads[i]!];
      if (head !== undefined && (best < 0 || head.start > lists[best]![heads[best]!]!.start)) best = i;
    });
    if (best < 0) return merged;
    merged.push(lists[best]![heads[best]!]!);
    heads[best]! += 1;
  }
}

interface Page {
  allSessions: {
    edges: { cursor: string; node: { sessionId: string; workGroup: string; status: { startDateTime: string } } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const QUERY = `query($workGroups: [String!], $first: Int, $after: String, $state: SessionState) {
  allSessions(workGroups: $workGroups, first: $first, after: $after, state: $state) {
    edges { cursor node { sessionId workGroup status { startDateTime } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface WalkedPage {
  rows: { sessionId: string; workGroup: string }[];
  /** ListSessions upstream calls of this page (counted at the local service). */
  calls: number;
  /** The ListSessions the gateway sent for this page (cache hits included). */
  reads: ListSessionsInput[];
}

async function gatewayWalk(
  stack: Stack,
  reads: ListSessionsInput[],
  variables: { workGroups?: string[]; first: number; state?: string },
): Promise<WalkedPage[]> {
  const pages: WalkedPage[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 2_000; guard += 1) {
    stack.resetCalls();
    reads.length = 0;
    const result: Awaited<ReturnType<typeof stack.graphql<Page>>> = await stack.graphql<Page>(QUERY, {
      ...variables,
      after,
    });
    expect(result.errors).toBeUndefined();
    const { edges, pageInfo } = result.data!.allSessions;
    expect(pageInfo.hasPreviousPage).toBe(false);
    expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
    pages.push({
      rows: edges.map((edge) => ({ sessionId: edge.node.sessionId, workGroup: edge.node.workGroup })),
      calls: stack.calls().ListSessions ?? 0,
      reads: [...reads],
    });
    if (!pageInfo.hasNextPage) return pages;
    expect(edges.length).toBe(variables.first);
    after = pageInfo.endCursor;
  }
  throw new Error('walk did not end');
}

const idsOf = (pages: WalkedPage[]) => pages.flatMap((page) => page.rows.map((row) => row.sessionId));

describe('allSessions over the real SDK and the local service (cold: no cache)', () => {
  let stack: Stack;
  const reads: ListSessionsInput[] = [];
  let everything: Row[];

  beforeAll(async () => {
    stack = await startStack({ wrapAdapter: recording(reads) });
    everything = await expectedMerge(stack, DEMO_GROUPS);
    // More than three upstream pages of `primary` alone, and rows from every non-empty work group.
    expect(everything.length).toBeGreaterThan(300);
  });
  afterAll(() => stack.close());

  it.each([1, 3, 7, 20, 33, 100])(
    'first: %i walks every session of the named work groups once, newest first',
    async (first) => {
      const pages = await gatewayWalk(stack, reads, { workGroups: DEMO_GROUPS, first });
      expect(idsOf(pages)).toEqual(everything.map((row) => row.sessionId));
      expect(pages.flatMap((page) => page.rows)).toEqual(
        everything.map(({ sessionId, workGroup }) => ({ sessionId, workGroup })),
      );
    },
    60_000,
  );

  it('a state filter and a subset of work groups walk their own merge', async () => {
    const expected = await expectedMerge(stack, ['primary', 'ml-experiments'], 'IDLE');
    expect(expected.length).toBeGreaterThan(100);
    const pages = await gatewayWalk(stack, reads, {
      workGroups: ['primary', 'ml-experiments'],
      first: 13,
      state: 'IDLE',
    });
    expect(idsOf(pages)).toEqual(expected.map((row) => row.sessionId));
  }, 30_000);

  it('the order of the names and repeated names change nothing', async () => {
    const a = await gatewayWalk(stack, reads, {
      workGroups: ['sandbox', 'primary', 'analytics', 'primary'],
      first: 50,
    });
    const b = await gatewayWalk(stack, reads, { workGroups: ['analytics', 'primary', 'sandbox'], first: 50 });
    expect(idsOf(a)).toEqual(idsOf(b));
  }, 30_000);

  it('first: 20 over k work groups costs at most k ListSessions for the first page', async () => {
    for (const workGroups of [DEMO_GROUPS, ['primary', 'analytics'], ['primary']]) {
      stack.resetCalls();
      const result = await stack.graphql<Page>(QUERY, { workGroups, first: 20 });
      expect(result.errors).toBeUndefined();
      expect(result.data!.allSessions.edges).toHaveLength(20);
      expect(stack.calls()).toEqual({ ListSessions: workGroups.length });
    }
  });

  it('a later page reads only work groups it takes rows from, or whose buffered rows ran out', async () => {
    const pages = await gatewayWalk(stack, reads, { workGroups: DEMO_GROUPS, first: 20 });
    expect(pages.length).toBeGreaterThan(10);
    const seenPages = new Set<string>();
    for (const [n, page] of pages.entries()) {
      const contributing = new Set(page.rows.map((row) => row.workGroup));
      for (const read of page.reads) {
        const key = `${read.workGroup} ${read.nextToken ?? ''}`;
        // Either a page not read before (the rows before it ran out), or the page this page takes rows from.
        if (n > 0 && seenPages.has(key))
          expect(contributing, `page ${n} re-read ${read.workGroup}`).toContain(read.workGroup);
        seenPages.add(key);
      }
      expect(page.calls).toBe(page.reads.length);
      expect(page.calls).toBeLessThanOrEqual(DEMO_GROUPS.length);
    }
    // Work groups whose rows are all older than this page's are not read at all: `sandbox` (no sessions)
    // ends on the first page, and most later pages read one or two work groups, not four.
    expect(pages.slice(1).every((page) => page.reads.every((read) => read.workGroup !== 'sandbox'))).toBe(true);
    expect(pages.slice(1).filter((page) => page.calls < DEMO_GROUPS.length).length).toBeGreaterThan(pages.length / 2);
  }, 30_000);

  it('a named work group that does not exist is left out, with no error', async () => {
    const expected = await expectedMerge(stack, ['analytics']);
    const pages = await gatewayWalk(stack, reads, { workGroups: ['no-such-group', 'analytics'], first: 100 });
    expect(idsOf(pages)).toEqual(expected.map((row) => row.sessionId));
  });

  it('first: 0 answers hasNextPage from the first pages, with no edges', async () => {
    const some = await stack.graphql<Page>(QUERY, { workGroups: ['primary', 'sandbox'], first: 0 });
    expect(some.data!.allSessions).toMatchObject({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    const none = await stack.graphql<Page>(QUERY, { workGroups: ['sandbox', 'no-such-group'], first: 0 });
    expect(none.data!.allSessions).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    const empty = await stack.graphql<Page>(QUERY, { workGroups: [], first: 10 });
    expect(empty.data!.allSessions).toMatchObject({ edges: [], pageInfo: { hasNextPage: false } });
  });

  it('arguments are checked before any call', async () => {
    const first = await stack.graphql<Page>(QUERY, { workGroups: ['primary', 'analytics'], first: 5 });
    const cursor = first.data!.allSessions.pageInfo.endCursor!;
    const sessionsCursor = (
      await stack.graphql('{ sessions(workGroup: "primary", first: 1) { pageInfo { endCursor } } }')
    ).data!.sessions.pageInfo.endCursor;
    const cases: [string, Record<string, unknown>][] = [
      ['21 names', { workGroups: Array.from({ length: 21 }, (_, i) => `wg${i}`), first: 5 }],
      ['a bad name', { workGroups: ['primary', 'bad name'], first: 5 }],
      ['first: 101', { workGroups: ['primary'], first: 101 }],
      ['first: -1', { workGroups: ['primary'], first: -1 }],
      ['a cursor of other work groups', { workGroups: ['primary'], first: 5, after: cursor }],
      ['a cursor of another state', { workGroups: ['primary', 'analytics'], state: 'IDLE', first: 5, after: cursor }],
      ['a cursor of the default list', { first: 5, after: cursor }],
      ['a sessions cursor', { workGroups: ['primary'], first: 5, after: sessionsCursor }],
      [
        'a forged cursor',
        { workGroups: ['primary', 'analytics'], first: 5, after: `${cursor.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA` },
      ],
      ['garbage', { workGroups: ['primary'], first: 5, after: 'x'.repeat(70_000) }],
    ];
    for (const [name, variables] of cases) {
      stack.resetCalls();
      const result = await stack.graphql(QUERY, variables);
      expect(result.errors?.[0]?.extensions?.code, name).toBe('BAD_USER_INPUT');
      expect(stack.calls(), name).toEqual({});
    }
    // And an allSessions cursor is no sessions cursor.
    const misuse = await stack.graphql(`{ sessions(workGroup: "primary", after: "${cursor}") { edges { cursor } } }`);
    expect(misuse.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('allSessions with the list cache (CACHE_TTL_MS) holding the buffered rows', () => {
  let stack: Stack;
  const reads: ListSessionsInput[] = [];

  beforeAll(async () => {
    stack = await startStack({ wrapAdapter: recording(reads), config: { cacheTtlMs: 600_000 } });
  });
  afterAll(() => stack.close());

  it('a whole walk reads each upstream page once: later pages cost only the work groups whose buffered rows ran out', async () => {
    const total = (await Promise.all(DEMO_GROUPS.map((workGroup) => sdkWalk(stack, workGroup)))).reduce(
      (sum, rows) => sum + rows.length,
      0,
    );
    stack.resetCalls();
    const pages = await gatewayWalk(stack, reads, { workGroups: DEMO_GROUPS, first: 20 });
    expect(pages[0]!.calls).toBe(DEMO_GROUPS.length);
    // No upstream page is read twice, and each read asks for no more rows than its page still needed.
    const all = pages.flatMap((page) => page.reads);
    expect(new Set(all.map((read) => `${read.workGroup} ${read.nextToken ?? ''}`)).size).toBe(all.length);
    expect(all.every((read) => (read.maxResults ?? 100) <= 20)).toBe(true);
    expect(pages.reduce((sum, page) => sum + page.calls, 0)).toBe(all.length);
    expect(pages.flatMap((page) => page.rows)).toHaveLength(total);
  }, 30_000);
});
