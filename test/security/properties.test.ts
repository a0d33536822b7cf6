// Property-based tests: arbitrary ids, cursors, work-group names, numbers, global ids, documents
// and whole request bodies get a status and codes from small allowed sets, invalid arguments
// never reach Athena, and the server is still healthy afterwards.
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers.js';
import {
  bearer,
  expectNoLeak,
  post,
  type RawRequest,
  type RawResponse,
  send,
  startProductionStack,
  token,
} from './support.js';

const RUNS = 60;

/** Every code a caller may see when Athena is healthy. */
const CALLER_CODES = new Set([
  'BAD_REQUEST',
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'MAX_TOKENS_EXCEEDED',
  'MAX_DEPTH_EXCEEDED',
  'MAX_ALIASES_EXCEEDED',
  'MAX_DIRECTIVES_EXCEEDED',
  'COST_LIMIT_EXCEEDED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CSRF_PREVENTED',
  'UNSUPPORTED_MEDIA_TYPE',
  'REQUEST_ENTITY_TOO_LARGE',
]);
const STATUSES = new Set([200, 400, 401, 403, 405, 406, 413, 415]);

let stack: Stack;
let auth: Record<string, string>;
let cursor: string;

beforeAll(async () => {
  stack = await startProductionStack();
  auth = bearer(await token());
  cursor = (
    await send(stack, post('{ sessions(workGroup: "primary", first: 3) { pageInfo { endCursor } } }', undefined, auth))
  ).json!.data.sessions.pageInfo.endCursor;
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

function expectWellFormed(response: RawResponse, sent = ''): void {
  expect(STATUSES).toContain(response.status);
  for (const error of response.json?.errors ?? []) expect(CALLER_CODES).toContain(error.extensions?.code);
  expectNoLeak(response, sent);
}

const ask = (query: string, variables: Record<string, unknown>) => send(stack, post(query, variables, auth));
const WORK_GROUP = /^[a-zA-Z0-9._-]{1,128}$/;

describe('arguments', () => {
  it('any sessionId: 1..256 characters is looked up (null when missing), anything else is BAD_USER_INPUT with no call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), fc.string({ minLength: 250, maxLength: 270 })),
        async (sessionId) => {
          stack.resetCalls();
          const response = await ask('query($id: String!) { session(sessionId: $id) { sessionId } }', {
            id: sessionId,
          });
          expectWellFormed(response, sessionId);
          if (sessionId.length >= 1 && sessionId.length <= 256) {
            expect(response.json?.errors).toBeUndefined();
          } else {
            expect(response.code).toBe('BAD_USER_INPUT');
            expect(stack.calls()).toEqual({});
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any work group name: names matching [a-zA-Z0-9._-]{1,128} are listed (maybe empty), others are BAD_USER_INPUT with no call', async () => {
    const name = fc.oneof(
      fc.string({ maxLength: 140 }),
      fc.stringMatching(/^[a-zA-Z0-9._-]{1,128}$/),
      fc.constantFrom('primary', 'analytics', 'sandbox', '../primary', 'primary ', ''),
    );
    await fc.assert(
      fc.asyncProperty(name, async (workGroup) => {
        stack.resetCalls();
        const response = await ask('query($w: String!) { sessions(workGroup: $w, first: 1) { edges { cursor } } }', {
          w: workGroup,
        });
        expectWellFormed(response, workGroup);
        if (WORK_GROUP.test(workGroup)) {
          expect(response.json?.errors).toBeUndefined();
        } else {
          expect(response.code).toBe('BAD_USER_INPUT');
          expect(stack.calls()).toEqual({});
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('any `first`: integers 0..100 are served, other numbers and values are refused with no call', async () => {
    const value = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.integer({ min: -5, max: 105 }),
      fc.double(),
      fc.string({ maxLength: 5 }),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(value, async (first) => {
        stack.resetCalls();
        const response = await ask(
          'query($n: Int) { sessions(workGroup: "sandbox", first: $n) { edges { cursor } } }',
          { n: first },
        );
        expectWellFormed(response, String(first));
        // JSON has no NaN or Infinity: they travel as null, which means "the default page".
        const sent: unknown = JSON.parse(JSON.stringify({ n: first })).n;
        if (sent === null || (Number.isInteger(sent) && (sent as number) >= 0 && (sent as number) <= 100)) {
          expect(response.json?.errors).toBeUndefined();
        } else {
          expect(response.code).toBe('BAD_USER_INPUT');
          expect(stack.calls()).toEqual({});
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('any cursor that is not one this gateway issued for this connection is BAD_USER_INPUT with no call', async () => {
    const mutated = fc
      .tuple(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCabc012-_.='))
      .map(([at, char]) => `${cursor.slice(0, at)}${char}${cursor.slice(at + 1)}`)
      .filter((candidate) => candidate !== cursor);
    const arbitrary = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.base64String({ maxLength: 200 }),
      mutated,
      fc.string().map((s) => `${s}.${s}`),
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (after) => {
        stack.resetCalls();
        const response = await ask(
          'query($a: String) { sessions(workGroup: "primary", first: 1, after: $a) { edges { cursor } } }',
          { a: after },
        );
        expectWellFormed(response, after);
        expect(response.code).toBe('BAD_USER_INPUT');
        expect(stack.calls()).toEqual({});
      }),
      { numRuns: RUNS },
    );
  });

  it('any global id: well-formed ids resolve (or are null), anything else is BAD_USER_INPUT with no call', async () => {
    const encoded = fc
      .tuple(fc.constantFrom('Session', 'WorkGroup', 'User', 'session', ''), fc.string({ maxLength: 40 }))
      .map(([type, key]) => Buffer.from(`${type}:${key}`, 'utf8').toString('base64'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(encoded, fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 60 })),
        async (id) => {
          stack.resetCalls();
          const response = await ask('query($id: ID!) { node(id: $id) { id } }', { id });
          expectWellFormed(response, id);
          if (response.json?.errors !== undefined) {
            expect(response.code).toBe('BAD_USER_INPUT');
            expect(stack.calls()).toEqual({});
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('whole requests', () => {
  const GRAPHQL_PIECES = [
    '{',
    '}',
    '(',
    ')',
    ':',
    '...',
    '@include(if: true)',
    'query',
    'mutation',
    'fragment F on Query',
    'on',
    '$v',
    'sessions',
    'session',
    'workGroup: "primary"',
    'sessionId: "x"',
    'edges',
    'node',
    'id',
    '__typename',
    '__schema',
    'a:',
    '"',
    '#',
    '\n',
    '1',
    '[',
    ']',
  ];

  it('random documents built from GraphQL pieces get allowed statuses and codes', async () => {
    const document = fc.array(fc.constantFrom(...GRAPHQL_PIECES), { maxLength: 60 }).map((pieces) => pieces.join(' '));
    await fc.assert(
      fc.asyncProperty(document, async (query) => {
        expectWellFormed(await send(stack, post(query, undefined, auth)), query);
      }),
      { numRuns: RUNS },
    );
  });

  it('random bodies, content types, methods and tokens get allowed statuses and codes, never a 500', async () => {
    const body = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200 }),
      fc
        .record(
          {
            query: fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue({ maxDepth: 2 })),
            variables: fc.jsonValue({ maxDepth: 3 }),
            operationName: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc
        .array(fc.record({ query: fc.constant('{ __typename }') }), { maxLength: 3 })
        .map((value) => JSON.stringify(value)),
    );
    const contentType = fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-8',
      'application/graphql',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
    );
    const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH');
    const authorization = fc.oneof(
      fc.constant(auth.authorization!),
      fc.constant(undefined),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.string({ maxLength: 40 }),
    );
    const accept = fc.constantFrom(
      undefined,
      'application/json',
      'application/graphql-response+json',
      'text/event-stream',
      'text/html',
      '*/*',
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        method,
        authorization,
        accept,
        async (payload, type, verb, credentials, acceptHeader) => {
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          if (credentials !== undefined) headers.authorization = credentials;
          if (acceptHeader !== undefined) headers.accept = acceptHeader;
          const request: RawRequest =
            verb === 'GET'
              ? { method: 'GET', path: `/graphql?${new URLSearchParams({ query: payload })}`, headers }
              : { method: verb, headers, body: payload };
          const response = await send(stack, request);
          expectWellFormed(response, payload);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the server is still healthy afterwards', async () => {
    expect((await send(stack, { method: 'GET', path: '/health' })).status).toBe(200);
    const response = await send(
      stack,
      post('{ sessions(workGroup: "primary", first: 2) { edges { node { sessionId } } } }', undefined, auth),
    );
    expect(response.json?.data.sessions.edges).toHaveLength(2);
  });
});
