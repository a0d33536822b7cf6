// The `sessionStatus` subscription: the current status at once, then each change, then the end.
// Transports (SSE, graphql-ws) are the server's business; this module only makes the event stream.
import { Repeater, SlidingBuffer } from 'graphql-yoga';
import { isAthenaError, type SessionStatus } from '../athena/port.js';
import { NotFoundError } from '../errors.js';
import { EVENTS_BUFFERED_PER_SUBSCRIBER } from '../security/limits.js';
import { isFinalStatus, type SessionStatusPoller } from '../subscriptions/status-poller.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { loadSessionRef } from './session-ref.js';
import { SessionStatusObject } from './session-status.js';
import { validateSessionId } from './validation.js';

/**
 * What the stream carries. A failure travels as an event, not as a rejected `next()`: the field's
 * resolver throws it, so the client receives a regular GraphQL error with its code (a rejected
 * source stream would tear the SSE response or the socket down instead).
 */
type StatusEvent = { readonly status: SessionStatus } | { readonly error: unknown };

builder.subscriptionType({ description: 'Watch Athena Spark sessions change.' });

builder.subscriptionField('sessionStatus', (t) =>
  t.field({
    type: SessionStatusObject,
    nullable: false,
    description:
      'The status of one session: the current status at once, then each change (state, reason or any timestamp), ' +
      'and the subscription completes after TERMINATED or FAILED. An unknown session is a NOT_FOUND error. ' +
      'The gateway polls Athena for it every SUBSCRIPTION_POLL_MS, once per session however many clients watch.',
    args: { sessionId: t.arg.string({ required: true, description: 'The session ID (1 to 256 characters).' }) },
    subscribe: async (_root, args, context) => {
      requireScope(context, 'sessions:read');
      const sessionId = validateSessionId(args.sessionId);
      // The same entry point as `session`: the cheapest call, and work-group visibility for restricted callers.
      const session = await loadSessionRef(context, sessionId, false);
      if (session === null) throw new NotFoundError(`Session ${sessionId} not found.`);
      return statusEvents(context.statusPoller, sessionId, session.status);
    },
    resolve: (event) => {
      if ('error' in event) throw event.error;
      return event.status;
    },
  }),
);

function statusEvents(poller: SessionStatusPoller, sessionId: string, current: SessionStatus): AsyncIterable<StatusEvent> {
  return new Repeater<StatusEvent>(async (push, stop) => {
    void push({ status: current });
    if (isFinalStatus(current)) {
      stop();
      return;
    }
    const unwatch = poller.watch(sessionId, current, {
      next: (status) => void push({ status }),
      complete: () => stop(),
      error: (error) => {
        const gone = isAthenaError(error, 'not-found');
        void push({ error: gone ? new NotFoundError(`Session ${sessionId} no longer exists.`) : error });
        stop();
      },
    });
    // Resolves when the stream ends either way: the session ended, or the client went away.
    await stop;
    unwatch();
  }, new SlidingBuffer(EVENTS_BUFFERED_PER_SUBSCRIBER));
}
