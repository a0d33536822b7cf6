// Calculations and the Spark Connect endpoint through the real SDK against the local service:
// the contract's call-table rows, paging, the mutations, the entry points and their error codes.
// The local service runs on a ManualClock: a calculation completes when the test moves time.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type Stack, startStack } from '../helpers.js';

const CREATING_MS = 50;
const QUEUED_MS = 100;
const RUNNING_MS = 1_000;
const clock = new ManualClock(Date.now());
const VIEWERS: Record<string, Viewer> = {
  'Bearer all': {
    subject: 'all',
    scopes: new Set(['sessions:read', 'sessions:write', 'sessions:connect']),
    workGroups: '*',
  },
  'Bearer reader': { subject: 'reader', scopes: new Set(['sessions:read']), workGroups: '*' },
  'Bearer other-team': {
    subject: 'other',
    scopes: new Set(['sessions:read', 'sessions:write', 'sessions:connect']),
    workGroups: new Set(['sandbox']),
  },
};

let stack: Stack;
/** IDLE sessions of `analytics` (PySpark engine version 3) and `ml-experiments` (Spark 3.5). */
let pyspark: string[];
let spark35: string[];

const as = (who: keyof typeof VIEWERS) => ({ authorization: `Bearer ${who}` });
const gql = (query: string, variables?: Record<string, unknown>, who: keyof typeof VIEWERS = 'all') =>
  stack.graphql(query, variables, as(who));

beforeAll(async () => {
  stack = await startStack({
    athena: {
      clock,
      timings: { calculationCreatingMs: CREATING_MS, calculationQueuedMs: QUEUED_MS, calculationMs: RUNNING_MS },
    },
    // The cross-request cache on, as `serve` runs it, on the local service's clock.
    now: () => clock.now(),
    config: { cacheTtlMs: 60_000 },
    gateway: {
      viewerFor: (request) => VIEWERS[request.headers.get('authorization') ?? 'Bearer all'] ?? VIEWERS['Bearer all']!,
    },
  });
  const idle = async (workGroup: string) => {
    const result = await gql(
      `{ sessions(workGroup: "${workGroup}", state: IDLE, first: 10) { edges { node { sessionId } } } }`,
    );
    return result.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId) as string[];
  };
  pyspark = await idle('analytics');
  spark35 = await idle('ml-experiments');
  expect(pyspark.length).toBeGreaterThan(4);
  expect(spark35.length).toBeGreaterThan(0);
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.restartGateway();
  stack.resetCalls();
});

const take = (list: string[]) => {
  const id = list.shift();
  if (id === undefined) throw new Error('ran out of idle demo sessions');
  return id;
};

async function start(sessionId: string, code = 'print(1)', description?: string): Promise<string> {
  const result = await gql(
    'mutation($input: StartCalculationInput!) { startCalculation(input: $input) { calculation { calculationId } } }',
    { input: { sessionId, codeBlock: code, description } },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.startCalculation.calculation.calculationId;
}

/** Runs a calculation to completion: the session is IDLE again afterwards. */
async function run(sessionId: string, code = 'print(1)', description?: string): Promise<string> {
  const id = await start(sessionId, code, description);
  clock.advance(CREATING_MS + QUEUED_MS + RUNNING_MS);
  return id;
}

describe('the call table', () => {
  let sessionId: string;
  let calculationId: string;
  beforeAll(async () => {
    sessionId = take(pyspark);
    await run(sessionId, 'spark.range(10).count()', 'first');
    calculationId = await run(sessionId, 'print("hello")', 'second');
  });

  it("session { calculations(first: n) { calculationId description status } } costs the session's call plus one ListCalculationExecutions", async () => {
    const result = await gql(`{ session(sessionId: "${sessionId}") { sessionId calculations(first: 100) {
      edges { cursor node { id calculationId description status { state submissionDateTime completionDateTime } } }
      pageInfo { hasNextPage endCursor } } } }`);
    expect(result.errors).toBeUndefined();
    const edges = result.data!.session.calculations.edges;
    // Newest first (the demo seed may have run older ones in this session).
    expect(edges.slice(0, 2).map((edge: any) => edge.node.description)).toEqual(['second', 'first']);
    expect(edges[0].node.status.state).toBe('COMPLETED');
    expect(result.data!.session.calculations.pageInfo.hasNextPage).toBe(edges.length === 100);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1, ListCalculationExecutions: 1 });
  });

  it('calculation { status } costs one GetCalculationExecutionStatus, statistics included', async () => {
    const result = await gql(
      `{ calculation(calculationId: "${calculationId}") { id calculationId status { state stateChangeReason } statistics { dpuExecutionInMillis progress } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.calculation).toMatchObject({ calculationId, status: { state: 'COMPLETED' } });
    expect(result.data!.calculation.id).toBe(Buffer.from(`Calculation:${calculationId}`).toString('base64'));
    expect(stack.calls()).toEqual({ GetCalculationExecutionStatus: 1 });
  });

  it('calculation with details costs one GetCalculationExecution', async () => {
    const result = await gql(`{ calculation(calculationId: "${calculationId}") {
      description status { state } statistics { dpuExecutionInMillis } result { stdOutS3Uri resultType } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.calculation.description).toBe('second');
    expect(stack.calls()).toEqual({ GetCalculationExecution: 1 });
  });

  it('code adds one GetCalculationExecutionCode, and alone costs nothing else', async () => {
    const both = await gql(`{ calculation(calculationId: "${calculationId}") { description code } }`);
    expect(both.errors).toBeUndefined();
    expect(both.data!.calculation.code).toBe('print("hello")');
    expect(stack.calls()).toEqual({ GetCalculationExecution: 1, GetCalculationExecutionCode: 1 });
    stack.restartGateway();
    stack.resetCalls();
    const alone = await gql(`{ calculation(calculationId: "${calculationId}") { calculationId code } }`);
    expect(alone.data!.calculation.code).toBe('print("hello")');
    expect(stack.calls()).toEqual({ GetCalculationExecutionCode: 1 });
  });

  it('the same calculation named several times (aliases, node, nodes, _entities) costs one call', async () => {
    const globalId = Buffer.from(`Calculation:${calculationId}`).toString('base64');
    const result = await gql(`{
      a: calculation(calculationId: "${calculationId}") { status { state } }
      b: calculation(calculationId: "${calculationId}") { description }
      c: node(id: "${globalId}") { id ... on Calculation { result { resultType } } }
      d: nodes(ids: ["${globalId}"]) { ... on Calculation { statistics { progress } } }
      e: _entities(representations: [{ __typename: "Calculation", calculationId: "${calculationId}" }]) { ... on Calculation { description } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.c.id).toBe(globalId);
    expect(result.data!.e[0].description).toBe('second');
    expect(stack.calls()).toEqual({ GetCalculationExecution: 1 });
  });

  it('Calculation.session resolves the session it runs in', async () => {
    const result = await gql(`{ calculation(calculationId: "${calculationId}") { session { sessionId workGroup } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.calculation.session).toEqual({ sessionId, workGroup: 'analytics' });
    expect(stack.calls()).toEqual({ GetCalculationExecution: 1, GetSession: 1 });
  });

  it('a missing calculation is null with no error', async () => {
    const result = await gql(
      '{ calculation(calculationId: "00000000-0000-4000-8000-000000000000") { status { state } } }',
    );
    expect(result).toMatchObject({ data: { calculation: null } });
    expect(result.errors).toBeUndefined();
  });
});

describe('paging', () => {
  let sessionId: string;
  let newestFirst: string[];
  beforeAll(async () => {
    sessionId = take(pyspark);
    const ids: string[] = [];
    // More than one upstream page (100), so GraphQL pages span upstream pages.
    for (let index = 0; index < 103; index += 1) ids.push(await run(sessionId, `print(${index})`, `run ${index}`));
    newestFirst = ids.reverse();
  }, 120_000);

  it.each([1, 7, 40, 100])('walking first: %i yields every calculation once, newest first', async (first) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 200; pages += 1) {
      const result: any = await gql(
        `query($after: String) { session(sessionId: "${sessionId}") { calculations(first: ${first}, after: $after) { edges { node { calculationId } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`,
        { after },
      );
      expect(result.errors).toBeUndefined();
      const connection = result.data.session.calculations;
      expect(connection.pageInfo.hasPreviousPage).toBe(false);
      seen.push(...connection.edges.map((edge: any) => edge.node.calculationId));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    // Every calculation once, newest first (any the demo seed ran in this session come after).
    expect(seen.slice(0, newestFirst.length)).toEqual(newestFirst);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by state', async () => {
    const result = await gql(
      `{ session(sessionId: "${sessionId}") { running: calculations(state: RUNNING) { edges { node { calculationId } } } completed: calculations(state: COMPLETED, first: 3) { edges { node { status { state } } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.session.running.edges).toEqual([]);
    expect(result.data!.session.completed.edges.map((edge: any) => edge.node.status.state)).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
  });

  it('refuses a cursor of another session, of another state filter, or of sessions', async () => {
    const page = await gql(
      `{ session(sessionId: "${sessionId}") { calculations(first: 1) { pageInfo { endCursor } } } }`,
    );
    const cursor = page.data!.session.calculations.pageInfo.endCursor as string;
    const sessionsPage = await gql('{ sessions(workGroup: "analytics", first: 1) { pageInfo { endCursor } } }');
    const sessionCursor = sessionsPage.data!.sessions.pageInfo.endCursor as string;
    const other = pyspark[0]!;
    for (const [target, state, after] of [
      [other, null, cursor],
      [sessionId, 'COMPLETED', cursor],
      [sessionId, null, sessionCursor],
    ] as const) {
      const result = await gql(
        `query($after: String, $state: CalculationState) { session(sessionId: "${target}") { calculations(after: $after, state: $state) { edges { cursor } } } }`,
        { after, state },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // And a calculation cursor is no session cursor either.
    const result = await gql(
      'query($after: String) { sessions(workGroup: "analytics", after: $after) { edges { cursor } } }',
      { after: cursor },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('startCalculation and stopCalculation', () => {
  it('startCalculation costs one StartCalculationExecution; its payload comes from the answer and the input', async () => {
    const sessionId = take(pyspark);
    const result = await gql(
      `mutation { startCalculation(input: { sessionId: "${sessionId}", codeBlock: "print(2)", description: "budget", clientMutationId: "m1" }) {
        clientMutationId calculation { id calculationId description status { state } } } }`,
    );
    expect(result.errors).toBeUndefined();
    const payload = result.data!.startCalculation;
    expect(payload.clientMutationId).toBe('m1');
    expect(payload.calculation.description).toBe('budget');
    expect(payload.calculation.status.state).toMatch(/^(CREATING|CREATED|QUEUED|RUNNING)$/);
    expect(stack.calls()).toEqual({ StartCalculationExecution: 1 });

    // The session is busy now: the next status read is not an old cached IDLE.
    const session = await gql(`{ session(sessionId: "${sessionId}") { status { state } } }`);
    expect(session.data!.session.status.state).toBe('BUSY');

    stack.resetCalls();
    const stop = await gql(
      `mutation { stopCalculation(input: { calculationId: "${payload.calculation.calculationId}", clientMutationId: "m2" }) { clientMutationId state } }`,
    );
    expect(stop.errors).toBeUndefined();
    expect(stop.data!.stopCalculation.clientMutationId).toBe('m2');
    expect(stop.data!.stopCalculation.state).toMatch(/^(CANCELING|CANCELED)$/);
    expect(stack.calls()).toEqual({ StopCalculationExecution: 1 });

    const after = await gql(
      `{ calculation(calculationId: "${payload.calculation.calculationId}") { status { state } } }`,
    );
    expect(after.data!.calculation.status.state).toMatch(/^(CANCELING|CANCELED)$/);
  });

  it('a retried start with the same clientRequestToken runs the code once', async () => {
    const sessionId = take(pyspark);
    const input = { sessionId, codeBlock: 'print(3)', clientRequestToken: 'a'.repeat(32) };
    const mutation =
      'mutation($input: StartCalculationInput!) { startCalculation(input: $input) { calculation { calculationId } } }';
    const first = await gql(mutation, { input });
    const second = await gql(mutation, { input });
    expect(second.data!.startCalculation.calculation.calculationId).toBe(
      first.data!.startCalculation.calculation.calculationId,
    );
  });

  it('stopping a finished calculation succeeds and has no effect', async () => {
    const id = await run(take(pyspark));
    const result = await gql(
      `mutation { stopCalculation(input: { calculationId: "${id}" }) { state calculation { status { state } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.stopCalculation.state).toBe('COMPLETED');
    expect(result.data!.stopCalculation.calculation.status.state).toBe('COMPLETED');
  });

  it('a missing session or calculation is NOT_FOUND', async () => {
    const start = await gql(
      'mutation { startCalculation(input: { sessionId: "no-such-session", codeBlock: "1" }) { calculation { calculationId } } }',
    );
    expect(start.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const stop = await gql(
      'mutation { stopCalculation(input: { calculationId: "00000000-0000-4000-8000-000000000000" }) { state } }',
    );
    expect(stop.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it("a start on a Spark 3.5 session is BAD_USER_INPUT with Athena's reason", async () => {
    const result = await gql(
      `mutation { startCalculation(input: { sessionId: "${spark35[0]}", codeBlock: "print(1)" }) { calculation { calculationId } } }`,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^Athena refused the calculation: \S/);
    expect(stack.calls()).toEqual({ StartCalculationExecution: 1 });
  });

  it('needs sessions:write', async () => {
    const result = await gql(
      `mutation { startCalculation(input: { sessionId: "${pyspark[0]}", codeBlock: "1" }) { calculation { calculationId } } }`,
      {},
      'reader',
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const stop = await gql('mutation { stopCalculation(input: { calculationId: "x" }) { state } }', {}, 'reader');
    expect(stop.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stack.calls()).toEqual({});
  });
});

describe('Session.endpoint', () => {
  it("on a Spark 3.5 session costs the session's call plus one GetSessionEndpoint, in every request (never cached)", async () => {
    const query = `{ session(sessionId: "${spark35[0]}") { status { state } endpoint { url authToken authTokenExpiresAt } } }`;
    const first = await gql(query);
    expect(first.errors).toBeUndefined();
    expect(first.data!.session.endpoint.url).toMatch(/^https?:\/\//);
    expect(first.data!.session.endpoint.authToken.length).toBeGreaterThan(0);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1, GetSessionEndpoint: 1 });
    const second = await gql(query);
    expect(second.errors).toBeUndefined();
    // The status came from the cache the second time; the endpoint did not.
    expect(stack.calls()).toEqual({ GetSessionStatus: 1, GetSessionEndpoint: 2 });
  });

  it('is null with no error on a PySpark engine version 3 session', async () => {
    const result = await gql(`{ session(sessionId: "${pyspark[0]}") { sessionId endpoint { url } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.session).toEqual({ sessionId: pyspark[0], endpoint: null });
  });

  it('is FORBIDDEN at the field without sessions:connect, and the rest of the session still answers, with no upstream call for it', async () => {
    const result = await gql(
      `{ session(sessionId: "${spark35[0]}") { sessionId endpoint { url authToken } } }`,
      {},
      'reader',
    );
    expect(result.data!.session).toEqual({ sessionId: spark35[0], endpoint: null });
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ['session', 'endpoint'],
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });
});

describe("work groups outside the caller's claim", () => {
  it('hide their calculations: null for queries, NOT_FOUND for mutations, at the cost of learning the work group', async () => {
    const sessionId = take(pyspark);
    const id = await run(sessionId);
    stack.restartGateway();
    stack.resetCalls();
    const query = await gql(`{ calculation(calculationId: "${id}") { status { state } } }`, {}, 'other-team');
    expect(query.errors).toBeUndefined();
    expect(query.data).toEqual({ calculation: null });
    expect(stack.calls()).toEqual({ GetCalculationExecution: 1, GetSession: 1 });

    const stop = await gql(
      `mutation { stopCalculation(input: { calculationId: "${id}" }) { state } }`,
      {},
      'other-team',
    );
    expect(stop.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const start = await gql(
      `mutation { startCalculation(input: { sessionId: "${sessionId}", codeBlock: "1" }) { calculation { calculationId } } }`,
      {},
      'other-team',
    );
    expect(start.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(stack.calls().StopCalculationExecution ?? 0).toBe(0);
    expect(stack.calls().StartCalculationExecution ?? 0).toBe(0);
  });
});
