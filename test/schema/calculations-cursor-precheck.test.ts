// A forged or foreign `after` on Session.calculations is BAD_USER_INPUT before any upstream call,
// the session's own call included (issue 14): the cursor is checked before the operation executes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;
/** Two IDLE PySpark sessions of `analytics`, each with one calculation of ours. */
let mine: string;
let other: string;
/** A genuine cursor of `mine`'s calculations, and one of `analytics`'s sessions. */
let calculationCursor: string;
let sessionCursor: string;

beforeAll(async () => {
  stack = await startStack();
  const idle = await stack.graphql(
    '{ sessions(workGroup: "analytics", state: IDLE, first: 2) { edges { node { sessionId } } pageInfo { endCursor } } }',
  );
  [mine, other] = idle.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
  sessionCursor = idle.data!.sessions.pageInfo.endCursor;
  expect(other).toBeDefined();
  for (const sessionId of [mine, other]) {
    const started = await stack.graphql(
      `mutation { startCalculation(input: { sessionId: "${sessionId}", codeBlock: "print(1)" }) { calculation { calculationId } } }`,
    );
    expect(started.errors).toBeUndefined();
  }
  const page = await stack.graphql(
    `{ session(sessionId: "${mine}") { calculations(first: 1) { pageInfo { endCursor } } } }`,
  );
  calculationCursor = page.data!.session.calculations.pageInfo.endCursor;
  expect(typeof calculationCursor).toBe('string');
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

/** The cursor with one character of its payload changed: its signature no longer holds. */
const forge = (cursor: string) => `${cursor[0] === 'A' ? 'B' : 'A'}${cursor.slice(1)}`;

describe('Session.calculations(after:) is checked before any upstream call', () => {
  it('a genuine cursor of the session pages on (the check lets it through)', async () => {
    const result = await stack.graphql(
      `query($after: String) { session(sessionId: "${mine}") { calculations(first: 1, after: $after) { edges { cursor } } } }`,
      { after: calculationCursor },
    );
    expect(result.errors).toBeUndefined();
    expect(stack.calls().ListCalculationExecutions).toBeGreaterThan(0);
  });

  it('refuses forged, foreign-session, foreign-state and sessions cursors under session(sessionId:) with no call', async () => {
    const cases: [string, string | null][] = [
      [forge(calculationCursor), null],
      ['not-a-cursor', null],
      [calculationCursor, 'COMPLETED'],
      [sessionCursor, null],
    ];
    for (const target of [mine, other]) {
      for (const [after, state] of cases) {
        const result = await stack.graphql(
          `query($after: String, $state: CalculationState) { session(sessionId: "${target}") { sessionId calculations(after: $after, state: $state) { edges { cursor } } } }`,
          { after, state },
        );
        expect(result.errors?.[0]?.extensions?.code, `${target} ${after} ${state}`).toBe('BAD_USER_INPUT');
        expect(result.data ?? null).toBeNull();
        expect(stack.calls()).toEqual({});
      }
    }
    // `mine`'s own cursor under `other`: the session is named, so the cursor is known to be foreign.
    const foreign = await stack.graphql(
      `query($after: String) { session(sessionId: "${other}") { calculations(after: $after) { edges { cursor } } } }`,
      { after: calculationCursor },
    );
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.calls()).toEqual({});
  });

  it('refuses a forged cursor under a session reached through a list, before the list call', async () => {
    for (const query of [
      'query($after: String) { sessions(workGroup: "analytics", first: 1) { edges { node { calculations(after: $after) { edges { cursor } } } } } }',
      'query($after: String) { allSessions(first: 1) { edges { node { calculations(after: $after) { edges { cursor } } } } } }',
    ]) {
      for (const after of [forge(calculationCursor), sessionCursor]) {
        const result = await stack.graphql(query, { after });
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(stack.calls()).toEqual({});
      }
    }
  });
});
