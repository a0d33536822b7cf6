// A TCP proxy that delays every chunk by a latency the test changes at will: a slow Redis (or a
// slow network to it) without touching the server.
import { createServer, type Server, Socket } from 'node:net';

export interface LatencyProxy {
  readonly port: number;
  latencyMs: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(targetPort: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const proxy: LatencyProxy = { port: 0, latencyMs: 0, close: async () => {} };
  const delayed = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (proxy.latencyMs > 0) setTimeout(send, proxy.latencyMs);
      else send();
    });
    from.on('close', () => setTimeout(() => to.destroy(), proxy.latencyMs));
    from.on('error', () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    delayed(client, upstream);
    delayed(upstream, client);
    upstream.connect(targetPort, '127.0.0.1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  Object.assign(proxy, {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return proxy;
}
