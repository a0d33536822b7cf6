// A small Server-Sent Events reader for tests: one `next` per `event: next`, then 'complete'.
import type { GraphQLResponse } from '../helpers.js';

export type SseMessage = { data?: Record<string, any> | null; errors?: GraphQLResponse['errors'] } | 'complete';

export interface SseSubscription {
  readonly status: number;
  readonly contentType: string | null;
  /** The next message; rejects if none comes within the timeout. */
  next(timeoutMs?: number): Promise<SseMessage>;
  /** Every message until the stream ends. */
  rest(timeoutMs?: number): Promise<SseMessage[]>;
  /** Leaves, as a client closing the page would. */
  close(): Promise<void>;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export async function subscribeSse(
  fetch: Fetch,
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<SseSubscription> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return readSse(response);
}

export function readSse(response: Response): SseSubscription {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: SseMessage[] = [];
  let buffer = '';
  let ended = false;

  async function fill(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (queue.length === 0 && !ended) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE message within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no SSE message within ${timeoutMs} ms`)), remaining);
      });
      const chunk = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (chunk.done) {
        ended = true;
        break;
      }
      buffer += chunk.value;
      for (let boundary = buffer.indexOf('\n\n'); boundary !== -1; boundary = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const lines = block.split('\n');
        const event = lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (event === 'next') queue.push(JSON.parse(data));
        else if (event === 'complete') queue.push('complete');
      }
    }
  }

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    async next(timeoutMs = 10_000) {
      await fill(timeoutMs);
      const message = queue.shift();
      if (message === undefined) throw new Error('the SSE stream ended without a further message');
      return message;
    },
    async rest(timeoutMs = 10_000) {
      const messages: SseMessage[] = [];
      for (;;) {
        await fill(timeoutMs);
        const message = queue.shift();
        if (message === undefined) return messages;
        messages.push(message);
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
