// Every subscription, whatever its transport, is bounded: per socket, per caller, and by its
// token's lifetime. Over real sockets, with real JWTs.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHttpServer } from '../../src/http/server-timeouts.js';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_SUBJECT } from '../../src/security/limits.js';
import type { Stack } from '../helpers.js';
import { startProductionStack, token } from '../security/support.js';

let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let origin: string;
let sessionId: string;

const WATCH = (id: string) => ({ query: `subscription { sessionStatus(sessionId: "${id}") { state } }` });

beforeAll(async () => {
  // A long poll interval: the subscriptions here only need their first event.
  stack = await startProductionStack({ config: { subscriptionPollMs: 60_000 } });
  server = createHttpServer(stack.yoga, stack.config.http);
  webSockets = attachWebSocketServer(server, stack.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await stack.graphql(
    '{ sessions(workGroup: "primary", state: IDLE, first: 1) { edges { node { sessionId } } } }',
    {},
    { authorization: `Bearer ${await token()}` },
  );
  sessionId = page.data!.sessions.edges[0].node.sessionId;
});

afterAll(async () => {
  await webSockets?.dispose();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stack?.close();
});

/** A graphql-ws socket, acknowledged, that counts what it receives. */
async function openSocket(jwt: string) {
  const socket = new WebSocket(`${origin.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const received: { type: string; id?: string; payload?: any }[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('error', () => {});
  socket.on('message', (raw) => received.push(JSON.parse(raw.toString())));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${jwt}` } }));
  await until(() => received.some((message) => message.type === 'connection_ack'));
  let next = 0;
  return {
    socket,
    received,
    closed,
    subscribe: (payload: Record<string, unknown>) =>
      socket.send(JSON.stringify({ id: String(next++), type: 'subscribe', payload })),
    nexts: () => received.filter((message) => message.type === 'next').length,
  };
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The whole SSE answer of one subscription, read until the server ends it (or `limitMs`). */
async function sseEvents(
  jwt: string,
  limitMs = 20_000,
): Promise<{ status: number; events: { event: string; data: any }[] }> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${jwt}` },
    body: JSON.stringify(WATCH(sessionId)),
    signal: AbortSignal.timeout(limitMs),
  });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => {
      const event = /event: (\w+)/.exec(block)![1]!;
      const data = /data: (.+)/.exec(block)?.[1];
      return { event, data: data === undefined ? undefined : JSON.parse(data) };
    });
  return { status: response.status, events };
}

describe('subscription caps', () => {
  it(`one socket runs at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations at once; one more closes it with 4429`, async () => {
    const client = await openSocket(await token({ sub: 'cap-per-socket' }));
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i += 1) client.subscribe(WATCH(sessionId));
    await until(() => client.nexts() === MAX_SUBSCRIPTIONS_PER_CONNECTION);
    client.subscribe(WATCH(sessionId));
    expect(await client.closed).toBe(4429);
  }, 120_000);

  it(`one caller holds at most ${MAX_SUBSCRIPTIONS_PER_SUBJECT} subscriptions over every transport; beyond that TOO_MANY_SUBSCRIPTIONS, others unaffected`, async () => {
    const jwt = await token({ sub: 'cap-per-subject' });
    const sockets = [];
    for (let opened = 0; opened < MAX_SUBSCRIPTIONS_PER_SUBJECT; ) {
      const client = await openSocket(jwt);
      const count = Math.min(MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_SUBJECT - opened);
      for (let i = 0; i < count; i += 1) client.subscribe(WATCH(sessionId));
      await until(() => client.nexts() === count);
      opened += count;
      sockets.push(client);
    }
    // Over SSE, the same caller is refused...
    const refused = await sseEvents(jwt);
    expect(refused.events[0]!.data.errors[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(refused.events.at(-1)!.event).toBe('complete');
    // ...and over a socket that has room, as a graphql-ws error message.
    const more = await openSocket(jwt);
    more.subscribe(WATCH(sessionId));
    await until(() => more.received.some((message) => message.type === 'error'));
    expect(more.received.find((message) => message.type === 'error')!.payload[0].extensions.code).toBe(
      'TOO_MANY_SUBSCRIPTIONS',
    );
    // Another caller is not affected.
    const other = await openSocket(await token({ sub: 'someone-else' }));
    other.subscribe(WATCH(sessionId));
    await until(() => other.nexts() === 1);
    // Ending subscriptions frees their places.
    sockets[0]!.socket.close();
    await sockets[0]!.closed;
    await until(() => {
      more.subscribe(WATCH(sessionId));
      return more.nexts() > 0;
    });
    for (const client of [...sockets, more, other]) client.socket.close();
  }, 120_000);
});

describe('a subscription ends when its token expires', () => {
  // Accepted for 30 s past exp (the clock tolerance): this one has about 2 s left.
  const expiringSoon = () => token({ sub: 'expiring', expiresIn: -28 });

  it('over SSE: an UNAUTHENTICATED error event, then complete', async () => {
    const { status, events } = await sseEvents(await expiringSoon());
    expect(status).toBe(200);
    expect(events.map((event) => event.event)).toEqual(['next', 'next', 'complete']);
    expect(events[0]!.data).toEqual({ data: { sessionStatus: { state: 'IDLE' } } });
    expect(events[1]!.data.errors[0]).toMatchObject({
      message: 'Authentication failed: the token has expired',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('over graphql-ws: the socket closes with 4401', async () => {
    const client = await openSocket(await expiringSoon());
    client.subscribe(WATCH(sessionId));
    await until(() => client.nexts() === 1);
    expect(await client.closed).toBe(4401);
  });

  it('a token already past its tolerance is refused at once, on both transports', async () => {
    const expired = await token({ expiresIn: -60 });
    const sse = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${expired}` },
      body: JSON.stringify(WATCH(sessionId)),
    });
    expect(sse.status).toBe(401);
    await sse.text();
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${expired}` } }));
    expect(await new Promise((resolve) => socket.once('close', resolve))).toBe(4401);
  });
});
