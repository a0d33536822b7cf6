// startCalculation and stopCalculation: one StartCalculationExecution / StopCalculationExecution
// each, under the sessions' rules: `sessions:write`, an audit line per attempt, and a caller limited
// to some work groups has the session's work group checked first (a hidden one is NOT_FOUND).

import type { CalculationState } from '../athena/port.js';
import { isAthenaError } from '../athena/port.js';
import { hasScope, isRestricted } from '../auth/viewer.js';
import type { AuditEvent, GatewayContext } from '../context.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { MAX_REASON_LENGTH } from '../security/limits.js';
import { builder } from './builder.js';
import {
  CalculationObject,
  type CalculationRef,
  calculationSelection,
  loadCalculationRef,
  sessionIsVisible,
} from './calculation.js';
import { CalculationStateEnum } from './calculation-status.js';
import { requireScope } from './scope.js';
import { validateCalculationId, validateMember, validateSessionId } from './validation.js';

type Outcome = AuditEvent['outcome'];

function auditor(
  context: GatewayContext,
  action: 'startCalculation' | 'stopCalculation',
  ids: { sessionId?: string; calculationId?: string },
) {
  const clip = (value: string | undefined) => value?.slice(0, 256);
  return (outcome: Outcome, more: { sessionId?: string | undefined; calculationId?: string | undefined } = {}) =>
    context.audit?.({
      action,
      subject: context.viewer.subject,
      sessionId: clip(more.sessionId ?? ids.sessionId),
      calculationId: clip(more.calculationId ?? ids.calculationId),
      workGroup: undefined,
      outcome,
    });
}

/** A mutation refused for want of scope is still an attempt the audit trail must show. */
function requireWriteScope(context: GatewayContext, audit: (outcome: Outcome) => void): void {
  if (!hasScope(context.viewer, 'sessions:write')) audit('forbidden');
  requireScope(context, 'sessions:write');
}

// startCalculation

const StartCalculationInput = builder.inputType('StartCalculationInput', {
  fields: (t) => ({
    sessionId: t.string({
      required: true,
      description: 'The session to run the code in: an IDLE session of PySpark engine version 3.',
    }),
    codeBlock: t.string({ required: true, description: 'The code to run (at most 68,000 characters).' }),
    description: t.string({ description: 'The calculation description (1 to 1024 characters).' }),
    clientRequestToken: t.string({
      description:
        'Makes the start idempotent: retrying with the same token returns the same calculation instead of running the code twice (32 to 128 characters).',
    }),
    clientMutationId: t.string({ description: 'Echoed back in the payload.' }),
  }),
});

const StartCalculationPayload = builder
  .objectRef<{ clientMutationId: string | null | undefined; calculation: CalculationRef }>('StartCalculationPayload')
  .implement({
    fields: (t) => ({
      clientMutationId: t.exposeString('clientMutationId'),
      calculation: t.field({
        type: CalculationObject,
        nullable: false,
        description:
          'The new calculation: its id and state come from the start, its session and description from the input.',
        resolve: (payload) => payload.calculation,
      }),
    }),
  });

builder.mutationField('startCalculation', (t) =>
  t.field({
    type: StartCalculationPayload,
    nullable: false,
    description:
      'Runs a block of code in an IDLE session (PySpark engine version 3). Athena refuses it on other sessions, such as ' +
      "Spark 3.5 ones (which run code through Spark Connect, see `Session.endpoint`): BAD_USER_INPUT with Athena's reason. " +
      'Pass `clientRequestToken` so that a retried start does not run the code twice.',
    args: { input: t.arg({ type: StartCalculationInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const audit = auditor(context, 'startCalculation', { sessionId: input.sessionId });
      requireWriteScope(context, audit);
      const sessionId = validateSessionId(input.sessionId, 'input.sessionId');
      const codeBlock = validateMember('CodeBlock', input.codeBlock, 'input.codeBlock') as string;
      const description = validateMember('DescriptionString', input.description, 'input.description');
      const clientRequestToken = validateMember(
        'IdempotencyToken',
        input.clientRequestToken,
        'input.clientRequestToken',
      );
      const notFound = () => new NotFoundError(`Session ${sessionId} not found.`);
      // StartCalculationExecution takes only a session id: a caller limited to some work groups is checked first.
      if (!(await sessionIsVisible(context, sessionId))) {
        audit('not-found');
        throw notFound();
      }
      try {
        const started = await context.port.startCalculationExecution(
          { sessionId, codeBlock, description, clientRequestToken },
          { signal: context.signal },
        );
        // The session is busy now: a session field later in this operation must not read the old state.
        context.loaders.forgetSession(sessionId);
        audit('ok', { calculationId: started.calculationExecutionId });
        const calculation: CalculationRef = {
          __typename: 'Calculation',
          calculationId: started.calculationExecutionId,
          // What the start told: everything else (statistics, result) is fetched when selected.
          known: {
            calculationExecutionId: started.calculationExecutionId,
            sessionId,
            description,
            status: { state: started.state },
          },
        };
        return { clientMutationId: input.clientMutationId, calculation };
      } catch (error) {
        if (isAthenaError(error, 'not-found')) {
          audit('not-found');
          throw notFound();
        }
        audit('error');
        if (isAthenaError(error, 'invalid-request')) {
          // Athena's reason is what the caller needs: the session is busy, ended, or runs Spark 3.5.
          const reason = error.reason?.slice(0, MAX_REASON_LENGTH) ?? 'the session cannot run a calculation now';
          throw new BadUserInputError(`Athena refused the calculation: ${reason}`, 'input.sessionId');
        }
        throw error;
      }
    },
  }),
);

// stopCalculation

const StopCalculationInput = builder.inputType('StopCalculationInput', {
  fields: (t) => ({
    calculationId: t.string({ required: true, description: 'The calculation to stop.' }),
    clientMutationId: t.string({ description: 'Echoed back in the payload.' }),
  }),
});

interface StopCalculationResult {
  clientMutationId: string | null | undefined;
  calculationId: string;
  state: CalculationState;
}

const StopCalculationPayload = builder.objectRef<StopCalculationResult>('StopCalculationPayload').implement({
  fields: (t) => ({
    clientMutationId: t.exposeString('clientMutationId'),
    state: t.field({
      type: CalculationStateEnum,
      nullable: false,
      description:
        'The state Athena reported when it accepted the request (CANCELING, or the final state of a calculation that had already ended).',
      resolve: (payload) => payload.state,
    }),
    calculation: t.field({
      type: CalculationObject,
      description: 'The calculation as it is now, fetched after the stop.',
      resolve: (payload, _args, context, info) =>
        loadCalculationRef(context, payload.calculationId, calculationSelection(info)),
    }),
  }),
});

builder.mutationField('stopCalculation', (t) =>
  t.field({
    type: StopCalculationPayload,
    nullable: false,
    description:
      'Requests that a calculation stop (best effort). Stopping a calculation that has already ended (COMPLETED, FAILED or ' +
      'CANCELED) succeeds and has no effect. An unknown calculation is NOT_FOUND.',
    args: { input: t.arg({ type: StopCalculationInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const audit = auditor(context, 'stopCalculation', { calculationId: input.calculationId });
      requireWriteScope(context, audit);
      const calculationId = validateCalculationId(input.calculationId, 'input.calculationId');
      const notFound = () => new NotFoundError(`Calculation ${calculationId} not found.`);
      let sessionId: string | undefined;
      // StopCalculationExecution takes only an id: a caller limited to some work groups is checked first.
      if (isRestricted(context.viewer)) {
        const calculation = await context.loaders.loadCalculation(calculationId);
        sessionId = calculation?.sessionId;
        if (calculation === null || !(await sessionIsVisible(context, sessionId))) {
          audit('not-found', { sessionId });
          throw notFound();
        }
      }
      try {
        const result = await context.port.stopCalculationExecution(calculationId, { signal: context.signal });
        context.loaders.forgetCalculation(calculationId);
        if (sessionId !== undefined) context.loaders.forgetSession(sessionId);
        audit('ok', { sessionId });
        return { clientMutationId: input.clientMutationId, calculationId, state: result.state };
      } catch (error) {
        if (isAthenaError(error, 'not-found')) {
          audit('not-found', { sessionId });
          throw notFound();
        }
        audit('error', { sessionId });
        throw error;
      }
    },
  }),
);
