// Every bad input in the contract's error table is BAD_USER_INPUT, and costs no upstream call.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;
let cursor: string;

beforeAll(async () => {
  stack = await startStack();
  const result = await stack.graphql('{ sessions(workGroup: "primary", first: 2) { pageInfo { endCursor } } }');
  cursor = result.data!.sessions.pageInfo.endCursor;
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

const long = (n: number) => 'x'.repeat(n);
const forged = () => {
  const [payload] = cursor.split('.');
  return `${payload}.AAAAAAAAAAAAAAAAAAAAAA`;
};

const BAD_INPUTS: [string, () => string][] = [
  ['empty sessionId', () => '{ session(sessionId: "") { sessionId } }'],
  ['sessionId over 256 characters', () => `{ session(sessionId: "${long(257)}") { sessionId } }`],
  ['work group with a space', () => '{ sessions(workGroup: "bad group") { edges { cursor } } }'],
  ['empty work group', () => '{ sessions(workGroup: "") { edges { cursor } } }'],
  ['work group over 128 characters', () => `{ sessions(workGroup: "${long(129)}") { edges { cursor } } }`],
  ['work group with a slash', () => '{ workGroup(name: "a/b") { name } }'],
  ['first below 0', () => '{ sessions(workGroup: "primary", first: -1) { edges { cursor } } }'],
  ['first over 100', () => '{ sessions(workGroup: "primary", first: 101) { edges { cursor } } }'],
  ['a malformed cursor', () => '{ sessions(workGroup: "primary", after: "not-a-cursor") { edges { cursor } } }'],
  ['a forged cursor', () => `{ sessions(workGroup: "primary", after: "${forged()}") { edges { cursor } } }`],
  [
    'a cursor from another work group',
    () => `{ sessions(workGroup: "analytics", after: "${cursor}") { edges { cursor } } }`,
  ],
  [
    'a cursor from another state',
    () => `{ sessions(workGroup: "primary", state: IDLE, after: "${cursor}") { edges { cursor } } }`,
  ],
  [
    'a cursor under WorkGroup.sessions of another group',
    () => `{ workGroup(name: "analytics") { sessions(after: "${cursor}") { edges { cursor } } } }`,
  ],
  ['a malformed global id', () => '{ node(id: "%%%") { id } }'],
  ['a global id of an unknown type', () => `{ node(id: "${Buffer.from('User:1').toString('base64')}") { id } }`],
  [
    'a global id with a bad session id',
    () => `{ node(id: "${Buffer.from(`Session:${long(300)}`).toString('base64')}") { id } }`,
  ],
  ['one bad id among nodes', () => `{ nodes(ids: ["${Buffer.from('Session:ok').toString('base64')}", "@@"]) { id } }`],
  ['terminate with an empty id', () => 'mutation { terminateSession(input: { sessionId: "" }) { state } }'],
  [
    'start in a bad work group',
    () => 'mutation { startSession(input: { workGroup: "no spaces" }) { session { sessionId } } }',
  ],
  [
    'start with too many DPUs',
    () =>
      'mutation { startSession(input: { workGroup: "primary", engineConfiguration: { maxConcurrentDpus: 5001 } }) { session { sessionId } } }',
  ],
  [
    'start with an empty description',
    () => 'mutation { startSession(input: { workGroup: "primary", description: "" }) { session { sessionId } } }',
  ],
  [
    'start with an idle timeout over 480',
    () =>
      'mutation { startSession(input: { workGroup: "primary", idleTimeoutMinutes: 481 }) { session { sessionId } } }',
  ],
  [
    'start with a client request token under 32 characters',
    () =>
      `mutation { startSession(input: { workGroup: "primary", clientRequestToken: "${long(31)}" }) { session { sessionId } } }`,
  ],
  [
    'start with a client request token over 128 characters',
    () =>
      `mutation { startSession(input: { workGroup: "primary", clientRequestToken: "${long(129)}" }) { session { sessionId } } }`,
  ],
];

describe('bad input', () => {
  it.each(BAD_INPUTS)('%s -> BAD_USER_INPUT, no upstream call', async (_name, query) => {
    const result = await stack.graphql(query());
    expect(result.status).toBe(200);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(result.body)).not.toMatch(/stack|Exception|at .*\.ts/);
    expect(stack.calls()).toEqual({});
  });

  it.each([
    ['last', '{ sessions(workGroup: "primary", last: 2) { edges { cursor } } }'],
    ['before', '{ sessions(workGroup: "primary", before: "x") { edges { cursor } } }'],
  ])('%s is not part of the schema', async (_name, query) => {
    const result = await stack.graphql(query);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(stack.calls()).toEqual({});
  });
});

describe('missing things', () => {
  it('session(sessionId) of an unknown session is null with no error', async () => {
    const result = await stack.graphql('{ session(sessionId: "does-not-exist") { sessionId status { state } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ session: null });
  });

  it('node of an unknown session is null with no error', async () => {
    const result = await stack.graphql(`{ node(id: "${Buffer.from('Session:nope').toString('base64')}") { id } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ node: null });
  });

  it('terminating an unknown session is NOT_FOUND', async () => {
    const result = await stack.graphql(
      'mutation { terminateSession(input: { sessionId: "does-not-exist" }) { state } }',
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('upstream failures', () => {
  it('a failing GetSession is UPSTREAM_ERROR without AWS internals', async () => {
    stack.athena.faults.set('GetSession', { error: 'InternalServerException', rate: 1 });
    try {
      const result = await stack.graphql(
        '{ session(sessionId: "anything") { engineConfiguration { maxConcurrentDpus } } }',
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
      expect(JSON.stringify(result.body)).not.toMatch(/InternalServerException|amazonaws|stack/i);
    } finally {
      stack.athena.faults.clear('GetSession');
    }
  });
});
