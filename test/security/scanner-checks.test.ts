// Our own versions of the twelve checks graphql-cop runs, against the production configuration
// (ATHENA_ENDPOINT=aws-like: auth on, introspection and GraphiQL off; Athena is the local
// service). Each probe is sent as graphql-cop sends it, with a valid token (a scanner given
// credentials: the worst case), and the verdict is graphql-cop's own criterion. Where the
// production answer is on purpose (queries over GET), the test pins the intended behaviour and
// docs/security.md says why. Each check that depends on configuration is also run against the
// local configuration, to show the test can tell the difference.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';
import {
  bearer,
  expectNoLeak,
  get,
  post,
  type RawRequest,
  type RawResponse,
  repeat,
  send,
  startProductionStack,
  token,
} from './support.js';

let production: Stack;
let local: Stack;
let auth: Record<string, string>;

beforeAll(async () => {
  [production, local] = await Promise.all([startProductionStack(), startStack()]);
  auth = bearer(await token());
});
afterAll(async () => {
  await Promise.all([production.close(), local.close()]);
});
beforeEach(() => {
  production.resetCalls();
  local.resetCalls();
});

/** graphql-cop posts JSON with `query` only. */
const cop = (stack: Stack, query: string, headers: Record<string, string> = auth) =>
  send(stack, post(query, undefined, headers));
const messages = (response: RawResponse) => (response.json?.errors ?? []).map((error) => error.message).join('\n');

describe('graphql-cop checks against the production configuration', () => {
  it('1. field suggestions: no "Did you mean" in any error', async () => {
    const probes = [
      'query cop { __schema { directive } }',
      '{ sesions(workGroup: "primary") { edges { cursor } } }',
      '{ sessions(workGroup: "primary", firs: 1) { edges { cursor } } }',
      '{ sessions(workGroup: "primary", state: IDL) { edges { cursor } } }',
      '{ ... on Sesion { id } }',
      'mutation { startSession(input: { workGrup: "primary" }) { session { sessionId } } }',
    ];
    for (const probe of probes) {
      const response = await cop(production, probe);
      expect(response.json?.errors?.length).toBeGreaterThan(0);
      expect(messages(response)).not.toMatch(/did you mean/i);
    }
    const variable = await send(
      production,
      post(
        'query($s: SessionState) { sessions(workGroup: "primary", state: $s) { edges { cursor } } }',
        { s: 'IDL' },
        auth,
      ),
    );
    expect(messages(variable)).toMatch(/does not exist/);
    expect(messages(variable)).not.toMatch(/did you mean/i);
    // The same probes do get hints where introspection is on: the masking is what removes them.
    expect(messages(await cop(local, '{ sesions(workGroup: "primary") { edges { cursor } } }', {}))).toMatch(
      /Did you mean "sessions"/,
    );
  });

  it('2. introspection: __schema and __type are refused', async () => {
    for (const probe of [
      'query cop { __schema { types { name fields { name } } } }',
      '{ __type(name: "Session") { name fields { name } } }',
    ]) {
      const response = await cop(production, probe);
      expect({ status: response.status, code: response.code }).toEqual({
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      });
      expect(response.json?.data).toBeUndefined();
    }
    expect((await cop(local, 'query cop { __schema { types { name } } }', {})).json?.data?.__schema).toBeDefined();
  });

  it('3. GraphiQL: no IDE page on /graphql or the usual paths, for a browser with or without a token', async () => {
    const markers = /graphiql|graphql playground|graphql-playground|altair|voyager/i;
    for (const path of ['/graphql', '/graphiql', '/playground', '/console', '/graphql/graphiql', '/']) {
      for (const headers of [{ accept: 'text/html' }, { accept: 'text/html', ...auth }]) {
        const response = await send(production, { method: 'GET', path, headers });
        expect(response.text).not.toMatch(markers);
        expect(response.headers.get('content-type') ?? '').not.toMatch(/html/);
      }
    }
    const page = await send(local, { method: 'GET', path: '/graphql', headers: { accept: 'text/html' } });
    expect(page.text).toMatch(markers);
  });

  it('4. tracing: no tracing or inline trace in extensions, even when asked for', async () => {
    for (const headers of [auth, { ...auth, 'apollo-federation-include-trace': 'ftv1' }]) {
      const response = await cop(production, 'query cop { __typename }', headers);
      expect(response.json?.data).toEqual({ __typename: 'Query' });
      expect(response.json).not.toHaveProperty('extensions');
    }
  });

  it('5. unhandled errors: malformed requests and upstream failures show no exception, stack or AWS detail', async () => {
    const probes: RawRequest[] = [
      post('qwerty cop { abc }', undefined, auth),
      post('query cop { __typename { } }', undefined, auth),
      {
        headers: { 'content-type': 'application/json', ...auth },
        body: '{"query": "query cop { __typename }", "variables": {',
      },
      get('{ __typename }', auth, { variables: '{' }),
    ];
    for (const probe of probes) {
      const response = await send(production, probe);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.json?.errors)).not.toMatch(/exception|stacktrace/i);
      expectNoLeak(response);
    }
    const sessionId = (
      await cop(production, '{ sessions(workGroup: "primary", first: 1) { edges { node { sessionId } } } }')
    ).json!.data.sessions.edges[0].node.sessionId as string;
    production.athena.faults.set('GetSession', { error: 'InternalServerException' });
    try {
      const response = await cop(
        production,
        `{ session(sessionId: "${sessionId}") { sessionId statistics { dpuExecutionInMillis } } }`,
      );
      expect(response.code).toBe('UPSTREAM_ERROR');
      expect(response.text).not.toMatch(/InternalServerException|exception|stacktrace/i);
      expectNoLeak(response);
    } finally {
      production.athena.faults.clear();
    }
  });

  it('6. alias overloading: 101 aliases are refused before execution', async () => {
    const response = await cop(production, `query cop { ${repeat(101, (i) => `alias${i}:__typename`, '\n')} }`);
    expect({ status: response.status, code: response.code }).toEqual({ status: 400, code: 'MAX_ALIASES_EXCEEDED' });
    expect(response.json?.data).toBeUndefined();
  });

  it('7. batching: an array of operations is refused', async () => {
    const batch = JSON.stringify(Array.from({ length: 10 }, () => ({ query: 'query cop { __typename }' })));
    const response = await send(production, { headers: { 'content-type': 'application/json', ...auth }, body: batch });
    expect(response.status).toBe(400);
    expect(Array.isArray(response.json)).toBe(false);
    expect(response.json?.data).toBeUndefined();
  });

  it('8. directive overloading: ten duplicated directives get one refusal, not ten errors', async () => {
    const response = await cop(production, 'query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }');
    expect({ status: response.status, code: response.code }).toEqual({ status: 400, code: 'MAX_DIRECTIVES_EXCEEDED' });
    expect(response.json?.errors).toHaveLength(1);
  });

  it('9. circular introspection: refused (introspection is off, and graphql-js bounds its depth anyway)', async () => {
    const circular =
      'query cop { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }';
    const response = await cop(production, circular);
    expect(response.status).toBe(400);
    expect(response.json?.data).toBeUndefined();
    // Even with introspection on, the nesting is refused.
    const locally = await cop(local, circular, {});
    expect(locally.json?.data).toBeUndefined();
    expect(messages(locally)).toMatch(/Maximum introspection depth exceeded/);
  });

  it('10. queries over GET: served on purpose (cacheable reads; no mutation can run), but only with a token', async () => {
    const response = await send(production, get('query cop { __typename }', auth));
    expect(response.json).toEqual({ data: { __typename: 'Query' } });
    const anonymous = await send(production, get('query cop { __typename }'));
    expect({ status: anonymous.status, code: anonymous.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('11. mutations over GET: refused with 405 and nothing runs', async () => {
    for (const mutation of [
      'mutation cop { __typename }',
      'mutation { terminateSession(input: { sessionId: "x" }) { state } }',
    ]) {
      const response = await send(production, get(mutation, auth));
      expect(response.status).toBe(405);
      expect(response.json?.data).toBeUndefined();
    }
    expect(production.calls()).toEqual({});
  });

  it('12. url-encoded POST: refused as a possible cross-site request', async () => {
    const response = await send(production, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: 'query=query+cop+%7B__typename%7D',
    });
    expect({ status: response.status, code: response.code }).toEqual({ status: 403, code: 'CSRF_PREVENTED' });
    expect(response.json?.data).toBeUndefined();
  });

  it('(field duplication, graphql-cop’s extra check) 500 duplicated __typename are answered once; 1,000 are refused by graphql-js', async () => {
    const five = await cop(production, `query cop { ${repeat(500, () => '__typename', '\n')} }`);
    expect(five.json).toEqual({ data: { __typename: 'Query' } });
    const thousand = await cop(production, `query cop { ${repeat(990, () => '__typename', '\n')} }`);
    expect({ status: thousand.status, code: thousand.code }).toEqual({
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
  });
});
