// Retries that must not duplicate work (StartSession), terminates that race each other, and
// operations that keep answering when one upstream call fails.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type ResilientStack, sleep, startResilientStack } from './support.js';

let stack: ResilientStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const START =
  'mutation Start($input: StartSessionInput!) { startSession(input: $input) { session { sessionId status { state } } } }';

describe('StartSession retries', () => {
  it('an answer lost to a timeout is retried with the same request token: exactly one session starts', async () => {
    stack = await startResilientStack({ config: { athena: { requestTimeoutMs: 300, maxAttempts: 3 } } });
    expect(stack.athena.store.countSessions('sandbox')).toBe(0);
    // The first attempt is processed upstream after 800 ms, long after the gateway gave up on it
    // at 300 ms and retried; only the request token lets Athena see that both are one start.
    stack.athena.faults.set('StartSession', { latencyMs: 800 });
    const started = stack.graphql(START, { input: { workGroup: 'sandbox', description: 'retried start' } });
    expect(await eventually(() => stack!.athena.calls.count('StartSession') === 1)).toBe(true);
    stack.athena.faults.clear('StartSession');
    const result = await started;
    expect(result.errors).toBeUndefined();
    expect(stack.athena.calls.count('StartSession')).toBeGreaterThanOrEqual(2);
    // Let the slow first attempt reach the store too.
    await sleep(800);
    expect(stack.athena.store.countSessions('sandbox')).toBe(1);
    expect(stack.athena.store.getSession(result.data!.startSession.session.sessionId)).toBeDefined();
  });

  it('a 500 then success starts one session', async () => {
    stack = await startResilientStack();
    stack.athena.faults.set('StartSession', { error: 'InternalServerException', count: 1 });
    const result = await stack.graphql(START, { input: { workGroup: 'sandbox' } });
    expect(result.errors).toBeUndefined();
    expect(stack.athena.calls.count('StartSession')).toBe(2);
    expect(stack.athena.store.countSessions('sandbox')).toBe(1);
  });

  it("the client's own token is the one sent, so its retries of the mutation are idempotent too", async () => {
    stack = await startResilientStack();
    const input = { workGroup: 'sandbox', clientRequestToken: 'client-token-0001-0000-0000-00000000' };
    const first = await stack.graphql(START, { input });
    const again = await stack.graphql(START, { input });
    expect(again.data!.startSession.session.sessionId).toBe(first.data!.startSession.session.sessionId);
    expect(stack.athena.store.countSessions('sandbox')).toBe(1);
  });
});

describe('TerminateSession retries', () => {
  it('a 500 is retried (terminating is idempotent upstream) and the caller sees one clean answer', async () => {
    stack = await startResilientStack();
    const sessionId = (
      await stack.graphql(
        '{ sessions(workGroup: "analytics", state: IDLE, first: 1) { edges { node { sessionId } } } }',
      )
    ).data!.sessions.edges[0].node.sessionId as string;
    stack.athena.faults.set('TerminateSession', { error: 'InternalServerException', count: 1 });
    const result = await stack.graphql(`mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.terminateSession.state).toBe('TERMINATING');
    expect(stack.athena.calls.count('TerminateSession')).toBe(2);
  });
});

describe('concurrent terminates of one session', () => {
  it('all succeed, the session ends once, and every one has its audit line with its request id', async () => {
    stack = await startResilientStack();
    const sessionId = (
      await stack.graphql(
        '{ sessions(workGroup: "ml-experiments", state: IDLE, first: 1) { edges { node { sessionId } } } }',
      )
    ).data!.sessions.edges[0].node.sessionId as string;
    const terminate = `mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state session { status { state lastModifiedDateTime } } } }`;
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stack!.yoga.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `terminate-${i}` },
          body: JSON.stringify({ query: terminate }),
        }),
      ),
    );
    const bodies = await Promise.all(
      responses.map(async (response) => (await response.json()) as { data: any; errors?: unknown }),
    );
    for (const body of bodies) {
      expect(body.errors).toBeUndefined();
      expect(body.data.terminateSession.state).toBe('TERMINATING');
      expect(body.data.terminateSession.session.status.state).toBe('TERMINATING');
    }
    expect(responses.map((response) => response.headers.get('x-request-id')).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `terminate-${i}`).sort(),
    );
    // Each request was sent (TerminateSession is idempotent upstream), and the session changed once:
    // every caller read the same moment of change, and one more terminate does not move it.
    expect(stack.athena.calls.count('TerminateSession')).toBe(8);
    const changedAt = new Set(bodies.map((body) => body.data.terminateSession.session.status.lastModifiedDateTime));
    expect(changedAt.size).toBe(1);
    const later = await stack.graphql(terminate);
    expect(later.data!.terminateSession.session.status.lastModifiedDateTime).toBe([...changedAt][0]);

    const audits = stack.logLines.filter(
      (line) => line.audit?.action === 'terminateSession' && line.audit.sessionId === sessionId,
    );
    expect(audits).toHaveLength(9);
    expect(audits.every((line) => line.audit.outcome === 'ok')).toBe(true);
    const audited = audits.map((line) => line.requestId as string).filter((id) => id.startsWith('terminate-'));
    expect(audited.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `terminate-${i}`).sort());
    // And each audit line belongs to the operation line of the same request.
    for (const id of audited) {
      expect(stack.logLines.filter((line) => line.msg === 'graphql operation' && line.requestId === id)).toMatchObject([
        { operationType: 'mutation', outcome: 'ok', upstream: { TerminateSession: 1, GetSessionStatus: 1 } },
      ]);
    }
  });
});

describe('partial results', () => {
  const SESSION = 'ml-experiments';

  async function statusQueryTarget(s: ResilientStack): Promise<string> {
    return (await s.graphql(`{ sessions(workGroup: "${SESSION}", first: 1) { edges { node { sessionId } } } }`)).data!
      .sessions.edges[0].node.sessionId;
  }

  it('a failed page under workGroup nulls that work group only; the rest of the operation answers', async () => {
    stack = await startResilientStack({
      config: { athena: { maxAttempts: 1 } },
      resilience: { breakerFailureThreshold: 100 },
    });
    const sessionId = await statusQueryTarget(stack);
    // The work group's existence check (its first page) succeeds; the IDLE page asked for by the
    // connection fails.
    stack.athena.calls.reset();
    stack.athena.faults.set('ListSessions', { latencyMs: 300 });
    const pending = stack.graphql(`{
      group: workGroup(name: "analytics") { name sessions(state: IDLE, first: 2) { edges { node { sessionId } } } }
      other: session(sessionId: "${sessionId}") { sessionId status { state } }
    }`);
    expect(await eventually(() => stack!.athena.calls.count('ListSessions') === 1, 5_000, 2)).toBe(true);
    stack.athena.faults.set('ListSessions', { error: 'InternalServerException' });
    const result = await pending;
    expect(stack.athena.calls.count('ListSessions')).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({ path: ['group', 'sessions'], extensions: { code: 'UPSTREAM_ERROR' } });
    // `sessions` is non-null in the contract, so the error nulls its parent, the work group.
    expect(result.data).toEqual({ group: null, other: { sessionId, status: { state: expect.any(String) } } });
  });

  it("a failed page at the root: the contract's non-null `sessions` nulls `data`, with the error at its path", async () => {
    stack = await startResilientStack({ config: { athena: { maxAttempts: 1 } } });
    const sessionId = await statusQueryTarget(stack);
    stack.athena.faults.set('ListSessions', { error: 'InternalServerException' });
    const result = await stack.graphql(`{
      sessions(workGroup: "analytics", first: 2) { edges { node { sessionId } } }
      other: session(sessionId: "${sessionId}") { sessionId }
    }`);
    expect(result.status).toBe(200);
    expect(result.errors).toMatchObject([{ path: ['sessions'], extensions: { code: 'UPSTREAM_ERROR' } }]);
    expect(result.data).toBeNull();
  });

  it('one session failing in a list of details: its fields null with an error at its path, the others returned', async () => {
    stack = await startResilientStack({ config: { athena: { maxAttempts: 1 } } });
    stack.athena.faults.set('GetSession', { error: 'InternalServerException', count: 1 });
    const result = await stack.graphql(
      '{ sessions(workGroup: "analytics", first: 4) { edges { node { sessionId statistics { dpuExecutionInMillis } } } } }',
    );
    const edges = result.data!.sessions.edges as { node: { sessionId: string; statistics: unknown } }[];
    expect(edges).toHaveLength(4);
    expect(edges.filter((edge) => edge.node.statistics === null)).toHaveLength(1);
    expect(result.errors).toMatchObject([
      { path: ['sessions', 'edges', expect.any(Number), 'node', 'statistics'], extensions: { code: 'UPSTREAM_ERROR' } },
    ]);
  });
});
