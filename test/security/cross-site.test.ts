// CORS from the allow-list, and CSRF prevention that stops forms and simple requests while
// GraphiQL, curl-style JSON POSTs, GET queries and SSE keep working.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers.js';
import { ALLOWED_ORIGIN, bearer, get, post, send, startProductionStack, token } from './support.js';

let stack: Stack;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startProductionStack();
  auth = bearer(await token());
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

const preflight = (target: Stack, origin: string) =>
  send(target, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

describe('CORS allow-list', () => {
  it('a listed origin gets its own origin back, the methods, and no credentials', async () => {
    const response = await preflight(stack, ALLOWED_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const actual = await send(stack, post('{ __typename }', undefined, { ...auth, origin: ALLOWED_ORIGIN }));
    expect(actual.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(actual.headers.get('vary')).toMatch(/Origin/);
  });

  it.each(['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'null'])(
    'an unlisted origin (%s) gets no CORS headers, so a browser withholds the answer',
    async (origin) => {
      const response = await preflight(stack, origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      const actual = await send(stack, post('{ __typename }', undefined, { ...auth, origin }));
      expect(actual.headers.get('access-control-allow-origin')).toBeNull();
      expect(actual.headers.get('vary')).toMatch(/Origin/);
    },
  );

  it('with no CORS_ORIGINS (the default) no origin is echoed, localhost included', async () => {
    const local = await startStack();
    try {
      for (const origin of ['http://localhost:3000', 'https://evil.example']) {
        expect((await preflight(local, origin)).headers.get('access-control-allow-origin')).toBeNull();
      }
    } finally {
      await local.close();
    }
  });

  it('CORS_ORIGINS=* allows every origin, still without credentials; configured origins are normalized', async () => {
    const any = await startStack({ config: { corsOrigins: ['*'] } });
    const slashed = await startStack({ config: { corsOrigins: ['https://App.Example.com/'] } });
    try {
      const response = await preflight(any, 'https://anyone.example');
      // Echoed rather than a literal `*`, which is the same grant without credentials.
      expect(response.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect((await preflight(slashed, ALLOWED_ORIGIN)).headers.get('access-control-allow-origin')).toBe(
        ALLOWED_ORIGIN,
      );
    } finally {
      await any.close();
      await slashed.close();
    }
  });
});

describe('CSRF prevention', () => {
  const TERMINATE = 'mutation { terminateSession(input: { sessionId: "csrf-target" }) { state } }';

  it.each([
    ['application/x-www-form-urlencoded', new URLSearchParams({ query: TERMINATE }).toString()],
    [
      'multipart/form-data; boundary=b',
      `--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n${TERMINATE}\r\n--b--\r\n`,
    ],
    ['text/plain', JSON.stringify({ query: TERMINATE })],
    ['text/plain; charset=utf-8', JSON.stringify({ query: TERMINATE })],
  ])('a %s POST (what a cross-site form sends) runs nothing', async (contentType, body) => {
    const response = await send(stack, { headers: { 'content-type': contentType, ...auth }, body });
    expect({ status: response.status, code: response.code }).toEqual({ status: 403, code: 'CSRF_PREVENTED' });
    expect(response.json?.errors?.[0]?.message).toMatch(/application\/json/);
    expect(stack.calls()).toEqual({});
  });

  it('a mutation over GET runs nothing (405), even with a valid token', async () => {
    const response = await send(stack, get(TERMINATE, auth));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(stack.calls()).toEqual({});
  });

  it.each([['x-graphql-csrf'], ['x-graphql-yoga-csrf'], ['apollo-require-preflight']])(
    'a form-encoded POST carrying %s (which forces a preflight) is served',
    async (header) => {
      const response = await send(stack, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', [header]: '1', ...auth },
        body: 'query=%7B__typename%7D',
      });
      expect(response.json).toEqual({ data: { __typename: 'Query' } });
    },
  );

  it('plain `curl -H "content-type: application/json"` POSTs work, with or without a charset and an Accept header', async () => {
    for (const headers of [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json; charset=utf-8', accept: '*/*' },
    ]) {
      const response = await stack.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { ...headers, ...auth },
        body: '{"query":"{ __typename }"}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('GET queries work with no extra header (on purpose: caching, links, EventSource)', async () => {
    const response = await send(stack, get('{ __typename }', auth));
    expect(response.json).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('GraphiQL and SSE under these rules (local configuration)', () => {
  let local: Stack;
  beforeAll(async () => {
    local = await startStack();
  });
  afterAll(() => local.close());

  it('serves GraphiQL to a browser, and GraphiQL’s own requests (JSON POST, same origin) are not refused', async () => {
    const page = await local.yoga.fetch('http://localhost:4000/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
    const fetcher = await local.yoga.fetch('http://localhost:4000/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json, multipart/mixed',
        origin: 'http://localhost:4000',
      },
      body: JSON.stringify({ query: '{ __typename }', operationName: null, variables: {} }),
    });
    expect(await fetcher.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('an SSE POST with content-type application/json (as GraphiQL sends it) is streamed', async () => {
    const response = await local.yoga.fetch('http://localhost:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await response.text()).toMatch(/event: next\ndata: \{"data":\{"__typename":"Query"\}\}/);
  });

  it('an EventSource-style GET over SSE is streamed', async () => {
    const response = await local.yoga.fetch(
      `http://localhost:4000/graphql?${new URLSearchParams({ query: '{ __typename }' })}`,
      {
        headers: { accept: 'text/event-stream' },
      },
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/event: next/);
  });

  it('with auth on, an SSE request without a token gets 401 before anything runs', async () => {
    const response = await stack.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: '{ sessions(workGroup: "primary") { edges { cursor } } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await response.text();
    expect(stack.calls()).toEqual({});
  });
});
