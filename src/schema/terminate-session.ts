// terminateSession: ends a session, checking first, for a caller limited to some work groups, that
// the session is theirs to touch. Every attempt is audited.
import { isAthenaError, type SessionStatus } from '../athena/port.js';
import { allowsWorkGroup, isRestricted } from '../auth/viewer.js';
import { NotFoundError } from '../errors.js';
import { builder } from './builder.js';
import { requireWriteScope } from './scope.js';
import { SessionObject } from './session.js';
import { loadSessionRef, selectsSessionDetails } from './session-ref.js';
import { SessionStateEnum } from './session-status.js';
import { validateSessionId } from './validation.js';

interface TerminateSessionResult {
  clientMutationId: string | null | undefined;
  sessionId: string;
  state: SessionStatus['state'];
}

const TerminateSessionInput = builder.inputType('TerminateSessionInput', {
  fields: (t) => ({
    sessionId: t.string({ required: true, description: 'The session to terminate.' }),
    clientMutationId: t.string({ description: 'Echoed back in the payload.' }),
  }),
});

const TerminateSessionPayload = builder.objectRef<TerminateSessionResult>('TerminateSessionPayload').implement({
  fields: (t) => ({
    clientMutationId: t.exposeString('clientMutationId'),
    state: t.field({
      type: SessionStateEnum,
      nullable: false,
      description:
        'The state Athena reported when it accepted the request (usually TERMINATING; an inactive session keeps its state).',
      resolve: (payload) => payload.state,
    }),
    session: t.field({
      type: SessionObject,
      description: 'The session as it is now, fetched after the terminate.',
      resolve: (payload, _args, context, info) =>
        loadSessionRef(context, payload.sessionId, selectsSessionDetails(info)),
    }),
  }),
});

builder.mutationField('terminateSession', (t) =>
  t.field({
    type: TerminateSessionPayload,
    nullable: false,
    description:
      'Terminates an active session. Terminating a session that is already inactive (FAILED, TERMINATED or TERMINATING) ' +
      'succeeds and has no effect. Calculations running in the session are forcefully stopped.',
    args: { input: t.arg({ type: TerminateSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      requireWriteScope(context, { action: 'terminateSession', sessionId: input.sessionId, workGroup: undefined });
      const sessionId = validateSessionId(input.sessionId, 'input.sessionId');
      const audit = (outcome: 'ok' | 'not-found' | 'error', workGroup?: string) =>
        context.audit?.({ action: 'terminateSession', subject: context.viewer.subject, sessionId, workGroup, outcome });
      let workGroup: string | undefined;
      // TerminateSession takes only an id: a caller limited to some work groups is checked first.
      if (isRestricted(context.viewer)) {
        const details = await context.loaders.loadDetails(sessionId);
        if (details === null || !allowsWorkGroup(context.viewer, details.workGroup)) {
          audit('not-found');
          throw new NotFoundError(`Session ${sessionId} not found.`);
        }
        workGroup = details.workGroup;
      }
      try {
        const result = await context.port.terminateSession(sessionId, { signal: context.signal });
        context.loaders.forgetSession(sessionId);
        audit('ok', workGroup);
        return { clientMutationId: input.clientMutationId, sessionId, state: result.state };
      } catch (error) {
        if (isAthenaError(error, 'not-found')) {
          audit('not-found', workGroup);
          throw new NotFoundError(`Session ${sessionId} not found.`);
        }
        audit('error', workGroup);
        throw error;
      }
    },
  }),
);
