// startSession: starts a session in a work group. The payload's session is filled from Athena's
// answer and the input, so `session { sessionId status { state } }` costs StartSession alone.
import { isAthenaError } from '../athena/port.js';
import { allowsWorkGroup } from '../auth/viewer.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { MAX_REASON_LENGTH, MAX_SPARK_PROPERTIES } from '../security/limits.js';
import { builder } from './builder.js';
import { requireWriteScope } from './scope.js';
import { SessionObject } from './session.js';
import type { SessionRef } from './session-ref.js';
import { validateMember, validateWorkGroup } from './validation.js';

const KeyValuePairInput = builder.inputType('KeyValuePairInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

const StartSessionEngineConfigurationInput = builder.inputType('StartSessionEngineConfigurationInput', {
  description: 'DPU sizing and Spark properties for a new session.',
  fields: (t) => ({
    maxConcurrentDpus: t.int({
      description: 'The maximum number of DPUs that can run concurrently (2 to 5000; default 20).',
    }),
    coordinatorDpuSize: t.int({ description: 'DPUs for the coordinator (1).' }),
    defaultExecutorDpuSize: t.int({ description: 'DPUs per executor (1).' }),
    sparkProperties: t.field({
      type: [KeyValuePairInput],
      description: 'Spark properties, such as spark.executor.memory.',
    }),
  }),
});

const StartSessionInput = builder.inputType('StartSessionInput', {
  fields: (t) => ({
    workGroup: t.string({ required: true, description: 'The Spark-enabled work group to start the session in.' }),
    description: t.string({ description: 'The session description (1 to 1024 characters).' }),
    engineConfiguration: t.field({ type: StartSessionEngineConfigurationInput }),
    idleTimeoutMinutes: t.int({ description: 'Minutes of idleness after which Athena ends the session (1 to 480).' }),
    clientRequestToken: t.string({
      description:
        'Makes the start idempotent: retrying with the same token returns the same session instead of starting another (1 to 36 characters).',
    }),
    clientMutationId: t.string({ description: 'Echoed back in the payload.' }),
  }),
});

const StartSessionPayload = builder
  .objectRef<{ clientMutationId: string | null | undefined; session: SessionRef }>('StartSessionPayload')
  .implement({
    fields: (t) => ({
      clientMutationId: t.exposeString('clientMutationId'),
      session: t.field({ type: SessionObject, nullable: false, resolve: (payload) => payload.session }),
    }),
  });

/** maxConcurrentDpus when the input leaves it out. */
const DEFAULT_MAX_CONCURRENT_DPUS = 20;

builder.mutationField('startSession', (t) =>
  t.field({
    type: StartSessionPayload,
    nullable: false,
    description:
      'Starts a session in a work group. Pass `clientRequestToken` so that a retried start does not start two sessions.',
    args: { input: t.arg({ type: StartSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      requireWriteScope(context, { action: 'startSession', sessionId: undefined, workGroup: input.workGroup });
      const workGroup = validateWorkGroup(input.workGroup, 'input.workGroup');
      const description = validateMember('DescriptionString', input.description, 'input.description');
      const engine = input.engineConfiguration;
      const sparkProperties = engine?.sparkProperties ?? [];
      if (sparkProperties.length > MAX_SPARK_PROPERTIES) {
        throw new BadUserInputError(
          `At most ${MAX_SPARK_PROPERTIES} Spark properties.`,
          'input.engineConfiguration.sparkProperties',
        );
      }
      for (const { key, value } of sparkProperties) {
        validateMember('KeyString', key, 'input.engineConfiguration.sparkProperties.key');
        validateMember('ParametersMapValue', value, 'input.engineConfiguration.sparkProperties.value');
      }
      const request = {
        workGroup,
        description,
        engineConfiguration: {
          maxConcurrentDpus:
            validateMember(
              'MaxConcurrentDpus',
              engine?.maxConcurrentDpus,
              'input.engineConfiguration.maxConcurrentDpus',
            ) ?? DEFAULT_MAX_CONCURRENT_DPUS,
          coordinatorDpuSize: validateMember(
            'CoordinatorDpuSize',
            engine?.coordinatorDpuSize,
            'input.engineConfiguration.coordinatorDpuSize',
          ),
          defaultExecutorDpuSize: validateMember(
            'DefaultExecutorDpuSize',
            engine?.defaultExecutorDpuSize,
            'input.engineConfiguration.defaultExecutorDpuSize',
          ),
          sparkProperties:
            sparkProperties.length > 0
              ? Object.fromEntries(sparkProperties.map(({ key, value }) => [key, value]))
              : undefined,
        },
        sessionIdleTimeoutInMinutes: validateMember(
          'SessionIdleTimeoutInMinutes',
          input.idleTimeoutMinutes,
          'input.idleTimeoutMinutes',
        ),
        clientRequestToken: validateMember('IdempotencyToken', input.clientRequestToken, 'input.clientRequestToken'),
      };
      const audit = (outcome: 'ok' | 'not-found' | 'error', sessionId?: string) =>
        context.audit?.({ action: 'startSession', subject: context.viewer.subject, sessionId, workGroup, outcome });
      if (!allowsWorkGroup(context.viewer, workGroup)) {
        audit('not-found');
        throw new NotFoundError(`Work group ${workGroup} not found.`);
      }
      try {
        const started = await context.port.startSession(request, { signal: context.signal });
        audit('ok', started.sessionId);
        const session: SessionRef = {
          __typename: 'Session',
          sessionId: started.sessionId,
          status: { state: started.state },
          workGroup,
          started: { description },
        };
        return { clientMutationId: input.clientMutationId, session };
      } catch (error) {
        if (isAthenaError(error, 'not-found')) {
          audit('not-found');
          throw new NotFoundError(`Work group ${workGroup} not found.`);
        }
        audit('error');
        if (isAthenaError(error, 'invalid-request')) {
          // Athena's reason is what the caller needs: a SQL work group, a disabled one, a bad configuration.
          const reason =
            error.reason?.slice(0, MAX_REASON_LENGTH) ?? 'check the work group and the engine configuration';
          throw new BadUserInputError(`Athena rejected the start request: ${reason}`, 'input');
        }
        throw error;
      }
    },
  }),
);
