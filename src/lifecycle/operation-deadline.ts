// One signal per request that aborts its upstream work when the client goes away or when the
// operation's deadline passes, whichever comes first. Every upstream attempt has its own timeout
// in the adapter; the deadline bounds the whole operation: retries, backoff, waiting for a slot and
// the calls one after another (pages, terminate then read back).
import { setMaxListeners } from 'node:events';
import type { Plugin } from 'graphql-yoga';

/** The reason a deadline aborts with: a TimeoutError, as `AbortSignal.timeout` uses. */
export function deadlineExceeded(timeoutMs: number): DOMException {
  return new DOMException(`The operation did not finish within its deadline of ${timeoutMs} ms`, 'TimeoutError');
}

interface Armed {
  timer: ReturnType<typeof setTimeout>;
}

export class OperationDeadlines {
  readonly timeoutMs: number;
  readonly #armed = new WeakMap<Request, Armed>();

  constructor(timeoutMs: number) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
  }

  /**
   * The signal for one request's upstream work, with the deadline running from now. Combined by
   * hand rather than with AbortSignal.any: the request's signal may be the server adapter's own
   * EventTarget rather than a native AbortSignal.
   */
  signalFor(request: Request): AbortSignal {
    const controller = new AbortController();
    // Every concurrent upstream call of the operation listens on this one signal (a page of 100
    // sessions with details is 100 listeners): that is by design, not a leak.
    setMaxListeners(0, controller.signal);
    // Contexts built for WebSocket subscriptions (graphql-ws) have no fetch Request: no deadline,
    // and the socket's own lifetime ends them.
    if ((request as Request | undefined) === undefined) return controller.signal;
    const client = request.signal as AbortSignal | null | undefined;
    if (client?.aborted) {
      controller.abort(client.reason);
      return controller.signal;
    }
    client?.addEventListener(
      'abort',
      () => controller.abort(client.reason ?? new DOMException('The client went away', 'AbortError')),
      {
        once: true,
      },
    );
    const timer = setTimeout(() => {
      this.#armed.delete(request);
      controller.abort(deadlineExceeded(this.timeoutMs));
    }, this.timeoutMs);
    // A deadline never keeps the process alive on its own.
    timer.unref();
    this.#armed.set(request, { timer });
    return controller.signal;
  }

  /** Stops the deadline of a request (its response is out, or it became a long-lived subscription). */
  disarm(request: Request): void {
    const armed = this.#armed.get(request);
    if (armed === undefined) return;
    clearTimeout(armed.timer);
    this.#armed.delete(request);
  }

  /**
   * Subscriptions live as long as the client wants them: the deadline covers queries and
   * mutations only, while a subscription's upstream polls keep their per-attempt timeouts and
   * still stop when the client goes away.
   */
  plugin(): Plugin {
    return {
      onSubscribe: ({ args }) => {
        const request = (args.contextValue as { request?: Request }).request;
        if (request !== undefined) this.disarm(request);
      },
      onResponse: ({ request }) => this.disarm(request),
    };
  }
}
