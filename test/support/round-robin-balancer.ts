// A small round-robin load balancer, as a router or ingress puts in front of the replicas: every
// HTTP request (not every connection, so keep-alive clients still spread) and every WebSocket upgrade
// goes to the next replica in turn. It counts what each replica was given, so a test can prove that
// both really served.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Balancer {
  readonly url: string;
  /** HTTP requests and WebSocket upgrades handed to each backend so far, by backend index. */
  readonly served: { http: number[]; upgrades: number[] };
  resetCounts(): void;
  close(): Promise<void>;
}

export async function startRoundRobinBalancer(backends: readonly { port: number }[]): Promise<Balancer> {
  let next = 0;
  const pick = () => {
    const index = next;
    next = (next + 1) % backends.length;
    return index;
  };
  const served = { http: backends.map(() => 0), upgrades: backends.map(() => 0) };
  const sockets = new Set<Socket>();

  const server: Server = createServer((incoming, outgoing) => {
    const index = pick();
    served.http[index]! += 1;
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: backends[index]!.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        // Flush at once: an SSE stream's headers must reach the client before its first event.
        outgoing.flushHeaders();
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
    // A client that leaves (an SSE subscriber closing) closes the replica's side too.
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    const index = pick();
    served.upgrades[index]! += 1;
    const upstream = connect(backends[index]!.port, '127.0.0.1', () => {
      const lines = [`${incoming.method} ${incoming.url} HTTP/${incoming.httpVersion}`];
      for (let at = 0; at < incoming.rawHeaders.length; at += 2)
        lines.push(`${incoming.rawHeaders[at]}: ${incoming.rawHeaders[at + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    resetCounts() {
      served.http.fill(0);
      served.upgrades.fill(0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
