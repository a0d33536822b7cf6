// Every entry point against every kind of caller, with real HS256 tokens: no token, a read
// scope, a write scope, full scopes restricted to another work group, and (for contrast) full
// scopes restricted to the target's own work group. The target is always in `primary`.
//
// To cover a new entry point (`_entities`, the `sessionStatus` subscription), add one
// EntryPoint: its operation, how to read its answer, and what a hidden target looks like.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers.js';
import {
  bearer,
  expectNoLeak,
  post,
  type RawResponse,
  READ,
  send,
  startProductionStack,
  token,
  WRITE,
} from './support.js';

let stack: Stack;
/** Active sessions of `primary`; each terminate takes a fresh one. */
let activeIds: string[];
let target: string;
/** IDLE sessions of `primary` kept apart from activeIds: each permitted startCalculation takes one. */
let idleIds: string[];
/** A calculation in `primary`. */
let calculationTarget: string;

beforeAll(async () => {
  stack = await startProductionStack();
  const response = await send(
    stack,
    post(
      '{ sessions(workGroup: "primary", first: 100) { edges { node { sessionId } } } }',
      undefined,
      bearer(await token()),
    ),
  );
  const idle = await send(
    stack,
    post(
      '{ sessions(workGroup: "primary", state: IDLE, first: 10) { edges { node { sessionId } } } }',
      undefined,
      bearer(await token()),
    ),
  );
  idleIds = idle.json!.data.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
  activeIds = response
    .json!.data.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId)
    .filter((sessionId: string) => !idleIds.includes(sessionId));
  target = activeIds.pop()!;
  const started = await send(
    stack,
    post(
      `mutation { startCalculation(input: { sessionId: "${idleIds.shift()}", codeBlock: "print(1)" }) { calculation { calculationId } } }`,
      undefined,
      bearer(await token()),
    ),
  );
  calculationTarget = started.json!.data.startCalculation.calculation.calculationId;
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

const globalId = (raw: string) => Buffer.from(raw, 'utf8').toString('base64');

type Kind = 'query' | 'mutation';

interface EntryPoint {
  name: string;
  kind: Kind;
  /** The operation, aimed at something in `primary`. */
  operation: () => string;
  /** Checks the data of a permitted call. */
  permitted: (data: any) => void;
  /** Upstream calls of a permitted call by an unrestricted caller. */
  permittedCalls: Record<string, number>;
  /** What a caller limited to another work group gets: data that hides the target, or an error code. */
  hidden: { data: unknown } | { code: string };
  /** Upstream calls that may be spent learning the target's work group (never more). */
  hiddenCalls: Record<string, number>;
  /** Upstream calls of a permitted call by a caller restricted to the target's work group, when not the usual rule. */
  restrictedCalls?: Record<string, number>;
}

const ENTRY_POINTS: EntryPoint[] = [
  {
    name: 'session',
    kind: 'query',
    operation: () => `{ session(sessionId: "${target}") { sessionId status { state } } }`,
    permitted: (data) => expect(data.session.sessionId).toBe(target),
    permittedCalls: { GetSessionStatus: 1 },
    hidden: { data: { session: null } },
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'sessions',
    kind: 'query',
    operation: () => '{ sessions(workGroup: "primary", first: 2) { edges { node { sessionId } } } }',
    permitted: (data) => expect(data.sessions.edges).toHaveLength(2),
    permittedCalls: { ListSessions: 1 },
    hidden: { data: { sessions: { edges: [] } } },
    hiddenCalls: {},
  },
  {
    name: 'workGroup',
    kind: 'query',
    operation: () => '{ workGroup(name: "primary") { name sessions(first: 1) { edges { node { sessionId } } } } }',
    permitted: (data) =>
      expect(data.workGroup).toMatchObject({ name: 'primary', sessions: { edges: [expect.anything()] } }),
    permittedCalls: { ListSessions: 1 },
    hidden: { data: { workGroup: null } },
    hiddenCalls: {},
  },
  {
    name: 'allSessions (named work groups)',
    kind: 'query',
    operation: () => '{ allSessions(workGroups: ["primary"], first: 2) { edges { node { sessionId workGroup } } } }',
    permitted: (data) =>
      expect(data.allSessions.edges.map((edge: { node: { workGroup: string } }) => edge.node.workGroup)).toEqual([
        'primary',
        'primary',
      ]),
    permittedCalls: { ListSessions: 1 },
    // Named but forbidden is left out without a call, exactly like a work group that does not exist.
    hidden: { data: { allSessions: { edges: [] } } },
    hiddenCalls: {},
  },
  {
    name: 'workGroup (its own fields)',
    kind: 'query',
    operation: () =>
      '{ workGroup(name: "primary") { name state description creationDateTime engineVersion { effectiveEngineVersion } } }',
    permitted: (data) =>
      expect(data.workGroup).toMatchObject({
        name: 'primary',
        state: 'ENABLED',
        engineVersion: { effectiveEngineVersion: 'PySpark engine version 3' },
      }),
    permittedCalls: { GetWorkGroup: 1 },
    hidden: { data: { workGroup: null } },
    hiddenCalls: {},
  },
  {
    name: 'workGroups',
    kind: 'query',
    operation: () => '{ workGroups(first: 50) { edges { node { name state } } } }',
    permitted: (data) =>
      expect(data.workGroups.edges.map((edge: { node: { name: string } }) => edge.node.name)).toContain('primary'),
    permittedCalls: { ListWorkGroups: 1 },
    // The list a caller restricted to analytics and sandbox gets: those two, and nothing of primary.
    hidden: {
      data: {
        workGroups: {
          edges: [{ node: { name: 'analytics', state: 'ENABLED' } }, { node: { name: 'sandbox', state: 'ENABLED' } }],
        },
      },
    },
    hiddenCalls: { ListWorkGroups: 1 },
  },
  {
    name: 'node (session)',
    kind: 'query',
    operation: () => `{ node(id: "${globalId(`Session:${target}`)}") { id ... on Session { status { state } } } }`,
    permitted: (data) => expect(data.node.id).toBe(globalId(`Session:${target}`)),
    permittedCalls: { GetSessionStatus: 1 },
    hidden: { data: { node: null } },
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'node (work group)',
    kind: 'query',
    operation: () => `{ node(id: "${globalId('WorkGroup:primary')}") { id } }`,
    permitted: (data) => expect(data.node.id).toBe(globalId('WorkGroup:primary')),
    permittedCalls: { ListSessions: 1 },
    hidden: { data: { node: null } },
    hiddenCalls: {},
  },
  {
    name: 'nodes',
    kind: 'query',
    operation: () => `{ nodes(ids: ["${globalId(`Session:${target}`)}", "${globalId('WorkGroup:primary')}"]) { id } }`,
    permitted: (data) =>
      expect(data.nodes.map((node: { id: string } | null) => node?.id)).toEqual([
        globalId(`Session:${target}`),
        globalId('WorkGroup:primary'),
      ]),
    permittedCalls: { GetSessionStatus: 1, ListSessions: 1 },
    hidden: { data: { nodes: [null, null] } },
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: '_entities (federation)',
    kind: 'query',
    operation: () =>
      `{ _entities(representations: [{ __typename: "Session", sessionId: "${target}" }]) { ... on Session { sessionId status { state } } } }`,
    permitted: (data) => expect(data._entities).toEqual([expect.objectContaining({ sessionId: target })]),
    permittedCalls: { GetSessionStatus: 1 },
    hidden: { data: { _entities: [null] } },
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'calculation',
    kind: 'query',
    operation: () => `{ calculation(calculationId: "${calculationTarget}") { calculationId status { state } } }`,
    permitted: (data) => expect(data.calculation.calculationId).toBe(calculationTarget),
    permittedCalls: { GetCalculationExecutionStatus: 1 },
    hidden: { data: { calculation: null } },
    // Only GetCalculationExecution names the session, and the session names the work group.
    hiddenCalls: { GetCalculationExecution: 1, GetSession: 1 },
    restrictedCalls: { GetCalculationExecution: 1, GetSession: 1 },
  },
  {
    name: 'node (calculation)',
    kind: 'query',
    operation: () =>
      `{ node(id: "${globalId(`Calculation:${calculationTarget}`)}") { id ... on Calculation { status { state } } } }`,
    permitted: (data) => expect(data.node.id).toBe(globalId(`Calculation:${calculationTarget}`)),
    permittedCalls: { GetCalculationExecutionStatus: 1 },
    hidden: { data: { node: null } },
    hiddenCalls: { GetCalculationExecution: 1, GetSession: 1 },
    restrictedCalls: { GetCalculationExecution: 1, GetSession: 1 },
  },
  {
    name: '_entities (calculation)',
    kind: 'query',
    operation: () =>
      `{ _entities(representations: [{ __typename: "Calculation", calculationId: "${calculationTarget}" }]) { ... on Calculation { description } } }`,
    permitted: (data) => expect(data._entities).toHaveLength(1),
    permittedCalls: { GetCalculationExecution: 1 },
    hidden: { data: { _entities: [null] } },
    hiddenCalls: { GetCalculationExecution: 1, GetSession: 1 },
  },
  {
    name: 'Session.calculations',
    kind: 'query',
    operation: () =>
      `{ session(sessionId: "${target}") { calculations(first: 2) { edges { node { calculationId } } } } }`,
    permitted: (data) => expect(data.session.calculations.edges).toEqual(expect.any(Array)),
    permittedCalls: { GetSessionStatus: 1, ListCalculationExecutions: 1 },
    hidden: { data: { session: null } },
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'startCalculation',
    kind: 'mutation',
    // Each permitted call makes a session busy, so every run aims at a fresh IDLE one.
    operation: () =>
      `mutation { startCalculation(input: { sessionId: "${idleIds.shift()}", codeBlock: "print(2)" }) { calculation { calculationId } } }`,
    permitted: (data) => expect(data.startCalculation.calculation.calculationId).toEqual(expect.any(String)),
    permittedCalls: { StartCalculationExecution: 1 },
    hidden: { code: 'NOT_FOUND' },
    // StartCalculationExecution takes only a session id: the work group is checked first.
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'stopCalculation',
    kind: 'mutation',
    operation: () => `mutation { stopCalculation(input: { calculationId: "${calculationTarget}" }) { state } }`,
    permitted: (data) => expect(data.stopCalculation.state).toEqual(expect.any(String)),
    permittedCalls: { StopCalculationExecution: 1 },
    hidden: { code: 'NOT_FOUND' },
    hiddenCalls: { GetCalculationExecution: 1, GetSession: 1 },
  },
  {
    name: 'terminateSession',
    kind: 'mutation',
    // Each permitted call ends a session, so every run aims at a fresh one.
    operation: () => `mutation { terminateSession(input: { sessionId: "${activeIds.pop()}" }) { state } }`,
    permitted: (data) => expect(['TERMINATING', 'TERMINATED']).toContain(data.terminateSession.state),
    permittedCalls: { TerminateSession: 1 },
    hidden: { code: 'NOT_FOUND' },
    // TerminateSession takes only an id: the work group is checked first, and nothing is terminated.
    hiddenCalls: { GetSession: 1 },
  },
  {
    name: 'startSession',
    kind: 'mutation',
    operation: () =>
      'mutation { startSession(input: { workGroup: "primary", description: "matrix" }) { session { sessionId status { state } } } }',
    permitted: (data) => expect(data.startSession.session.sessionId).toEqual(expect.any(String)),
    permittedCalls: { StartSession: 1 },
    hidden: { code: 'NOT_FOUND' },
    hiddenCalls: {},
  },
];

interface Caller {
  name: string;
  token: (() => Promise<string>) | undefined;
  expect: (entry: EntryPoint, response: RawResponse, calls: Record<string, number>) => void;
}

const permitted = (entry: EntryPoint, response: RawResponse, calls: Record<string, number>) => {
  expect(response.status).toBe(200);
  expect(response.json?.errors).toBeUndefined();
  entry.permitted(response.json?.data);
  expect(calls).toEqual(entry.permittedCalls);
};
const forbidden = (_entry: EntryPoint, response: RawResponse, calls: Record<string, number>) => {
  expect(response.status).toBe(200);
  expect(response.code).toBe('FORBIDDEN');
  expect(calls).toEqual({});
};
const byKind =
  (allowed: Kind) =>
  (entry: EntryPoint, response: RawResponse, calls: Record<string, number>): void =>
    (entry.kind === allowed ? permitted : forbidden)(entry, response, calls);

const CALLERS: Caller[] = [
  {
    name: 'no token',
    token: undefined,
    expect: (_entry, response, calls) => {
      expect(response.status).toBe(401);
      expect(response.code).toBe('UNAUTHENTICATED');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(calls).toEqual({});
    },
  },
  { name: 'read scope', token: () => token({ scope: READ }), expect: byKind('query') },
  { name: 'write scope', token: () => token({ scope: WRITE }), expect: byKind('mutation') },
  {
    name: 'other work group',
    token: () => token({ scope: `${READ} ${WRITE}`, workgroups: ['analytics', 'sandbox'] }),
    expect: (entry, response, calls) => {
      expect(response.status).toBe(200);
      if ('code' in entry.hidden) {
        expect(response.code).toBe(entry.hidden.code);
        // The message must not tell "exists elsewhere" from "does not exist".
        expect(response.json?.errors?.[0]?.message).toMatch(/not found/);
      } else {
        expect(response.json?.errors).toBeUndefined();
        expect(response.json?.data).toEqual(entry.hidden.data);
      }
      expect(calls).toEqual(entry.hiddenCalls);
    },
  },
  {
    name: 'own work group (restricted)',
    token: () => token({ scope: `${READ} ${WRITE}`, workgroups: ['primary'] }),
    expect: (entry, response, calls) => {
      expect(response.status).toBe(200);
      expect(response.json?.errors).toBeUndefined();
      entry.permitted(response.json?.data);
      // A restricted caller pays one GetSession per session to learn its work group, instead of GetSessionStatus.
      const expected = { ...entry.permittedCalls, ...entry.hiddenCalls };
      if (expected.GetSession !== undefined) delete expected.GetSessionStatus;
      expect(calls).toEqual(entry.restrictedCalls ?? expected);
    },
  },
];

describe.each(ENTRY_POINTS.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
  it.each(CALLERS.map((caller) => [caller.name, caller] as const))('%s', async (_caller, caller) => {
    const headers = caller.token === undefined ? {} : bearer(await caller.token());
    const response = await send(stack, post(entry.operation(), undefined, headers));
    caller.expect(entry, response, stack.calls());
    expectNoLeak(response);
  });
});

describe('allSessions without workGroups merges only what the caller may see', () => {
  it('an analytics-only caller gets analytics sessions alone, for one ListWorkGroups and one ListSessions', async () => {
    const analyticsOnly = bearer(await token({ workgroups: ['analytics'] }));
    const response = await send(
      stack,
      post(
        '{ allSessions(first: 100) { edges { node { workGroup } } pageInfo { hasNextPage } } }',
        undefined,
        analyticsOnly,
      ),
    );
    expect(response.json?.errors).toBeUndefined();
    const workGroups = response.json!.data.allSessions.edges.map(
      (edge: { node: { workGroup: string } }) => edge.node.workGroup,
    );
    expect(workGroups.length).toBeGreaterThan(0);
    expect(new Set(workGroups)).toEqual(new Set(['analytics']));
    expect(stack.calls()).toEqual({ ListWorkGroups: 1, ListSessions: 1 });
  });

  it('a cursor carries no right: a caller who lost a work group does not read it on the next page', async () => {
    const both = bearer(await token({ workgroups: ['primary', 'analytics'] }));
    const first = await send(
      stack,
      post(
        '{ allSessions(workGroups: ["primary", "analytics"], first: 5) { pageInfo { endCursor } } }',
        undefined,
        both,
      ),
    );
    const cursor = first.json!.data.allSessions.pageInfo.endCursor as string;
    stack.resetCalls();
    const analyticsOnly = bearer(await token({ workgroups: ['analytics'] }));
    const next = await send(
      stack,
      post(
        `{ allSessions(workGroups: ["primary", "analytics"], first: 50, after: "${cursor}") { edges { node { workGroup } } } }`,
        undefined,
        analyticsOnly,
      ),
    );
    expect(next.json?.errors).toBeUndefined();
    expect(
      new Set(next.json!.data.allSessions.edges.map((edge: { node: { workGroup: string } }) => edge.node.workGroup)),
    ).toEqual(new Set(['analytics']));
    expect(stack.calls()).toEqual({ ListSessions: 1 });
  });
});

describe('a hidden session is checked against its real work group before anything is terminated', () => {
  it('terminating a primary session as an analytics-only caller leaves it running', async () => {
    const victim = activeIds.pop()!;
    const analyticsOnly = bearer(await token({ workgroups: ['analytics'] }));
    const attempt = await send(
      stack,
      post(`mutation { terminateSession(input: { sessionId: "${victim}" }) { state } }`, undefined, analyticsOnly),
    );
    expect(attempt.code).toBe('NOT_FOUND');
    const after = await send(
      stack,
      post(`{ session(sessionId: "${victim}") { status { state } } }`, undefined, bearer(await token())),
    );
    expect(['TERMINATING', 'TERMINATED']).not.toContain(after.json?.data.session.status.state);
  });

  it('a session that does not exist and one in another work group answer alike', async () => {
    const analyticsOnly = bearer(await token({ workgroups: ['analytics'] }));
    const hidden = await send(
      stack,
      post(`mutation { terminateSession(input: { sessionId: "${target}" }) { state } }`, undefined, analyticsOnly),
    );
    const missing = await send(
      stack,
      post(
        'mutation { terminateSession(input: { sessionId: "no-such-session" }) { state } }',
        undefined,
        analyticsOnly,
      ),
    );
    const shape = (response: RawResponse) => ({
      status: response.status,
      code: response.code,
      message: response.json?.errors?.[0]?.message.replace(/Session \S+ /, 'Session <id> '),
    });
    expect(shape(hidden)).toEqual(shape(missing));
  });

  it('a write-only caller reads the payload of its own mutation', async () => {
    const writeOnly = bearer(await token({ scope: WRITE }));
    const response = await send(
      stack,
      post(
        `mutation { terminateSession(input: { sessionId: "${activeIds.pop()}" }) { state session { sessionId workGroup status { state } } } }`,
        undefined,
        writeOnly,
      ),
    );
    expect(response.json?.errors).toBeUndefined();
    expect(response.json?.data.terminateSession.session.workGroup).toBe('primary');
  });
});

describe('Session.endpoint needs sessions:connect', () => {
  const query = () => `{ session(sessionId: "${target}") { sessionId endpoint { url authToken } } }`;

  it('without it: FORBIDDEN at the field, the rest of the session answered, no GetSessionEndpoint', async () => {
    const response = await send(stack, post(query(), undefined, bearer(await token({ scope: READ }))));
    expect(response.status).toBe(200);
    expect(response.json?.data).toEqual({ session: { sessionId: target, endpoint: null } });
    expect(response.json?.errors).toEqual([
      expect.objectContaining({ path: ['session', 'endpoint'], extensions: { code: 'FORBIDDEN' } }),
    ]);
    expect(stack.calls()).toEqual({ GetSessionStatus: 1 });
  });

  it('with it: one GetSessionEndpoint (null on this PySpark session)', async () => {
    const response = await send(
      stack,
      post(query(), undefined, bearer(await token({ scope: `${READ} sessions:connect` }))),
    );
    expect(response.json?.errors).toBeUndefined();
    expect(response.json?.data).toEqual({ session: { sessionId: target, endpoint: null } });
    expect(stack.calls()).toEqual({ GetSessionStatus: 1, GetSessionEndpoint: 1 });
  });

  it('a session in another work group is null before the endpoint is asked for', async () => {
    const response = await send(
      stack,
      post(query(), undefined, bearer(await token({ scope: `${READ} sessions:connect`, workgroups: ['sandbox'] }))),
    );
    expect(response.json?.errors).toBeUndefined();
    expect(response.json?.data).toEqual({ session: null });
    expect(stack.calls()).toEqual({ GetSession: 1 });
  });
});
