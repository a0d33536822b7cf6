// A table of hostile and malformed requests against the production configuration (auth on,
// introspection and GraphiQL off). Each row states the HTTP status and error code it must get;
// every row must cost no upstream call, and no answer may be a 500 or show a stack trace, an AWS
// message or a "Did you mean" hint. Every row that an operation over a socket can be runs over
// graphql-ws too, with the same code and data: one table, two transports.
import { readdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server-timeouts.js';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { CursorCodec } from '../../src/schema/cursors.js';
import type { Stack } from '../helpers.js';
import { ENTITIES_COST_CASES } from './cost-cases.js';
import {
  asWebSocketOperation,
  bearer,
  expectNoLeak,
  get,
  handSignedToken,
  post,
  type RawRequest,
  READ,
  repeat,
  send,
  sendOverWebSocket,
  startProductionStack,
  type TokenOptions,
  token,
  unsignedToken,
  validClaims,
  WRITE,
} from './support.js';

let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let webSocketUrl: string;
let full: Record<string, string>;
let primaryCursor: string;
let analyticsCursor: string;
let foreignCursor: string;
let mergedCursor: string;
const tokens = new Map<string, string>();

/** Auth headers for a token minted in beforeAll (rows are built before tokens exist). */
const as = (name: string) => bearer(tokens.get(name)!);
const TOKEN_VARIANTS: Record<string, TokenOptions> = {
  readOnly: { scope: READ },
  writeOnly: { scope: WRITE },
  noScope: { scope: '' },
  primaryOnly: { workgroups: ['primary'] },
  noWorkGroups: { workgroups: [] },
  expired: { expiresIn: -3600 },
  expiredJustOutsideTolerance: { expiresIn: -120 },
  noExpiry: { expiresIn: null },
  notYetValid: { notBefore: 3600 },
  wrongIssuer: { issuer: 'https://evil.test/' },
  noIssuer: { issuer: null },
  wrongAudience: { audience: 'another-api' },
  noAudience: { audience: null },
  wrongSecret: { secret: 'not-the-secret-but-just-as-long-0123456789' },
  hs384: { alg: 'HS384' },
  hs512: { alg: 'HS512' },
  scopeNumber: { scope: 42 },
  workGroupsString: { workgroups: 'primary' },
  workGroupsNumbers: { workgroups: [1, 2] },
};

beforeAll(async () => {
  stack = await startProductionStack();
  server = createHttpServer(stack.yoga, stack.config.http);
  webSockets = attachWebSocketServer(server, stack.yoga, { allowedOrigins: stack.config.corsOrigins });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webSocketUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  full = bearer(await token());
  for (const [name, options] of Object.entries(TOKEN_VARIANTS)) tokens.set(name, await token(options));
  const page = async (workGroup: string) =>
    (
      await send(
        stack,
        post(`{ sessions(workGroup: "${workGroup}", first: 2) { pageInfo { endCursor } } }`, undefined, full),
      )
    ).json!.data.sessions.pageInfo.endCursor as string;
  primaryCursor = await page('primary');
  analyticsCursor = await page('analytics');
  mergedCursor = (
    await send(
      stack,
      post(
        '{ allSessions(workGroups: ["primary", "analytics"], first: 2) { pageInfo { endCursor } } }',
        undefined,
        full,
      ),
    )
  ).json!.data.allSessions.pageInfo.endCursor as string;
  foreignCursor = new CursorCodec(Buffer.from('another gateway entirely')).encode({
    workGroup: 'primary',
    state: undefined,
    pageToken: undefined,
    index: 1,
    sessionId: undefined,
  });
});
afterAll(async () => {
  await webSockets?.dispose();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stack?.close();
});
beforeEach(() => stack.resetCalls());

interface Row {
  name: string;
  request: () => RawRequest;
  status: number;
  /** The first error's code; null when the answer carries no error (or no body at all). */
  code: string | null;
  /** Checked when given. */
  data?: unknown;
}

const json = (body: string, headers: Record<string, string> = {}): RawRequest => ({
  headers: { 'content-type': 'application/json', ...full, ...headers },
  body,
});
const q = (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  post(query, variables, { ...full, ...headers });
const long = (n: number) => 'x'.repeat(n);
const globalId = (raw: string) => Buffer.from(raw, 'utf8').toString('base64');
const SESSION = 'some-session-id';
const TERMINATE = `mutation { terminateSession(input: { sessionId: "${SESSION}" }) { state } }`;
const START = (input: string) => `mutation { startSession(input: { ${input} }) { session { sessionId } } }`;
const CALCULATE = (input: string) =>
  `mutation { startCalculation(input: { ${input} }) { calculation { calculationId } } }`;
const SESSIONS = (args: string) => `{ sessions(${args}) { edges { cursor } } }`;
const EMPTY_CONNECTION = { sessions: { edges: [] } };
const ALL_SESSIONS = (args: string) => `{ allSessions(${args}) { edges { cursor } } }`;
const WORK_GROUPS = (args: string) => `{ workGroups(${args}) { edges { cursor } } }`;

const bodiesAndContentTypes: Row[] = [
  { name: 'invalid JSON', request: () => json('{not json'), status: 400, code: 'BAD_REQUEST' },
  { name: 'empty JSON body', request: () => json(''), status: 400, code: 'BAD_REQUEST' },
  { name: 'JSON null', request: () => json('null'), status: 400, code: 'BAD_REQUEST' },
  { name: 'JSON number', request: () => json('42'), status: 400, code: 'BAD_REQUEST' },
  { name: 'JSON string', request: () => json('"{ __typename }"'), status: 400, code: 'BAD_REQUEST' },
  { name: 'JSON true', request: () => json('true'), status: 400, code: 'BAD_REQUEST' },
  { name: 'empty object', request: () => json('{}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'query is a number', request: () => json('{"query": 42}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'query is null', request: () => json('{"query": null}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'query is an object', request: () => json('{"query": {"a": 1}}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'query is an array', request: () => json('{"query": ["{ __typename }"]}'), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'variables is a string',
    request: () => json('{"query": "{ __typename }", "variables": "x"}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'variables is an array',
    request: () => json('{"query": "{ __typename }", "variables": [1]}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'extensions is a string',
    request: () => json('{"query": "{ __typename }", "extensions": "x"}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'operationName is a number',
    request: () => json('{"query": "{ __typename }", "operationName": 5}'),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'unknown body key',
    request: () => json('{"query": "{ __typename }", "foo": 1}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: '__proto__ body key',
    request: () => json('{"__proto__": {"query": "{ __typename }"}}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'persisted-query hash without a query',
    request: () => json('{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'batch of two',
    request: () => json('[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'batch of one', request: () => json('[{"query": "{ __typename }"}]'), status: 400, code: 'BAD_REQUEST' },
  { name: 'empty batch', request: () => json('[]'), status: 400, code: 'BAD_REQUEST' },
  {
    name: '5,000 nested JSON arrays',
    request: () => json(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'text/plain POST (a cross-site simple request)',
    request: () => ({ headers: { 'content-type': 'text/plain', ...full }, body: '{"query": "{ __typename }"}' }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
  {
    name: 'form-encoded query',
    request: () => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...full },
      body: 'query=%7B__typename%7D',
    }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
  {
    name: 'form-encoded terminateSession',
    request: () => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...full },
      body: new URLSearchParams({ query: TERMINATE }).toString(),
    }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
  {
    name: 'multipart form without a CSRF header',
    request: () => ({
      headers: { 'content-type': 'multipart/form-data; boundary=x', ...full },
      body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--x--\r\n',
    }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
  {
    name: 'multipart form with a CSRF header (no uploads here)',
    request: () => ({
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'x-graphql-csrf': '1', ...full },
      body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--x--\r\n',
    }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'POST without a Content-Type',
    request: () => ({ headers: { ...full }, body: '{"query": "{ __typename }"}' }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
  {
    name: 'XML body',
    request: () => ({ headers: { 'content-type': 'application/xml', ...full }, body: '<query/>' }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'application/graphql body with a syntax error',
    request: () => ({ headers: { 'content-type': 'application/graphql', ...full }, body: '{ __typename' }),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'body over 256 KB with Content-Length',
    request: () => q(`{ __typename } # ${long(300_000)}`),
    status: 413,
    code: 'REQUEST_ENTITY_TOO_LARGE',
  },
  {
    name: 'body over 256 KB streamed without Content-Length',
    request: () => ({
      headers: { 'content-type': 'application/json', ...full },
      body: new ReadableStream({
        start(controller) {
          const chunk = new TextEncoder().encode(long(64 * 1024));
          controller.enqueue(new TextEncoder().encode('{"query": "{ __typename }", "x": "'));
          for (let i = 0; i < 6; i += 1) controller.enqueue(chunk);
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      }),
    }),
    status: 413,
    code: 'REQUEST_ENTITY_TOO_LARGE',
  },
  { name: 'PUT', request: () => ({ ...q('{ __typename }'), method: 'PUT' }), status: 405, code: 'BAD_REQUEST' },
  { name: 'DELETE', request: () => ({ method: 'DELETE', headers: { ...full } }), status: 405, code: 'BAD_REQUEST' },
  { name: 'PATCH', request: () => ({ ...q(TERMINATE), method: 'PATCH' }), status: 405, code: 'BAD_REQUEST' },
  {
    name: 'only text/html is acceptable',
    request: () => q('{ __typename }', undefined, { accept: 'text/html' }),
    status: 406,
    code: null,
  },
];

const overGet: Row[] = [
  { name: 'terminateSession over GET', request: () => get(TERMINATE, full), status: 405, code: 'BAD_REQUEST' },
  {
    name: 'startSession over GET',
    request: () => get(START('workGroup: "primary"'), full),
    status: 405,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a mutation picked by operationName over GET',
    request: () =>
      get(`query A { __typename } ${TERMINATE.replace('mutation', 'mutation B')}`, full, { operationName: 'B' }),
    status: 405,
    code: 'BAD_REQUEST',
  },
  {
    name: 'GET with variables that are not JSON',
    request: () => get('{ __typename }', full, { variables: '{oops' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'GET with extensions that are not JSON',
    request: () => get('{ __typename }', full, { extensions: '[' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'GET without a query',
    request: () => ({ method: 'GET', headers: { ...full } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'GET with a token bomb',
    request: () => get(`{ ${repeat(1200, () => '__typename')} }`, full),
    status: 400,
    code: 'MAX_TOKENS_EXCEEDED',
  },
];

const bombs: Row[] = [
  {
    name: 'depth bomb of 20 nested fields',
    request: () => q(`{ ${'a { '.repeat(20)}b${' }'.repeat(20)} }`),
    status: 400,
    code: 'MAX_DEPTH_EXCEEDED',
  },
  {
    name: 'depth bomb through nested inline fragments',
    request: () => q(`{ ${'... on Query { a { '.repeat(12)}b${' } }'.repeat(12)} }`),
    status: 400,
    code: 'MAX_DEPTH_EXCEEDED',
  },
  {
    name: '101 __typename aliases',
    request: () => q(`{ ${repeat(101, (i) => `a${i}: __typename`)} }`),
    status: 400,
    code: 'MAX_ALIASES_EXCEEDED',
  },
  {
    name: '31 aliased session lookups',
    request: () => q(`{ ${repeat(31, (i) => `s${i}: session(sessionId: "s${i}") { sessionId }`)} }`),
    status: 400,
    code: 'MAX_ALIASES_EXCEEDED',
  },
  {
    name: 'aliases spread through fragments',
    request: () =>
      q(
        `{ ...A ...B } fragment A on Query { ${repeat(16, (i) => `a${i}: __typename`)} } fragment B on Query { ${repeat(16, (i) => `b${i}: __typename`)} }`,
      ),
    status: 400,
    code: 'MAX_ALIASES_EXCEEDED',
  },
  {
    name: '10 unknown directives (directive overloading)',
    request: () => q(`query { __typename ${'@aa'.repeat(10)} }`),
    status: 400,
    code: 'MAX_DIRECTIVES_EXCEEDED',
  },
  {
    name: '9 @include directives',
    request: () => q(`{ ${repeat(9, (i) => `a${i}: __typename @include(if: true)`)} }`),
    status: 400,
    code: 'MAX_DIRECTIVES_EXCEEDED',
  },
  {
    name: '1,200 tokens',
    request: () => q(`{ ${repeat(1200, () => '__typename')} }`),
    status: 400,
    code: 'MAX_TOKENS_EXCEEDED',
  },
  {
    name: 'a field with 600 arguments',
    request: () => q(`{ session(sessionId: "x" ${repeat(600, (i) => `a${i}: 1`)}) { sessionId } }`),
    status: 400,
    code: 'MAX_TOKENS_EXCEEDED',
  },
  {
    name: 'a fragment cycle',
    request: () => q('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'a fragment spreading itself',
    request: () => q('{ ...A } fragment A on Query { __typename ...A }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'a fragment bomb doubling 12 times',
    request: () =>
      q(
        `{ ...F12 } fragment F0 on Query { sessions(workGroup: "primary", first: 100) { edges { node { statistics { dpuExecutionInMillis } } } } } ` +
          repeat(12, (i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`),
      ),
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
  },
  {
    name: '100 work groups by nodes(ids: $ids), each listing first: $n sessions with details',
    request: () =>
      q(
        'query($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on WorkGroup { sessions(first: $n) { edges { node { statistics { dpuExecutionInMillis } } } } } } }',
        { ids: [globalId('WorkGroup:primary')], n: 100 },
      ),
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
  },
  {
    // 20 GetSessionStatus, 20 ListCalculationExecutions and 2,000 GetCalculationExecutionCode: the
    // code is a leaf, yet a call of its own each (6,040; it was 4,040 when leaves counted nothing).
    name: "20 aliased sessions, each with its 100 calculations' code",
    request: () =>
      q(
        `{ ${repeat(
          20,
          (i) => `s${i}: session(sessionId: "s${i}") { calculations(first: 100) { edges { node { code } } } }`,
        )} }`,
      ),
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
  },
  {
    name: '5 aliased pages of 100 sessions with every detail',
    request: () =>
      q(
        `{ ${repeat(
          5,
          (i) =>
            `p${i}: sessions(workGroup: "primary", first: 100) { edges { node { engineConfiguration { sparkProperties { key value } additionalConfigs { key value } classifications { name properties { key value } } } sessionConfiguration { encryptionConfiguration { kmsKey } } statistics { dpuExecutionInMillis } status { state } engineVersion { effectiveEngineVersion } } } }`,
        )} }`,
      ),
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
  },
  {
    name: 'introspection (off in production)',
    request: () => q('{ __schema { types { name } } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: '__type introspection',
    request: () => q('{ __type(name: "Session") { fields { name } } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'circular introspection',
    request: () =>
      q(
        '{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }',
      ),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'a syntax error',
    request: () => q('{ session(sessionId: "x") { sessionId }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'an unterminated string',
    request: () => q('{ session(sessionId: "x) { sessionId } }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'control characters in the document',
    request: () => q('{ __typename \u0000\u0007 }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'binary garbage as the document',
    request: () => q('\uFFFD\uD83D\uDCA5\u0001{}[]'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'an unknown field',
    request: () => q('{ sesions(workGroup: "primary") { edges { cursor } } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'an unknown operationName',
    request: () => json(JSON.stringify({ query: 'query A { __typename }', operationName: 'B' })),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'two anonymous operations',
    request: () => q('{ __typename } { __typename }'),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'last (not in the schema)',
    request: () => q(SESSIONS('workGroup: "primary", last: 5')),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
];

const badArguments: Row[] = [
  {
    name: 'empty sessionId',
    request: () => q('{ session(sessionId: "") { sessionId } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'sessionId of 257 characters',
    request: () => q(`{ session(sessionId: "${long(257)}") { sessionId } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'sessionId of 100,000 characters in a variable',
    request: () => q('query($id: String!) { session(sessionId: $id) { sessionId } }', { id: long(100_000) }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group with a space',
    request: () => q(SESSIONS('workGroup: "bad group"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group with non-ASCII letters',
    request: () => q(SESSIONS('workGroup: "prímary"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group of 129 characters',
    request: () => q(SESSIONS(`workGroup: "${long(129)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group path traversal',
    request: () => q(SESSIONS('workGroup: "../primary"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group injection',
    request: () => q(SESSIONS('workGroup: "primary\\" OR 1=1 --"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'work group with a newline',
    request: () => q(SESSIONS('workGroup: "primary\\nx"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'first: -1',
    request: () => q(SESSIONS('workGroup: "primary", first: -1')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'first: 101',
    request: () => q(SESSIONS('workGroup: "primary", first: 101')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'first: 2^31 (not an Int)',
    request: () => q(SESSIONS('workGroup: "primary", first: 2147483648')),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'first: 1.5',
    request: () => q(SESSIONS('workGroup: "primary", first: 1.5')),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'first: 1e20 in a variable',
    request: () => q('query($n: Int) { sessions(workGroup: "primary", first: $n) { edges { cursor } } }', { n: 1e20 }),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'state: an unknown enum value',
    request: () => q(SESSIONS('workGroup: "primary", state: NOPE')),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'state: an unknown enum value in a variable',
    request: () =>
      q('query($s: SessionState) { sessions(workGroup: "primary", state: $s) { edges { cursor } } }', { s: 'IDL' }),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a required variable missing',
    request: () => q('query($w: String!) { sessions(workGroup: $w) { edges { cursor } } }'),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a malformed cursor',
    request: () => q(SESSIONS('workGroup: "primary", after: "not-a-cursor"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a forged cursor (MAC replaced)',
    request: () => q(SESSIONS(`workGroup: "primary", after: "${primaryCursor.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a cursor whose payload was edited',
    request: () => {
      const [payload, mac] = primaryCursor.split('.');
      const edited = Buffer.from(
        Buffer.from(payload!, 'base64url').toString('utf8').replace('"primary"', '"analytics"'),
      ).toString('base64url');
      return q(SESSIONS(`workGroup: "analytics", after: "${edited}.${mac}"`));
    },
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a cursor from another work group',
    request: () => q(SESSIONS(`workGroup: "primary", after: "${analyticsCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a cursor from another state filter',
    request: () => q(SESSIONS(`workGroup: "primary", state: IDLE, after: "${primaryCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a cursor signed by another gateway',
    request: () => q(SESSIONS(`workGroup: "primary", after: "${foreignCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a 5,000-character cursor',
    request: () => q(SESSIONS(`workGroup: "primary", after: "${long(5000)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a malformed global id',
    request: () => q('{ node(id: "%%%") { id } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a global id of an unknown type',
    request: () => q(`{ node(id: "${globalId('User:1')}") { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a global id without padding',
    request: () => q(`{ node(id: "${globalId('Session:ab').replace(/=+$/, '')}") { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a global id holding a 300-character session id',
    request: () => q(`{ node(id: "${globalId(`Session:${long(300)}`)}") { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a global id of a bad work group',
    request: () => q(`{ node(id: "${globalId('WorkGroup:a b')}") { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'nodes with 101 ids',
    request: () =>
      q('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
        ids: Array.from({ length: 101 }, (_, i) => globalId(`Session:s${i}`)),
      }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'nodes with one bad id among good ones',
    request: () => q(`{ nodes(ids: ["${globalId('Session:ok')}", "@@"]) { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'terminate with an empty id',
    request: () => q('mutation { terminateSession(input: { sessionId: "" }) { state } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'terminate with a 300-character id',
    request: () => q(`mutation { terminateSession(input: { sessionId: "${long(300)}" }) { state } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions naming 21 work groups',
    request: () =>
      q('query($names: [String!]) { allSessions(workGroups: $names) { edges { cursor } } }', {
        names: Array.from({ length: 21 }, (_, i) => `wg${i}`),
      }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a bad work group among good ones',
    request: () => q(ALL_SESSIONS('workGroups: ["primary", "../etc"]')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with an empty work group name',
    request: () => q(ALL_SESSIONS('workGroups: [""]')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { name: 'allSessions first: 101', request: () => q(ALL_SESSIONS('first: 101')), status: 200, code: 'BAD_USER_INPUT' },
  {
    name: 'allSessions with a malformed cursor',
    request: () => q(ALL_SESSIONS('after: "not-a-cursor"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a forged cursor (MAC replaced)',
    request: () =>
      q(
        ALL_SESSIONS(
          `workGroups: ["primary", "analytics"], after: "${mergedCursor.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA"`,
        ),
      ),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a cursor whose work groups were edited',
    request: () => {
      const [payload, mac] = mergedCursor.split('.');
      const edited = Buffer.from(
        Buffer.from(payload!, 'base64url').toString('utf8').replaceAll('"analytics"', '"sandbox"'),
      ).toString('base64url');
      return q(ALL_SESSIONS(`workGroups: ["primary", "sandbox"], after: "${edited}.${mac}"`));
    },
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a cursor of other work groups',
    request: () => q(ALL_SESSIONS(`workGroups: ["primary"], after: "${mergedCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a cursor of the default list',
    request: () => q(ALL_SESSIONS(`after: "${mergedCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a cursor of another state filter',
    request: () => q(ALL_SESSIONS(`workGroups: ["primary", "analytics"], state: IDLE, after: "${mergedCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a sessions cursor',
    request: () => q(ALL_SESSIONS(`workGroups: ["primary"], after: "${primaryCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'sessions with an allSessions cursor',
    request: () => q(SESSIONS(`workGroup: "primary", after: "${mergedCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'allSessions with a 70,000-character cursor',
    request: () => q('query($a: String) { allSessions(after: $a) { edges { cursor } } }', { a: long(70_000) }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { name: 'workGroups first: 101', request: () => q(WORK_GROUPS('first: 101')), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'workGroups first: -1', request: () => q(WORK_GROUPS('first: -1')), status: 200, code: 'BAD_USER_INPUT' },
  {
    name: 'workGroups with a malformed cursor',
    request: () => q(WORK_GROUPS('after: "not-a-cursor"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'workGroups with a sessions cursor',
    request: () => q(WORK_GROUPS(`after: "${primaryCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'workGroups with an allSessions cursor',
    request: () => q(WORK_GROUPS(`after: "${mergedCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'workGroups with a cursor signed by another gateway',
    request: () => q(WORK_GROUPS(`after: "${foreignCursor}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'workGroup with a bad name, asking for its state',
    request: () => q('{ workGroup(name: "a b") { state description } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start in a bad work group',
    request: () => q(START('workGroup: "no spaces"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with 5,001 DPUs',
    request: () => q(START('workGroup: "primary", engineConfiguration: { maxConcurrentDpus: 5001 }')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with 101 Spark properties',
    request: () =>
      q('mutation($input: StartSessionInput!) { startSession(input: $input) { session { sessionId } } }', {
        input: {
          workGroup: 'primary',
          engineConfiguration: {
            sparkProperties: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
          },
        },
      }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with a 256-character Spark property key',
    request: () =>
      q(START(`workGroup: "primary", engineConfiguration: { sparkProperties: [{ key: "${long(256)}", value: "v" }] }`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with a 1,025-character description',
    request: () => q(START(`workGroup: "primary", description: "${long(1025)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with an idle timeout of 0',
    request: () => q(START('workGroup: "primary", idleTimeoutMinutes: 0')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with a 129-character client request token',
    request: () => q(START(`workGroup: "primary", clientRequestToken: "${long(129)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'start with a 31-character client request token',
    request: () => q(START(`workGroup: "primary", clientRequestToken: "${long(31)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  // Calculations: AWS's model (CalculationExecutionId 1..36, CodeBlock <= 68,000, Description 1..1024, ClientRequestToken 32..128).
  {
    name: 'empty calculationId',
    request: () => q('{ calculation(calculationId: "") { calculationId } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculationId of 37 characters',
    request: () => q(`{ calculation(calculationId: "${long(37)}") { calculationId } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation global id of 37 characters',
    request: () => q(`{ node(id: "${globalId(`Calculation:${long(37)}`)}") { id } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: '_entities with a numeric calculationId',
    request: () =>
      q('{ _entities(representations: [{ __typename: "Calculation", calculationId: 7 }]) { __typename } }'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'stop with a 300-character id',
    request: () => q(`mutation { stopCalculation(input: { calculationId: "${long(300)}" }) { state } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation in an empty session id',
    request: () => q(CALCULATE('sessionId: "", codeBlock: "1"')),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation of 68,001 characters of code',
    request: () =>
      q(
        'mutation($input: StartCalculationInput!) { startCalculation(input: $input) { calculation { calculationId } } }',
        { input: { sessionId: SESSION, codeBlock: long(68_001) } },
      ),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation with an empty description',
    request: () => q(CALCULATE(`sessionId: "${SESSION}", codeBlock: "1", description: ""`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation with a 31-character client request token',
    request: () => q(CALCULATE(`sessionId: "${SESSION}", codeBlock: "1", clientRequestToken: "${long(31)}"`)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculation without code',
    request: () => q(CALCULATE(`sessionId: "${SESSION}"`)),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  // Checked before the session's own call, though the connection sits below the session.
  {
    name: 'calculations first: 101',
    request: () => q(`{ session(sessionId: "${SESSION}") { calculations(first: 101) { edges { cursor } } } }`),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'calculations first: -1 in a variable, under node',
    request: () =>
      q(
        `query($n: Int) { node(id: "${globalId(`Session:${SESSION}`)}") { ... on Session { calculations(first: $n) { edges { cursor } } } } }`,
        { n: -1 },
      ),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
];

const QUERY = '{ sessions(workGroup: "primary") { edges { cursor } } }';
const withAuth = (authorization: string) => post(QUERY, undefined, { authorization });
const withToken = (name: string) => post(QUERY, undefined, as(name));

const badTokens: Row[] = [
  { name: 'no Authorization header', request: () => post(QUERY), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'Basic credentials',
    request: () => withAuth(`Basic ${Buffer.from('admin:admin').toString('base64')}`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'Bearer with nothing after it', request: () => withAuth('Bearer '), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'a token that is not a JWT',
    request: () => withAuth('Bearer garbage'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'three parts of base64 garbage',
    request: () => withAuth('Bearer aGVsbG8.d29ybGQ.Zm9v'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'alg: none',
    request: () =>
      withAuth(
        `Bearer ${unsignedToken({ scope: 'sessions:read sessions:write', workgroups: ['*'], exp: Math.floor(Date.now() / 1000) + 300 })}`,
      ),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'signed with another secret', request: () => withToken('wrongSecret'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'HS384 (algorithm not accepted)', request: () => withToken('hs384'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'HS512 (algorithm not accepted)', request: () => withToken('hs512'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'expired an hour ago', request: () => withToken('expired'), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'expired two minutes ago (beyond the 30 s tolerance)',
    request: () => withToken('expiredJustOutsideTolerance'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'no exp claim', request: () => withToken('noExpiry'), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'not valid for another hour (nbf)',
    request: () => withToken('notYetValid'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'another issuer', request: () => withToken('wrongIssuer'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'no issuer', request: () => withToken('noIssuer'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'another audience', request: () => withToken('wrongAudience'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'no audience', request: () => withToken('noAudience'), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'an unknown critical header',
    request: () =>
      withAuth(`Bearer ${handSignedToken({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': true }, validClaims())}`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'HS256 header over a valid signature of other claims',
    request: () => {
      const [header, , signature] = handSignedToken({ alg: 'HS256' }, validClaims()).split('.');
      const claims = Buffer.from(JSON.stringify({ ...validClaims(), sub: 'mallory' })).toString('base64url');
      return withAuth(`Bearer ${header}.${claims}.${signature}`);
    },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'scope claim that is a number',
    request: () => withToken('scopeNumber'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'workgroups claim that is a string',
    request: () => withToken('workGroupsString'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'workgroups claim of numbers',
    request: () => withToken('workGroupsNumbers'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'a 9 KB token', request: () => withAuth(`Bearer ${long(9 * 1024)}`), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'a token with characters outside base64url',
    request: () => withAuth('Bearer abc$def.ghi'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'two bearer credentials in one header',
    request: () => withAuth(`Bearer ${tokens.get('readOnly')}, Bearer ${tokens.get('readOnly')}`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a valid token with no credentials for a mutation',
    request: () => post(TERMINATE),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a form POST without a token',
    request: () => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    }),
    status: 403,
    code: 'CSRF_PREVENTED',
  },
];

const wrongScopesAndWorkGroups: Row[] = [
  {
    name: 'read-only token terminates',
    request: () => post(TERMINATE, undefined, as('readOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'read-only token starts',
    request: () => post(START('workGroup: "primary"'), undefined, as('readOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'write-only token reads a session',
    request: () => post('{ session(sessionId: "x") { sessionId } }', undefined, as('writeOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'write-only token lists sessions',
    request: () => post(QUERY, undefined, as('writeOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'read-only token starts a calculation',
    request: () => post(CALCULATE(`sessionId: "${SESSION}", codeBlock: "1"`), undefined, as('readOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'read-only token stops a calculation',
    request: () =>
      post('mutation { stopCalculation(input: { calculationId: "x" }) { state } }', undefined, as('readOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'write-only token reads a calculation',
    request: () => post('{ calculation(calculationId: "x") { calculationId } }', undefined, as('writeOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'token without scopes reads a node',
    request: () => post(`{ node(id: "${globalId('Session:x')}") { id } }`, undefined, as('noScope')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'token without scopes reads a work group',
    request: () => post('{ workGroup(name: "primary") { name } }', undefined, as('noScope')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'primary-only token lists analytics',
    request: () => post(SESSIONS('workGroup: "analytics"'), undefined, as('primaryOnly')),
    status: 200,
    code: null,
    data: EMPTY_CONNECTION,
  },
  {
    name: 'primary-only token follows an analytics cursor',
    request: () => post(SESSIONS(`workGroup: "analytics", after: "${analyticsCursor}"`), undefined, as('primaryOnly')),
    status: 200,
    code: null,
    data: EMPTY_CONNECTION,
  },
  {
    name: 'primary-only token reads work group analytics',
    request: () =>
      post('{ workGroup(name: "analytics") { name sessions { edges { cursor } } } }', undefined, as('primaryOnly')),
    status: 200,
    code: null,
    data: { workGroup: null },
  },
  {
    name: 'primary-only token reads analytics by global id',
    request: () => post(`{ node(id: "${globalId('WorkGroup:analytics')}") { id } }`, undefined, as('primaryOnly')),
    status: 200,
    code: null,
    data: { node: null },
  },
  {
    name: 'primary-only token starts in analytics',
    request: () => post(START('workGroup: "analytics"'), undefined, as('primaryOnly')),
    status: 200,
    code: 'NOT_FOUND',
  },
  {
    name: 'token with no work groups lists primary',
    request: () => post(SESSIONS('workGroup: "primary"'), undefined, as('noWorkGroups')),
    status: 200,
    code: null,
    data: EMPTY_CONNECTION,
  },
  {
    name: 'token with no work groups starts in primary',
    request: () => post(START('workGroup: "primary"'), undefined, as('noWorkGroups')),
    status: 200,
    code: 'NOT_FOUND',
  },
  {
    name: 'primary-only token merges analytics alone',
    request: () => post(ALL_SESSIONS('workGroups: ["analytics"]'), undefined, as('primaryOnly')),
    status: 200,
    code: null,
    data: { allSessions: { edges: [] } },
  },
  {
    name: 'token with no work groups merges every work group it may see',
    request: () => post(ALL_SESSIONS('first: 10'), undefined, as('noWorkGroups')),
    status: 200,
    code: null,
    data: { allSessions: { edges: [] } },
  },
  {
    name: 'token with no work groups lists work groups',
    request: () => post(WORK_GROUPS('first: 10'), undefined, as('noWorkGroups')),
    status: 200,
    code: null,
    data: { workGroups: { edges: [] } },
  },
  {
    name: 'write-only token merges sessions',
    request: () => post(ALL_SESSIONS('workGroups: ["primary"]'), undefined, as('writeOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    name: 'write-only token lists work groups',
    request: () => post(WORK_GROUPS('first: 10'), undefined, as('writeOnly')),
    status: 200,
    code: 'FORBIDDEN',
  },
];

const CORPUS: [string, Row[]][] = [
  ['bodies, content types, sizes and methods', bodiesAndContentTypes],
  ['GET', overGet],
  ['depth, alias, directive, token, fragment and cost bombs', bombs],
  ['bad arguments, ids and cursors', badArguments],
  ['bad tokens', badTokens],
  ['wrong scopes and other work groups', wrongScopesAndWorkGroups],
];

describe('hostile request corpus', () => {
  it('has at least 80 rows', () => {
    expect(CORPUS.flatMap(([, rows]) => rows).length).toBeGreaterThanOrEqual(80);
  });

  describe.each(CORPUS)('%s', (_group, rows) => {
    it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const response = await send(stack, row.request());
      expect({ status: response.status, code: response.code ?? null }).toEqual({ status: row.status, code: row.code });
      if (row.data !== undefined) expect(response.json?.data).toEqual(row.data);
      expectNoLeak(response);
      expect(response.text).not.toMatch(/did you mean/i);
      expect(stack.calls()).toEqual({});
    });
  });

  /** Whether a row can be sent as a graphql-ws operation (rows are built before tokens exist; the shape is what counts here). */
  const relayable = (row: Row) => {
    try {
      return asWebSocketOperation(row.request()) !== undefined;
    } catch {
      return false;
    }
  };
  const OVER_WEBSOCKET = CORPUS.map(([group, rows]) => [group, rows.filter(relayable)] as const).filter(
    ([, rows]) => rows.length > 0,
  );

  it('runs most of its rows over graphql-ws too', () => {
    expect(OVER_WEBSOCKET.flatMap(([, rows]) => rows).length).toBeGreaterThanOrEqual(60);
  });

  describe.each(OVER_WEBSOCKET)('over graphql-ws: %s', (_group, rows) => {
    it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const answer = await sendOverWebSocket(webSocketUrl, asWebSocketOperation(row.request())!);
      // What refuses a request before HTTP reads it refuses the socket: no token in the handshake
      // (4401), a message over the body limit (1009, the socket's "too big").
      if (row.code === 'UNAUTHENTICATED') expect(answer.closeCode).toBe(4401);
      else if (row.code === 'REQUEST_ENTITY_TOO_LARGE') expect(answer.closeCode).toBe(1009);
      else {
        expect({ code: answer.code, closeCode: answer.closeCode }).toEqual({ code: row.code, closeCode: undefined });
        if (row.data !== undefined) expect(answer.data).toEqual(row.data);
      }
      expectNoLeak({
        status: 200,
        headers: new Headers(),
        text: answer.text,
        json: undefined,
        code: answer.code ?? undefined,
      });
      expect(answer.text).not.toMatch(/did you mean/i);
      expect(answer.text).not.toContain('"http"');
      expect(stack.calls()).toEqual({});
    });
  });

  // The `_entities` cost bound (a variable list counts as 500 representations) holds on a socket as on HTTP.
  describe('over graphql-ws: the _entities cost cases', () => {
    it.each(ENTITIES_COST_CASES.map((row) => [row.name, row] as const))(
      '%s',
      async (_name, { query, variables, refused }) => {
        const answer = await sendOverWebSocket(webSocketUrl, {
          payload: { query, variables },
          authorization: full.authorization,
        });
        expect(answer.closeCode).toBeUndefined();
        if (refused) {
          expect(answer.code).toBe('COST_LIMIT_EXCEEDED');
          expect(stack.calls()).toEqual({});
        } else {
          expect(answer.code).not.toBe('COST_LIMIT_EXCEEDED');
        }
      },
    );
  });

  it('a 401 names the Bearer scheme in WWW-Authenticate, and says invalid_token when a token was sent', async () => {
    const missing = await send(stack, post(QUERY));
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="athena-sessions-gateway"$/);
    const expired = await send(stack, withToken('expired'));
    expect(expired.headers.get('www-authenticate')).toMatch(
      /^Bearer .*error="invalid_token", error_description="the token has expired"/,
    );
    expect(expired.json?.errors?.[0]?.message).toMatch(/expired/);
  });

  it('the Athena endpoint and region come from configuration only: headers and extensions naming others change nothing', async () => {
    const response = await send(stack, {
      headers: {
        'content-type': 'application/json',
        ...full,
        host: 'athena.eu-west-1.amazonaws.com',
        'x-forwarded-host': 'evil.example',
        'x-amz-region': 'eu-west-1',
        'x-athena-endpoint': 'http://evil.example',
      },
      body: JSON.stringify({
        query: '{ sessions(workGroup: "primary", first: 1) { edges { node { workGroup } } } }',
        extensions: { endpoint: 'http://evil.example', region: 'eu-west-1' },
      }),
    });
    expect(response.json?.data.sessions.edges).toEqual([{ node: { workGroup: 'primary' } }]);
    // The configured (local) service answered it.
    expect(stack.calls()).toEqual({ ListSessions: 1 });
  });

  it('no module but the CLI reads the environment (and the CLI only hands it to loadConfig)', async () => {
    const readers: string[] = [];
    const walk = async (directory: string): Promise<void> => {
      for (const entry of await readdir(directory, { withFileTypes: true })) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (path.endsWith('.ts') && /process\.env\b/.test(await readFile(path, 'utf8'))) readers.push(path);
      }
    };
    await walk('src');
    expect(readers).toEqual([join('src', 'cli.ts')]);
    expect((await readFile(join('src', 'cli.ts'), 'utf8')).match(/process\.env\b.*/g)).toEqual(['process.env);']);
  });

  it('no hostile request takes the server down: it still answers a valid query afterwards', async () => {
    const response = await send(
      stack,
      q('{ sessions(workGroup: "primary", first: 1) { edges { node { sessionId } } } }'),
    );
    expect(response.status).toBe(200);
    expect(response.json?.data?.sessions.edges).toHaveLength(1);
  });
});
