// graphql-ws on the gateway's port and path: the same subscription, auth, error codes and limits as HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Viewer } from '../../src/auth/viewer.js';
import { UnauthenticatedError } from '../../src/errors.js';
import { type AttachedWebSocketServer, attachWebSocketServer, authorizationFrom } from '../../src/http/websocket.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { DEFAULT_LIFECYCLE_TIMINGS } from '../../src/local-athena/session-model.js';
import { MAX_REQUEST_BODY_BYTES } from '../../src/security/limits.js';
import { type Stack, startStack } from '../helpers.js';
import { type WebSocketClientOptions, WebSocketClients } from '../support/graphql-ws-client.js';

const POLL_MS = 50;
const WATCH = 'subscription($id: String!) { sessionStatus(sessionId: $id) { state stateChangeReason endDateTime } }';
const VIEWERS: Record<string, Viewer> = {
  'Bearer reader': { subject: 'reader', scopes: new Set(['sessions:read']), workGroups: '*' },
  'Bearer writer-only': { subject: 'writer', scopes: new Set(['sessions:write']), workGroups: '*' },
  'Bearer admin': { subject: 'admin', scopes: new Set(['sessions:read', 'sessions:write']), workGroups: '*' },
};

const clock = new ManualClock();
let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let url: string;
let idle: string[];
const clients = new WebSocketClients(() => url);

beforeAll(async () => {
  stack = await startStack({
    athena: { clock },
    config: { subscriptionPollMs: POLL_MS },
    gateway: {
      viewerFor: (request) => {
        const viewer = VIEWERS[request.headers.get('authorization') ?? ''];
        if (viewer === undefined) throw new UnauthenticatedError();
        return viewer;
      },
    },
  });
  server = createServer(stack.yoga);
  webSockets = attachWebSocketServer(server, stack.yoga, { allowedOrigins: ['https://app.example.com'] });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const result = await stack.graphql(
    '{ sessions(workGroup: "primary", state: IDLE, first: 20) { edges { node { sessionId } } } }',
    {},
    { authorization: 'Bearer admin' },
  );
  idle = result.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
});
afterEach(async () => {
  await clients.disposeAll();
});
afterAll(async () => {
  await webSockets.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});
beforeEach(() => stack.resetCalls());

const client = (options: WebSocketClientOptions = {}): Client => clients.client(options);

/** Runs one operation to its end: every `next`, or the `error` the server sent. */
async function run(subject: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: FormattedExecutionResult<Record<string, any>, unknown>[] = [];
  const iterator = subject.iterate<Record<string, any>>({ query, variables });
  try {
    for await (const result of iterator) results.push(result);
    return { results, error: undefined };
  } catch (error) {
    return { results, error: error as unknown };
  }
}

const codesOf = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined) =>
  (errors ?? []).map((error) => error.extensions?.code);

describe('sessionStatus over graphql-ws', () => {
  it('sends the current status, each change, and completes after TERMINATED', async () => {
    const sessionId = idle.shift()!;
    const iterator = client()
      .iterate<Record<string, any>>({ query: WATCH, variables: { id: sessionId } })
      [Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toEqual({
      data: { sessionStatus: { state: 'IDLE', stateChangeReason: null, endDateTime: null } },
    });

    await stack.graphql(
      `mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state } }`,
      {},
      { authorization: 'Bearer admin' },
    );
    expect((await iterator.next()).value!.data!.sessionStatus.state).toBe('TERMINATING');
    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.terminatingMs);
    const last = await iterator.next();
    expect(last.value!.data!.sessionStatus).toMatchObject({ state: 'TERMINATED', endDateTime: expect.any(String) });
    expect((await iterator.next()).done).toBe(true);
  });

  it('an unknown session is NOT_FOUND, and the operation completes', async () => {
    const { results, error } = await run(client(), WATCH, { id: 'no-such-session' });
    expect(error).toBeUndefined();
    expect(results).toHaveLength(1);
    expect(codesOf(results[0]!.errors)).toEqual(['NOT_FOUND']);
  });

  it('a bad session id is BAD_USER_INPUT, with no upstream call', async () => {
    const { results } = await run(client(), WATCH, { id: '' });
    expect(codesOf(results[0]!.errors)).toEqual(['BAD_USER_INPUT']);
    expect(stack.calls()).toEqual({});
  });

  it('when the client unsubscribes, the poll loop stops', async () => {
    const iterator = client()
      .iterate({ query: WATCH, variables: { id: idle.shift()! } })
      [Symbol.asyncIterator]();
    await iterator.next();
    await sleep(POLL_MS * 3);
    await iterator.return!();
    const deadline = Date.now() + 5_000;
    for (;;) {
      const before = stack.calls().GetSessionStatus ?? 0;
      await sleep(POLL_MS * 5);
      if ((stack.calls().GetSessionStatus ?? 0) === before) break;
      if (Date.now() > deadline) throw new Error('still polling after the client unsubscribed');
    }
  });
});

describe('auth over graphql-ws', () => {
  it.each([
    ['connection params { authorization }', { connectionParams: { authorization: 'Bearer reader' } }],
    ['connection params { Authorization }', { connectionParams: { Authorization: 'Bearer reader' } }],
    [
      'connection params { headers: { Authorization } }',
      { connectionParams: { headers: { Authorization: 'Bearer reader' } } },
    ],
    ['the upgrade request header', { connectionParams: {}, headers: { authorization: 'Bearer reader' } }],
  ])('reads the token from %s', async (_name, options) => {
    const { results, error } = await run(client(options), WATCH, { id: 'no-such-session' });
    expect(error).toBeUndefined();
    // Past auth and scope checks: the session lookup itself answers.
    expect(codesOf(results[0]!.errors)).toEqual(['NOT_FOUND']);
  });

  it('connection params win over the upgrade header', async () => {
    const { results } = await run(
      client({
        connectionParams: { authorization: 'Bearer writer-only' },
        headers: { authorization: 'Bearer reader' },
      }),
      WATCH,
      { id: 'x' },
    );
    expect(codesOf(results[0]!.errors)).toEqual(['FORBIDDEN']);
  });

  it('no token: the handshake is refused with 4401, before any operation is read', async () => {
    const { error } = await run(client({ connectionParams: {} }), WATCH, { id: 'x' });
    expect((error as { code?: number }).code).toBe(4401);
    expect(stack.calls()).toEqual({});
  });

  it('a token without sessions:read is FORBIDDEN', async () => {
    const { results } = await run(client({ connectionParams: { authorization: 'Bearer writer-only' } }), WATCH, {
      id: idle[0]!,
    });
    expect(codesOf(results[0]!.errors)).toEqual(['FORBIDDEN']);
    expect(stack.calls()).toEqual({});
  });

  it('authorizationFrom ignores what is not a non-empty string', () => {
    expect(authorizationFrom(undefined)).toBeUndefined();
    expect(authorizationFrom({ authorization: 42 })).toBeUndefined();
    expect(authorizationFrom({ authorization: '' })).toBeUndefined();
    expect(authorizationFrom({ headers: 'Bearer x' })).toBeUndefined();
    expect(authorizationFrom({ headers: { authorization: 'Bearer x' } })).toBe('Bearer x');
  });
});

describe('operations over graphql-ws', () => {
  it('queries and mutations run too, with the same schema and masking', async () => {
    const admin = client({ connectionParams: { authorization: 'Bearer admin' } });
    const query = await run(admin, '{ sessions(workGroup: "analytics", first: 3) { edges { node { sessionId } } } }');
    expect(query.error).toBeUndefined();
    expect(query.results[0]!.data!.sessions.edges).toHaveLength(3);
    const mutation = await run(
      admin,
      'mutation { terminateSession(input: { sessionId: "no-such-session" }) { state } }',
    );
    expect(codesOf(mutation.results[0]!.errors)).toEqual(['NOT_FOUND']);
  });

  it('syntax and validation errors come back as error messages with their codes', async () => {
    const syntax = await run(client(), 'subscription { sessionStatus(');
    expect(codesOf(syntax.error as never)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const invalid = await run(client(), 'subscription { sessionStatus(sessionId: "x") { nope } }');
    expect(codesOf(invalid.error as never)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('the WebSocket endpoint', () => {
  /** Opens a raw socket and reports whether the upgrade was accepted, or the HTTP status it got. */
  function upgrade(path: string, headers: Record<string, string>): Promise<'open' | number> {
    return new Promise((resolve) => {
      const socket = new WebSocket(url.replace('/graphql', path), 'graphql-transport-ws', { headers });
      socket.once('open', () => {
        socket.close();
        resolve('open');
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', () => {});
    });
  }

  it('accepts listed origins and non-browser clients; refuses every other origin, its own Host included (DNS rebinding)', async () => {
    const host = new URL(url).host;
    expect(await upgrade('/graphql', {})).toBe('open');
    expect(await upgrade('/graphql', { origin: 'https://app.example.com' })).toBe('open');
    expect(await upgrade('/graphql', { origin: 'https://app.example.com', host: 'app.example.com' })).toBe('open');
    // A rebinding page's Origin and Host name the attacker's domain, which the server cannot tell from its own.
    expect(await upgrade('/graphql', { origin: 'http://rebind.example:80', host: 'rebind.example:80' })).toBe(403);
    expect(await upgrade('/graphql', { origin: `http://${host}` })).toBe(403);
    expect(await upgrade('/graphql', { origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade('/graphql', { origin: 'null' })).toBe(403);
  });

  it('refuses the legacy subscriptions-transport-ws subprotocol, and closes on oversized messages (1009)', async () => {
    const closeCode = (socket: WebSocket) =>
      new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const legacy = new WebSocket(url, 'graphql-ws');
    const refused = new Promise<string>((resolve) => legacy.once('error', (error) => resolve(error.message)));
    expect(await closeCode(legacy)).toBe(1006);
    // The server does not accept the subprotocol, so the client gives up on the handshake.
    expect(await refused).toBe('Server sent no subprotocol');

    const big = new WebSocket(url, 'graphql-transport-ws');
    big.once('error', () => {});
    await new Promise((resolve) => big.once('open', resolve));
    const closed = closeCode(big);
    big.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(MAX_REQUEST_BODY_BYTES) } }));
    expect(await closed).toBe(1009);
  });

  it('lives on /graphql only', async () => {
    expect(await upgrade('/elsewhere', {})).toBe(400);
  });

  it('dispose closes open sockets with 1001 and detaches', async () => {
    const local = createServer(stack.yoga);
    const attached = attachWebSocketServer(local, stack.yoga);
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const socket = new WebSocket(
      `ws://127.0.0.1:${(local.address() as AddressInfo).port}/graphql`,
      'graphql-transport-ws',
    );
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await attached.dispose();
    expect(await closed).toBe(1001);
    expect(local.listenerCount('upgrade')).toBe(0);
    local.closeAllConnections();
    await new Promise((resolve) => local.close(resolve));
  });
});
