// The `sessionStatus` subscription: the current status at once, then each change, then the end.
// Transports (SSE, graphql-ws) are the server's business; this module only makes the event stream.
import { isAthenaError, type SessionStatus } from '../athena/port.js';
import { NotFoundError } from '../errors.js';
import { type StatusEvent, statusEvents } from '../subscriptions/status-events.js';
import { isFinalStatus } from '../subscriptions/status-poller.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { loadSessionRef } from './session-ref.js';
import { SessionStatusObject } from './session-status.js';
import { validateSessionId } from './validation.js';

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
      return statusEvents(context.statusPoller, sessionId, session.status, isFinalStatus, (error) =>
        isAthenaError(error, 'not-found') ? new NotFoundError(`Session ${sessionId} no longer exists.`) : error,
      );
    },
    resolve: (event: StatusEvent<SessionStatus>) => {
      if ('error' in event) throw event.error;
      return event.status;
    },
  }),
);
