// startSession on a SQL work group: Athena answers InvalidRequestException "Workgroup EngineVersion
// is not Spark." (model-facts.md; the local service answers the same), so the gateway answers
// BAD_USER_INPUT with Athena's reason after that one call, not NOT_FOUND.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const start = (workGroup: string) =>
  stack.graphql('mutation($input: StartSessionInput!) { startSession(input: $input) { session { sessionId } } }', {
    input: { workGroup, engineConfiguration: { maxConcurrentDpus: 4 } },
  });

describe('startSession on a work group that cannot run sessions', () => {
  it('a SQL work group is BAD_USER_INPUT with Athena reason, after one StartSession', async () => {
    stack.resetCalls();
    const result = await start('sql-reporting');
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('Workgroup EngineVersion is not Spark.');
    expect(stack.calls()).toEqual({ StartSession: 1 });
  });

  it('a missing work group stays NOT_FOUND', async () => {
    stack.resetCalls();
    const result = await start('no-such-work-group');
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(stack.calls()).toEqual({ StartSession: 1 });
  });
});
