// graphql-ws clients for tests over a real socket: each one is tracked so a test file disposes them all
// in its afterEach, and each runs with the product's defaults a browser client would not change
// (no retries, connect on first operation).
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface WebSocketClientOptions {
  /** The graphql-ws `connection_init` payload; defaults to a reader's bearer token. */
  readonly connectionParams?: Record<string, unknown>;
  /** Headers on the upgrade request, as server-side clients can send. */
  readonly headers?: Record<string, string>;
}

/** A WebSocket implementation that sends chosen headers on the upgrade request. */
const withHeaders = (headers: Record<string, string>) =>
  class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };

export class WebSocketClients {
  readonly #open: Client[] = [];

  constructor(private readonly url: () => string) {}

  client(options: WebSocketClientOptions = {}): Client {
    const created = createClient({
      url: this.url(),
      webSocketImpl: options.headers ? withHeaders(options.headers) : WebSocket,
      connectionParams: options.connectionParams ?? { authorization: 'Bearer reader' },
      retryAttempts: 0,
      lazy: true,
    });
    this.#open.push(created);
    return created;
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((client) => client.dispose()));
  }
}
