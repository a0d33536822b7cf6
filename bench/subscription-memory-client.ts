// The clients of bench/subscription-memory.ts, in a process of their own so that their heap is not the server's.
import WebSocket from 'ws';

const { origin, payload, count } = JSON.parse(process.argv[2]!) as {
  origin: string;
  payload: Record<string, unknown>;
  count: number;
};

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
        if (message.type === 'connection_ack')
          for (let i = 0; i < batch; i += 1) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload }));
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
      const response = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('event: next')) text += new TextDecoder().decode((await reader.read()).value);
    }),
  );
  return controllers;
}

let sockets: WebSocket[] = [];
let controllers: AbortController[] = [];
process.on('message', async (command: string) => {
  if (command === 'open-ws') sockets = await overWebSocket(count);
  if (command === 'close-ws') for (const socket of sockets.splice(0)) socket.close();
  if (command === 'open-sse') controllers = await overSse(count);
  if (command === 'close-sse') for (const controller of controllers.splice(0)) controller.abort();
  process.send!('done');
});
process.send!('ready');
