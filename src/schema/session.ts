// The Session type and the `session` query. Where each field's value comes from is the table in
// athena/session-fields.ts, read through session-ref.ts; the value types under a session are in
// session-configuration.ts, the mutations in start-session.ts and terminate-session.ts.
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import {
  EngineConfigurationObject,
  EngineVersionObject,
  SessionConfigurationObject,
  SessionStatisticsObject,
} from './session-configuration.js';
import { listRowField, loadSessionRef, type SessionRef, selectsSessionDetails, sessionField } from './session-ref.js';
// Before the value types: the printed schema lists SessionState and SessionStatus first, from every entry point.
import { SessionStatusObject } from './session-status.js';
import { validateSessionId } from './validation.js';

export const SessionObject = builder.objectRef<SessionRef>('Session');

builder.node(SessionObject, {
  description: 'An Athena for Apache Spark session: a notebook engine with its own Spark driver and executors.',
  id: { resolve: (session) => session.sessionId },
  isTypeOf: (value) => (value as { __typename?: unknown }).__typename === 'Session',
  fields: (t) => ({
    sessionId: t.exposeString('sessionId', { nullable: false, description: 'The session ID.' }),
    workGroup: t.string({
      description: 'The work group to which the session belongs.',
      resolve: (session, _args, context) => session.workGroup ?? sessionField(session, context, 'workGroup'),
    }),
    description: t.string({
      description: 'The session description.',
      resolve: (session, _args, context) => listRowField(session, context, 'description'),
    }),
    notebookVersion: t.string({
      description: 'The notebook version.',
      resolve: (session, _args, context) => listRowField(session, context, 'notebookVersion'),
    }),
    engineVersion: t.field({
      type: EngineVersionObject,
      description:
        'The engine version used by the session (for example, PySpark engine version 3). See the type for how it is filled.',
      resolve: async (session, _args, context) => {
        // A list row has both versions; GetSession has one string, the version the session runs on.
        if (session.summary) return session.summary.engineVersion;
        const version = await sessionField(session, context, 'engineVersion');
        return version === undefined ? null : { effectiveEngineVersion: version };
      },
    }),
    status: t.field({
      type: SessionStatusObject,
      nullable: false,
      description: 'Information about the status of the session.',
      resolve: (session) => session.status,
    }),
    engineConfiguration: t.field({
      type: EngineConfigurationObject,
      description: 'Engine configuration information like DPU usage (from GetSession).',
      resolve: (session, _args, context) => sessionField(session, context, 'engineConfiguration'),
    }),
    sessionConfiguration: t.field({
      type: SessionConfigurationObject,
      description: 'The work group configuration information used by the session (from GetSession).',
      resolve: (session, _args, context) => sessionField(session, context, 'sessionConfiguration'),
    }),
    statistics: t.field({
      type: SessionStatisticsObject,
      description: 'The DPU execution time of the session (from GetSession).',
      resolve: (session, _args, context) => sessionField(session, context, 'statistics'),
    }),
  }),
});

builder.queryField('session', (t) =>
  t.field({
    type: SessionObject,
    description: 'One session by its Athena session ID; null, with no error, when there is no such session.',
    args: { sessionId: t.arg.string({ required: true, description: 'The session ID (1 to 256 characters).' }) },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      return loadSessionRef(context, validateSessionId(args.sessionId), selectsSessionDetails(info));
    },
  }),
);
