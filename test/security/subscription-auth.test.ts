// The sessionStatus and calculationStatus subscriptions under real JWT auth, over both transports: the same scopes and
// work-group rules as every other entry point (a session elsewhere is NOT_FOUND, never FORBIDDEN).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachWebSocketServer } from '../../src/http/websocket.js';
import type { Stack } from '../helpers.js';
import { bearer, READ, startProductionStack, token, WRITE } from './support.js';

let stack: Stack;
let server: Server;
let webSockets: ReturnType<typeof attachWebSocketServer>;
let origin: string;
let primarySession: string;
/** A calculation in `primary` (in a session other than primarySession, which must stay IDLE). */
let primaryCalculation: string;

const subscription = (sessionId: string) => `subscription { sessionStatus(sessionId: "${sessionId}") { state } }`;
const calculationSubscription = (calculationId: string) =>
  `subscription { calculationStatus(calculationId: "${calculationId}") { state } }`;

/** The first thing a graphql-ws client hears: a result, or the errors it was refused with. */
function firstOverWebSocket(
  authorization: string | undefined,
  sessionId: string,
  query = subscription(sessionId),
): Promise<{ data?: unknown; codes: string[] }> {
  return new Promise((resolve) => {
    const client = createClient({
      url: `${origin.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: authorization === undefined ? {} : { authorization },
      retryAttempts: 0,
      lazy: true,
    });
    const finish = (value: { data?: unknown; codes: string[] }) => {
      resolve(value);
      void client.dispose();
    };
    client.subscribe(
      { query },
      {
        next: (result) =>
          finish({ data: result.data, codes: (result.errors ?? []).map((error) => String(error.extensions?.code)) }),
        error: (error) =>
          finish({
            codes: Array.isArray(error)
              ? error.map((item: { extensions?: { code?: string } }) => String(item.extensions?.code))
              : [`CLOSED ${(error as { code?: number }).code}`],
          }),
        complete: () => finish({ codes: [] }),
      },
    );
  });
}

/** The first event of an SSE subscription, or the HTTP refusal. */
async function firstOverSse(
  authorization: string | undefined,
  sessionId: string,
  query = subscription(sessionId),
): Promise<{ status: number; body: string }> {
  const controller = new AbortController();
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  if (response.status !== 200 || response.body === null)
    return { status: response.status, body: await response.text() };
  const reader = response.body.getReader();
  let body = '';
  while (!body.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    body += new TextDecoder().decode(value);
  }
  controller.abort();
  return { status: response.status, body };
}

beforeAll(async () => {
  stack = await startProductionStack();
  const page = await stack.graphql(
    '{ sessions(workGroup: "primary", state: IDLE, first: 2) { edges { node { sessionId } } } }',
    {},
    bearer(await token()),
  );
  primarySession = page.data!.sessions.edges[0].node.sessionId;
  const started = await stack.graphql(
    `mutation { startCalculation(input: { sessionId: "${page.data!.sessions.edges[1].node.sessionId}", codeBlock: "print(1)" }) { calculation { calculationId } } }`,
    {},
    bearer(await token()),
  );
  primaryCalculation = started.data!.startCalculation.calculation.calculationId;
  server = createServer(stack.yoga);
  webSockets = attachWebSocketServer(server, stack.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await webSockets?.dispose();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.close();
});

describe('sessionStatus over graphql-ws', () => {
  it('a read token gets the current status', async () => {
    const first = await firstOverWebSocket(`Bearer ${await token({ scope: READ })}`, primarySession);
    expect(first).toEqual({ data: { sessionStatus: { state: 'IDLE' } }, codes: [] });
  });

  it('no token: the handshake is refused, the socket closed with 4401', async () => {
    expect((await firstOverWebSocket(undefined, primarySession)).codes).toEqual(['CLOSED 4401']);
  });

  it('a token without sessions:read is FORBIDDEN', async () => {
    expect((await firstOverWebSocket(`Bearer ${await token({ scope: WRITE })}`, primarySession)).codes).toEqual([
      'FORBIDDEN',
    ]);
  });

  it("a session outside the caller's work groups is NOT_FOUND", async () => {
    const first = await firstOverWebSocket(
      `Bearer ${await token({ scope: READ, workgroups: ['analytics'] })}`,
      primarySession,
    );
    expect(first.codes).toEqual(['NOT_FOUND']);
  });
});

describe('sessionStatus over SSE', () => {
  it('a read token gets the current status', async () => {
    const first = await firstOverSse(`Bearer ${await token({ scope: READ })}`, primarySession);
    expect(first.status).toBe(200);
    expect(first.body).toContain('"state":"IDLE"');
  });

  it('no token is a 401 UNAUTHENTICATED before any stream opens', async () => {
    const first = await firstOverSse(undefined, primarySession);
    expect(first.status).toBe(401);
    expect(first.body).toContain('UNAUTHENTICATED');
  });

  it("a session outside the caller's work groups is NOT_FOUND", async () => {
    const first = await firstOverSse(
      `Bearer ${await token({ scope: READ, workgroups: ['analytics'] })}`,
      primarySession,
    );
    expect(first.body).toContain('NOT_FOUND');
    expect(first.body).not.toContain('"state"');
  });
});

describe('calculationStatus over both transports', () => {
  const watch = () => calculationSubscription(primaryCalculation);

  it('a read token gets the current status', async () => {
    const first = await firstOverWebSocket(`Bearer ${await token({ scope: READ })}`, '', watch());
    expect(first.codes).toEqual([]);
    expect(first.data).toEqual({ calculationStatus: { state: expect.any(String) } });
    const sse = await firstOverSse(`Bearer ${await token({ scope: READ })}`, '', watch());
    expect(sse.status).toBe(200);
    expect(sse.body).toContain('"calculationStatus":{"state"');
  });

  it('no token is refused (socket closed with 4401, HTTP 401); a token without sessions:read is FORBIDDEN', async () => {
    expect((await firstOverWebSocket(undefined, '', watch())).codes).toEqual(['CLOSED 4401']);
    expect((await firstOverSse(undefined, '', watch())).status).toBe(401);
    expect((await firstOverWebSocket(`Bearer ${await token({ scope: WRITE })}`, '', watch())).codes).toEqual([
      'FORBIDDEN',
    ]);
  });

  it("a calculation whose session is outside the caller's work groups is NOT_FOUND", async () => {
    const outsider = `Bearer ${await token({ scope: READ, workgroups: ['analytics'] })}`;
    expect((await firstOverWebSocket(outsider, '', watch())).codes).toEqual(['NOT_FOUND']);
    const sse = await firstOverSse(outsider, '', watch());
    expect(sse.body).toContain('NOT_FOUND');
    expect(sse.body).not.toContain('"state"');
  });
});
