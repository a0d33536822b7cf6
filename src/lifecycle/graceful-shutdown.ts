// Shutting down without cutting anyone off: stop taking connections, let the operations in flight
// finish within a grace period, end open subscription streams with a proper `complete` (a client
// reconnects to another instance instead of seeing a broken stream), then close the sockets.
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

export class GracefulShutdown {
  readonly #controller = new AbortController();

  constructor() {
    // Every open subscription listens for shutdown (and stops listening when it ends): a thousand
    // subscribers are a thousand listeners by design, not a leak.
    setMaxListeners(0, this.#controller.signal);
  }

  /** Aborts when shutdown begins. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get shuttingDown(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Ends every subscription stream; responses from now on close their connection. */
  begin(): void {
    if (!this.shuttingDown) this.#controller.abort(new Error('The gateway is shutting down'));
  }

  plugin(): Plugin {
    return {
      onSubscribe: () => ({
        onSubscribeResult: ({ result, setResult }) => {
          if (isAsyncIterable(result)) setResult(endOnAbort(result, this.signal));
        },
      }),
      onResponse: ({ response }) => {
        // Keep-alive connections would otherwise stay open, idle, and hold the server's close back.
        if (this.shuttingDown) response.headers.set('connection', 'close');
      },
    };
  }
}

export interface CloseResult {
  /** Every connection ended by itself within the grace period. */
  drained: boolean;
  durationMs: number;
}

/**
 * Stops accepting connections, waits up to `graceMs` for the open ones to finish their requests,
 * then cuts whatever is left. Idle keep-alive connections are closed as soon as they go idle.
 */
export async function closeHttpServer(server: Server, graceMs: number): Promise<CloseResult> {
  const started = performance.now();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<false>((resolve) => {
    graceTimer = setTimeout(() => resolve(false), graceMs);
  });
  try {
    const drained = await Promise.race([closed.then(() => true as const), graceOver]);
    if (!drained) {
      server.closeAllConnections();
      await closed;
    }
    return { drained, durationMs: performance.now() - started };
  } finally {
    clearInterval(sweep);
    clearTimeout(graceTimer);
  }
}

/**
 * The stream ends (done) when the signal aborts, even while it waits for its next event; the
 * source is told to stop through `return`, so its timers and upstream polls end too.
 */
export function endOnAbort<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
  let done = false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    onAbort = () => resolve(finished);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const stop = async (value?: unknown): Promise<IteratorResult<T>> => {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    if (done) return finished;
    done = true;
    await iterator.return?.(value);
    return finished;
  };
  return {
    async next() {
      if (done) return finished;
      const pending = iterator.next();
      // An event that arrives after the stream ended is dropped, and so is a late failure.
      pending.catch(() => undefined);
      const step = await Promise.race([pending, aborted]);
      if (step.done === true) {
        if (signal.aborted) void stop().catch(() => undefined);
        else {
          done = true;
          if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
        }
      }
      return step;
    },
    return: (value?: unknown) => stop(value),
    async throw(error?: unknown) {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      done = true;
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
