// `Session.endpoint`: the Spark Connect endpoint of a Spark 3.5 session (GetSessionEndpoint).
// Its token lets the holder run code in the session, so: a scope of its own (`sessions:connect`;
// without it the field is FORBIDDEN and the rest of the session still answers), one upstream call
// per request that asks (never cached nor shared across requests, see the caching port), and never
// logged (the logger redacts `authToken`).
import { isAthenaError, type SessionEndpoint } from '../athena/port.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { SessionObject } from './session.js';
// authTokenExpiresAt uses DateTime.
import './scalars.js';

const SessionEndpointObject = builder.objectRef<SessionEndpoint>('SessionEndpoint').implement({
  description:
    'Where and how to reach a session with a Spark Connect client. The token is a secret: it is never cached or logged by the gateway.',
  fields: (t) => ({
    url: t.string({
      nullable: false,
      description: 'The Spark Connect endpoint URL.',
      resolve: (endpoint) => endpoint.endpointUrl,
    }),
    authToken: t.string({
      nullable: false,
      description: 'The token that authenticates a Spark Connect client to the endpoint.',
      resolve: (endpoint) => endpoint.authToken,
    }),
    authTokenExpiresAt: t.field({
      type: 'DateTime',
      description: 'When the token expires; ask again for a new one.',
      resolve: (endpoint) => endpoint.authTokenExpirationTime,
    }),
  }),
});

builder.objectField(SessionObject, 'endpoint', (t) =>
  t.field({
    type: SessionEndpointObject,
    description:
      'The Spark Connect endpoint of a Spark 3.5 session (GetSessionEndpoint, asked afresh on every request). Needs the ' +
      '`sessions:connect` scope (FORBIDDEN at this field without it). Null, with no error, when Athena has no endpoint ' +
      'for the session: a PySpark engine version 3 session (which runs calculations instead) or one that is not running.',
    resolve: async (session, _args, context) => {
      requireScope(context, 'sessions:connect');
      try {
        return await context.loaders.loadSessionEndpoint(session.sessionId);
      } catch (error) {
        // Athena refuses the request for a session without Spark Connect: that is "no endpoint", not an error.
        if (isAthenaError(error, 'invalid-request')) return null;
        throw error;
      }
    },
  }),
);
