// Subscribers to one session's status over SSE or WebSocket, against any base URL (a replica, or a
// balancer in front of several): each records the states it saw, its errors, and whether it completed.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { readSse } from '../subscriptions/sse.js';

export const WATCH_STATUS =
  'subscription($id: String!) { sessionStatus(sessionId: $id) { state lastModifiedDateTime } }';

export interface StatusWatcher {
  readonly transport: 'sse' | 'ws';
  readonly states: string[];
  readonly errors: unknown[];
  completed: boolean;
  close(): void;
}

export function watchStatus(baseUrl: string, transport: 'sse' | 'ws', sessionId: string): StatusWatcher {
  return transport === 'sse' ? watchOverSse(baseUrl, sessionId) : watchOverWebSocket(baseUrl, sessionId);
}

function watchOverSse(baseUrl: string, sessionId: string): StatusWatcher {
  const controller = new AbortController();
  const watcher: StatusWatcher = {
    transport: 'sse',
    states: [],
    errors: [],
    completed: false,
    close: () => controller.abort(),
  };
  void (async () => {
    try {
      const response = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: WATCH_STATUS, variables: { id: sessionId } }),
        signal: controller.signal,
      });
      const stream = readSse(response);
      for (;;) {
        const message = await stream.next(60_000);
        if (message === 'complete') {
          watcher.completed = true;
          return;
        }
        if (message.errors) watcher.errors.push(message.errors);
        else watcher.states.push(message.data!.sessionStatus.state);
      }
    } catch (error) {
      watcher.errors.push(error);
    }
  })();
  return watcher;
}

function watchOverWebSocket(baseUrl: string, sessionId: string): StatusWatcher {
  const client = createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const watcher: StatusWatcher = {
    transport: 'ws',
    states: [],
    errors: [],
    completed: false,
    close: () => void client.dispose(),
  };
  client.subscribe<{ sessionStatus: { state: string } }>(
    { query: WATCH_STATUS, variables: { id: sessionId } },
    {
      next: (result) =>
        result.errors ? watcher.errors.push(result.errors) : watcher.states.push(result.data!.sessionStatus.state),
      error: (error) => watcher.errors.push(error),
      complete: () => (watcher.completed = true),
    },
  );
  return watcher;
}

/** Waits for a condition, polling; returns how long it took. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}
