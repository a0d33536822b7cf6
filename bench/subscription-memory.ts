// Heap held per open subscription, over graphql-ws and over SSE: opens N subscriptions to one
// session, then reads the heap after a full GC. Run: node --expose-gc --import tsx bench/subscription-memory.ts [N]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { SdkAthenaAdapter } from '../src/athena/sdk-adapter.js';
import { testConfig } from '../src/config.js';
import { startLocalAthena } from '../src/local-athena/server.js';
import { createGateway } from '../src/gateway.js';
import { attachWebSocketServer } from '../src/http/websocket.js';

const count = Number(process.argv[2] ?? 400);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const heapMb = async () => {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const athena = await startLocalAthena({ seed: 'demo' });
const config = testConfig({ subscriptionPollMs: 3_600_000 });
const settings = { ...config.athena, endpoint: athena.url };
const adapter = new SdkAthenaAdapter({ settings });
const yoga = createGateway({ ...config, athena: settings }, adapter);
const server = createServer(yoga);
const webSockets = attachWebSocketServer(server, yoga);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const page = (await (await yoga.fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ sessions(workGroup: "primary", state: IDLE, first: 1) { edges { node { sessionId } } } }' }) })).json()) as any;
const sessionId: string = page.data.sessions.edges[0].node.sessionId;
const payload = { query: `subscription { sessionStatus(sessionId: "${sessionId}") { state } }` };

async function overWebSocket(n: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let opened = 0; opened < n; opened += 100) {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const batch = Math.min(100, n - opened);
    let nexts = 0;
    const done = new Promise<void>((resolve) =>
      socket.on('message', (raw) => {
        const message = JSON.parse(raw.toString());
        if (message.type === 'connection_ack') for (let i = 0; i < batch; i += 1) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload }));
        if (message.type === 'next' && ++nexts === batch) resolve();
      }),
    );
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await done;
    sockets.push(socket);
  }
  return sockets;
}

async function overSse(n: number): Promise<AbortController[]> {
  const controllers: AbortController[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(payload), signal: controller.signal });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('event: next')) text += new TextDecoder().decode((await reader.read()).value);
    }),
  );
  return controllers;
}

const base = await heapMb();
const started = performance.now();
const sockets = await overWebSocket(count);
const wsMs = performance.now() - started;
const withWs = await heapMb();
for (const socket of sockets) socket.close();
await new Promise((resolve) => setTimeout(resolve, 500));
const afterWs = await heapMb();
const sseStarted = performance.now();
const controllers = await overSse(count);
const sseMs = performance.now() - sseStarted;
const withSse = await heapMb();
for (const controller of controllers) controller.abort();
await new Promise((resolve) => setTimeout(resolve, 500));
const afterSse = await heapMb();
const kb = (mb: number) => Math.round((mb * 1024) / count);
process.stdout.write(
  `${JSON.stringify({
    subscriptions: count,
    heapBaseMb: +base.toFixed(1),
    webSocket: { heapMb: +withWs.toFixed(1), kbPerSubscription: kb(withWs - base), afterCloseMb: +afterWs.toFixed(1), openMs: Math.round(wsMs) },
    sse: { heapMb: +withSse.toFixed(1), kbPerSubscription: kb(withSse - afterWs), afterCloseMb: +afterSse.toFixed(1), openMs: Math.round(sseMs) },
  })}\n`,
);
await webSockets.dispose();
server.closeAllConnections();
server.close();
adapter.destroy();
await athena.close();
process.exit(0);
