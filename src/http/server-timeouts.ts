// The gateway's HTTP server, with timeouts on what a client sends. Node's defaults let a request
// take 300 s to arrive and check that only every 30 s, so a client trickling its headers or body
// a byte at a time holds a socket (and a parser) for minutes; enough of them exhaust the server.
// The values and their reasons are in security/limits.ts; they are configurable (config.ts).
import { createServer, type RequestListener, type Server } from 'node:http';
import type { HttpServerTimeouts } from '../config.js';

export function createHttpServer(listener: RequestListener, timeouts: HttpServerTimeouts): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.idleTimeoutMs,
      // How often Node looks for requests past their timeouts: often enough that a timeout holds
      // to within a fraction of itself, instead of up to 30 s late.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4)),
      ),
    },
    listener,
  );
  return server;
}
