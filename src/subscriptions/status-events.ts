// The event stream behind a status subscription: the current status at once, then each change the
// shared poller sees, then the end. Transports (SSE, graphql-ws) are the server's business.
import { Repeater, SlidingBuffer } from 'graphql-yoga';
import { EVENTS_BUFFERED_PER_SUBSCRIBER } from '../security/limits.js';
import type { StatusPoller } from './status-poller.js';

/**
 * What the stream carries. A failure travels as an event, not as a rejected `next()`: the field's
 * resolver throws it, so the client receives a regular GraphQL error with its code (a rejected
 * source stream would tear the SSE response or the socket down instead).
 */
export type StatusEvent<Status> = { readonly status: Status } | { readonly error: unknown };

export function statusEvents<Status>(
  poller: StatusPoller<Status>,
  id: string,
  current: Status,
  isFinal: (status: Status) => boolean,
  /** The error a subscriber gets when polling ends in one (e.g. NOT_FOUND when the thing vanished). */
  toClientError: (error: unknown) => unknown,
): AsyncIterable<StatusEvent<Status>> {
  return new Repeater<StatusEvent<Status>>(async (push, stop) => {
    void push({ status: current });
    if (isFinal(current)) {
      stop();
      return;
    }
    const unwatch = poller.watch(id, current, {
      next: (status) => void push({ status }),
      complete: () => stop(),
      error: (error) => {
        void push({ error: toClientError(error) });
        stop();
      },
    });
    // Resolves when the stream ends either way: a final status, or the client went away.
    await stop;
    unwatch();
  }, new SlidingBuffer(EVENTS_BUFFERED_PER_SUBSCRIBER));
}
