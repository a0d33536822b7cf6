// The Spark Connect token (Session.endpoint.authToken) runs code in a session: it goes to the
// caller who asked for it and nowhere else — not into a log line, not into another request.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { type ResilientStack, startResilientStack } from '../reliability/support.js';

let stack: ResilientStack;
let spark35: string;

beforeAll(async () => {
  stack = await startResilientStack();
  const result = await stack.graphql(
    '{ sessions(workGroup: "ml-experiments", state: IDLE, first: 1) { edges { node { sessionId } } } }',
  );
  spark35 = result.data!.sessions.edges[0].node.sessionId;
});
afterAll(() => stack.close());

const ENDPOINT = (sessionId: string) =>
  `{ session(sessionId: "${sessionId}") { endpoint { url authToken authTokenExpiresAt } } }`;

describe('the Spark Connect token', () => {
  it('reaches the caller and no log line, and every request gets its own from Athena', async () => {
    const first = await stack.graphql(ENDPOINT(spark35));
    const second = await stack.graphql(ENDPOINT(spark35));
    expect(first.errors).toBeUndefined();
    const tokens = [first.data!.session.endpoint.authToken, second.data!.session.endpoint.authToken] as string[];
    expect(tokens.every((token) => token.length > 0)).toBe(true);
    expect(stack.upstreamEvents.filter((event) => event.operation === 'GetSessionEndpoint')).toHaveLength(2);
    expect(stack.logLines.length).toBeGreaterThan(0);
    for (const token of tokens) expect(stack.rawLog()).not.toContain(token);
  });

  it('a failed GetSessionEndpoint is logged without any token and answered as UPSTREAM_ERROR', async () => {
    stack.athena.faults.set('GetSessionEndpoint', { error: 'InternalServerException', count: 10 });
    try {
      const failed = await stack.graphql(ENDPOINT(spark35));
      expect(failed.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
      expect(failed.errors?.[0]?.path).toEqual(['session', 'endpoint']);
    } finally {
      stack.athena.faults.clear('GetSessionEndpoint');
    }
    expect(stack.rawLog()).not.toMatch(/"authToken":"(?!\[redacted\])/);
  });

  it('the logger redacts an authToken whatever object carries it', () => {
    const chunks: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write: (chunk, _encoding, done) => {
          chunks.push(String(chunk));
          done();
        },
      }) as never,
    );
    logger.info(
      { authToken: 'secret-1', endpoint: { authToken: 'secret-2' }, output: { AuthToken: 'secret-3' } },
      'endpoint',
    );
    const line = chunks.join('');
    expect(line).not.toMatch(/secret-\d/);
    expect(line).toContain('[redacted]');
  });
});
