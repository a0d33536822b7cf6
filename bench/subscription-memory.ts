// Heap held per open subscription, over graphql-ws and over SSE: opens N subscriptions to one
// session, then reads the heap after a full GC. The clients run in a child process, so the
// figures are the server's alone.
// Run: node --expose-gc --import tsx bench/subscription-memory.ts [N]

import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPortStack } from '../src/athena/port-stack.js';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { attachWebSocketServer } from '../src/http/websocket.js';
import { startLocalAthena } from '../src/local-athena/server.js';

// At most MAX_SUBSCRIPTIONS_PER_SUBJECT: auth is off here, so every subscription is one caller's.
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
const config = { ...loadConfig({ LOG_LEVEL: 'silent' }), subscriptionPollMs: 3_600_000 };
const settings = { ...config.athena, endpoint: athena.url };
// The stack `serve` builds, so the heap per subscription is what users' processes hold.
const stack = createPortStack({ ...config, athena: settings });
const yoga = createGateway({ ...config, athena: settings }, stack.port, { resilience: stack.resilient });
const server = createServer(yoga);
const webSockets = attachWebSocketServer(server, yoga);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const page = (await (
  await yoga.fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: '{ sessions(workGroup: "primary", state: IDLE, first: 1) { edges { node { sessionId } } } }',
    }),
  })
).json()) as any;
const sessionId: string = page.data.sessions.edges[0].node.sessionId;
const payload = { query: `subscription { sessionStatus(sessionId: "${sessionId}") { state } }` };

const worker = fork(
  fileURLToPath(new URL('./subscription-memory-client.ts', import.meta.url)),
  [JSON.stringify({ origin, payload, count })],
  {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  },
);
const fromWorker = () => new Promise<unknown>((resolve) => worker.once('message', resolve));
const step = async (command: string) => {
  worker.send(command);
  await fromWorker();
};
await fromWorker();
const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));
const base = await heapMb();
const sseStarted = performance.now();
await step('open-sse');
const sseMs = performance.now() - sseStarted;
const withSse = await heapMb();
await step('close-sse');
await settle();
const afterSse = await heapMb();
const started = performance.now();
await step('open-ws');
const wsMs = performance.now() - started;
const withWs = await heapMb();
await step('close-ws');
await settle();
const afterWs = await heapMb();
worker.kill();
const kb = (mb: number) => Math.round((mb * 1024) / count);
process.stdout.write(
  `${JSON.stringify({
    subscriptions: count,
    heapBaseMb: +base.toFixed(1),
    sse: {
      heapMb: +withSse.toFixed(1),
      kbPerSubscription: kb(withSse - base),
      afterCloseMb: +afterSse.toFixed(1),
      openMs: Math.round(sseMs),
    },
    webSocket: {
      heapMb: +withWs.toFixed(1),
      kbPerSubscription: kb(withWs - afterSse),
      afterCloseMb: +afterWs.toFixed(1),
      openMs: Math.round(wsMs),
    },
  })}\n`,
);
await webSockets.dispose();
server.closeAllConnections();
server.close();
stack.destroy();
await athena.close();
process.exit(0);
