// workGroups, WorkGroup's own fields and allSessions over every visible work group, through the
// real SDK against the local service: what a direct SDK walk of ListWorkGroups gives, minus the SQL
// work groups, with the contract's upstream calls.
import { GetWorkGroupCommand, ListWorkGroupsCommand, type WorkGroupSummary } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

/** Athena's Spark engine names; every other engine version is SQL. */
const SPARK = new Set(['PySpark engine version 3', 'Apache Spark version 3.5']);
const isSpark = (row: WorkGroupSummary) =>
  SPARK.has(row.EngineVersion?.EffectiveEngineVersion ?? row.EngineVersion?.SelectedEngineVersion ?? '');

const FIELDS =
  'id name state description creationDateTime engineVersion { selectedEngineVersion effectiveEngineVersion }';

async function sdkWorkGroups(stack: Stack): Promise<WorkGroupSummary[]> {
  const rows: WorkGroupSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.adapter.client.send(new ListWorkGroupsCommand({ MaxResults: 50, NextToken: nextToken }));
    rows.push(...(page.WorkGroups ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return rows;
}

/** What the gateway answers for one listed work group. */
const asNode = (row: WorkGroupSummary) => ({
  id: Buffer.from(`WorkGroup:${row.Name}`).toString('base64'),
  name: row.Name,
  state: row.State ?? null,
  description: row.Description ?? null,
  creationDateTime: row.CreationTime?.toISOString() ?? null,
  engineVersion: row.EngineVersion
    ? {
        selectedEngineVersion: row.EngineVersion.SelectedEngineVersion ?? null,
        effectiveEngineVersion: row.EngineVersion.EffectiveEngineVersion ?? null,
      }
    : null,
});

interface Page {
  workGroups: {
    edges: { cursor: string; node: ReturnType<typeof asNode> }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

async function walk(stack: Stack, first: number) {
  const nodes: ReturnType<typeof asNode>[] = [];
  const calls: Record<string, number>[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 500; guard += 1) {
    stack.resetCalls();
    const result: Awaited<ReturnType<typeof stack.graphql<Page>>> = await stack.graphql<Page>(
      `query($first: Int, $after: String) { workGroups(first: $first, after: $after) { edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`,
      { first, after },
    );
    expect(result.errors).toBeUndefined();
    const { edges, pageInfo } = result.data!.workGroups;
    calls.push(stack.calls());
    expect(pageInfo.hasPreviousPage).toBe(false);
    nodes.push(...edges.map((edge) => edge.node));
    if (!pageInfo.hasNextPage) return { nodes, calls };
    after = pageInfo.endCursor;
  }
  throw new Error('walk did not end');
}

describe('the demo work groups', () => {
  let stack: Stack;
  let rows: WorkGroupSummary[];
  let sql: string;
  let spark: string[];

  beforeAll(async () => {
    stack = await startStack();
    rows = await sdkWorkGroups(stack);
    spark = rows.filter(isSpark).map((row) => row.Name!);
    sql = rows.find((row) => !isSpark(row))!.Name!;
    // The demo has a SQL work group beside the Spark ones, so leaving it out is tested.
    expect(sql).toEqual(expect.any(String));
    expect(spark).toEqual(expect.arrayContaining(['primary', 'analytics', 'ml-experiments', 'sandbox']));
  });
  afterAll(() => stack.close());

  it.each([1, 2, 3, 20, 100])(
    "first: %i walks the Spark work groups once, in list order, with the list rows' fields",
    async (first) => {
      const { nodes } = await walk(stack, first);
      expect(nodes).toEqual(rows.filter(isSpark).map(asNode));
    },
  );

  it.each([1, 20, 50, 100])('workGroups(first: %i) with every field costs one ListWorkGroups', async (first) => {
    const { calls } = await walk(stack, first);
    expect(calls[0]).toEqual({ ListWorkGroups: 1 });
  });

  it('workGroup(name) with its own fields costs one GetWorkGroup and answers what the list row says', async () => {
    stack.resetCalls();
    const result = await stack.graphql(`{ workGroup(name: "primary") { ${FIELDS} } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.workGroup).toEqual(asNode(rows.find((row) => row.Name === 'primary')!));
    expect(stack.calls()).toEqual({ GetWorkGroup: 1 });
  });

  it('workGroup(name) with its fields and sessions costs GetWorkGroup and ListSessions, once each', async () => {
    stack.resetCalls();
    const result = await stack.graphql(
      '{ a: workGroup(name: "analytics") { state sessions(first: 5) { edges { node { sessionId } } } } b: workGroup(name: "analytics") { description } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.a.sessions.edges).toHaveLength(5);
    expect(stack.calls()).toEqual({ GetWorkGroup: 1, ListSessions: 1 });
  });

  it('the engine version of a work group is what GetWorkGroup reports in its configuration', async () => {
    const direct = await stack.adapter.client.send(new GetWorkGroupCommand({ WorkGroup: 'primary' }));
    const result = await stack.graphql(
      '{ workGroup(name: "primary") { engineVersion { selectedEngineVersion effectiveEngineVersion } } }',
    );
    expect(result.data!.workGroup.engineVersion).toEqual({
      selectedEngineVersion: direct.WorkGroup!.Configuration!.EngineVersion!.SelectedEngineVersion,
      effectiveEngineVersion: direct.WorkGroup!.Configuration!.EngineVersion!.EffectiveEngineVersion,
    });
  });

  it('an empty Spark work group exists: its empty first ListSessions page is checked with GetWorkGroup', async () => {
    stack.resetCalls();
    const result = await stack.graphql('{ workGroup(name: "sandbox") { name sessions { edges { cursor } } } }');
    expect(result.data).toEqual({ workGroup: { name: 'sandbox', sessions: { edges: [] } } });
    expect(stack.calls()).toEqual({ ListSessions: 1, GetWorkGroup: 1 });
  });

  it('a SQL work group is no work group here: null, as a missing one, whatever is selected', async () => {
    for (const selection of ['name state', 'name', 'id sessions { edges { cursor } }']) {
      for (const name of [sql, 'no-such-work-group']) {
        const result = await stack.graphql(`{ workGroup(name: "${name}") { ${selection} } }`);
        expect(result.errors, `${name} { ${selection} }`).toBeUndefined();
        expect(result.data!.workGroup, `${name} { ${selection} }`).toBeNull();
      }
    }
    const byId = await stack.graphql(
      `{ node(id: "${Buffer.from(`WorkGroup:${sql}`).toString('base64')}") { id ... on WorkGroup { state } } }`,
    );
    expect(byId.data!.node).toBeNull();
  });

  it('allSessions without workGroups merges every Spark work group: ListWorkGroups, then one ListSessions each', async () => {
    stack.resetCalls();
    const result = await stack.graphql(
      '{ allSessions(first: 30) { edges { node { sessionId workGroup status { startDateTime } } } pageInfo { hasNextPage } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ ListWorkGroups: 1, ListSessions: spark.length });
    const named = await stack.graphql(
      `query($names: [String!]) { allSessions(workGroups: $names, first: 30) { edges { node { sessionId workGroup status { startDateTime } } } pageInfo { hasNextPage } } }`,
      {
        names: spark,
      },
    );
    expect(result.data).toEqual(named.data);
  });

  it('allSessions naming a SQL work group leaves it out, with no error', async () => {
    const result = await stack.graphql(
      `{ allSessions(workGroups: ["${sql}", "ml-experiments"], first: 100) { edges { node { workGroup } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(
      new Set(result.data!.allSessions.edges.map((edge: { node: { workGroup: string } }) => edge.node.workGroup)),
    ).toEqual(new Set(['ml-experiments']));
  });
});

describe('work groups over several upstream pages', () => {
  let stack: Stack;
  let rows: WorkGroupSummary[];

  beforeAll(async () => {
    stack = await startStack({ athena: { seed: 'none' } });
    // 130 work groups, every third a SQL one: three ListWorkGroups pages, with SQL rows in each.
    for (let i = 0; i < 130; i += 1) {
      stack.athena.store.createWorkGroup(`wg-${String(i).padStart(3, '0')}`, {
        engineVersion: i % 3 === 0 ? 'Athena engine version 3' : 'PySpark engine version 3',
      });
    }
    rows = await sdkWorkGroups(stack);
    expect(rows.length).toBeGreaterThanOrEqual(130);
  });
  afterAll(() => stack.close());

  it.each([1, 7, 50, 100])(
    'first: %i fills its pages across upstream pages and walks every Spark work group once',
    async (first) => {
      const { nodes, calls } = await walk(stack, first);
      expect(nodes.map((node) => node.name)).toEqual(rows.filter(isSpark).map((row) => row.Name));
      // A page costs the upstream pages its rows span: ceil(n/50) when every row is visible, a few more when some are not.
      for (const pageCalls of calls) expect(pageCalls.ListWorkGroups).toBeLessThanOrEqual(Math.ceil(first / 50) + 2);
    },
  );

  it('allSessions without workGroups refuses to merge more than 20, asking to name them', async () => {
    const result = await stack.graphql('{ allSessions(first: 5) { edges { cursor } } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/name at most 20/);
  });
});

describe('with the cache', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { cacheTtlMs: 600_000 } });
  });
  afterAll(() => stack.close());

  it('a work-group page and a GetWorkGroup answer are served again within CACHE_TTL_MS', async () => {
    for (let i = 0; i < 3; i += 1) {
      const list = await stack.graphql('{ workGroups(first: 10) { edges { node { name state } } } }');
      expect(list.errors).toBeUndefined();
      const one = await stack.graphql('{ workGroup(name: "primary") { state description } }');
      expect(one.data!.workGroup.state).toBe('ENABLED');
    }
    expect(stack.calls()).toEqual({ ListWorkGroups: 1, GetWorkGroup: 1 });
  });
});
