import type { GraphQLResolveInfo } from 'graphql';
import type { ImmutableSessionFields } from '../athena/caching-port.js';
import {
  isAthenaError,
  type EngineConfiguration,
  type SessionConfiguration,
  type SessionDetails,
  type SessionStatus,
  type SessionSummary,
} from '../athena/port.js';
import type { AuditEvent, GatewayContext } from '../context.js';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../errors.js';
import { allowsWorkGroup, hasScope, isRestricted, type Scope } from '../auth/viewer.js';
import { builder } from './builder.js';
import { selectedFieldNames } from './selection.js';
import { SessionStateEnum, SessionStatusObject } from './session-status.js';
import { validateMember, validateSessionId, validateWorkGroup } from './validation.js';

/**
 * What the gateway knows about a session at a point of an operation. Every entry point fills
 * `status`; the rest is filled from whichever upstream answer brought the session here, and
 * detail fields fetch GetSession (once per request) only when they are missing.
 */
export interface SessionRef {
  readonly __typename: 'Session';
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly workGroup?: string | undefined;
  readonly summary?: SessionSummary | undefined;
  readonly details?: SessionDetails | undefined;
  /** What startSession's input said, before any GetSession. */
  readonly started?: { description?: string | undefined } | undefined;
}

export const refFromDetails = (details: SessionDetails): SessionRef => ({
  __typename: 'Session',
  sessionId: details.sessionId,
  status: details.status,
  workGroup: details.workGroup,
  details,
});

export const refFromSummary = (summary: SessionSummary, workGroup: string): SessionRef => ({
  __typename: 'Session',
  sessionId: summary.sessionId,
  status: summary.status,
  workGroup,
  summary,
});

export function requireScope(context: GatewayContext, scope: Scope): void {
  if (!hasScope(context.viewer, scope)) {
    throw new ForbiddenError(`This operation needs the ${scope} scope.`);
  }
}

/** A mutation refused for want of scope is still an attempt the audit trail must show. */
function requireWriteScope(context: GatewayContext, attempt: Pick<AuditEvent, 'action' | 'sessionId' | 'workGroup'>): void {
  if (!hasScope(context.viewer, 'sessions:write')) {
    const clip = (value: string | undefined) => value?.slice(0, 256);
    context.audit?.({ ...attempt, sessionId: clip(attempt.sessionId), workGroup: clip(attempt.workGroup), subject: context.viewer.subject, outcome: 'forbidden' });
  }
  requireScope(context, 'sessions:write');
}

/** Fields that GetSessionStatus cannot answer. */
const DETAIL_FIELDS = new Set([
  'workGroup',
  'description',
  'notebookVersion',
  'engineVersion',
  'engineConfiguration',
  'sessionConfiguration',
  'statistics',
]);

export function selectsSessionDetails(info: GraphQLResolveInfo): boolean {
  for (const name of selectedFieldNames(info)) if (DETAIL_FIELDS.has(name)) return true;
  return false;
}

/**
 * Loads a session for an entry point (session, node, nodes, payloads, entities) with the cheapest
 * call that answers the selection: GetSessionStatus for status only, GetSession for anything more,
 * and GetSession for callers limited to some work groups, whose session's work group must be
 * checked first. A session the caller may not see is null, exactly like a missing one.
 */
export async function loadSessionRef(context: GatewayContext, sessionId: string, needsDetails: boolean): Promise<SessionRef | null> {
  if (needsDetails || isRestricted(context.viewer)) {
    const details = await context.loaders.loadDetails(sessionId);
    if (details === null || !allowsWorkGroup(context.viewer, details.workGroup)) return null;
    return refFromDetails(details);
  }
  const result = await context.loaders.loadStatus(sessionId);
  return result && { __typename: 'Session', sessionId, status: result.status };
}

async function detailsOf(session: SessionRef, context: GatewayContext): Promise<SessionDetails | null> {
  return session.details ?? context.loaders.loadDetails(session.sessionId);
}

/** For fields that never change during a session's life, which a cache may answer without a call. */
async function immutableFieldsOf(session: SessionRef, context: GatewayContext): Promise<ImmutableSessionFields | null> {
  return session.details ?? context.loaders.loadImmutableFields(session.sessionId);
}

/** Summary fields come from the list row, or the start input, before falling back to GetSession. */
async function summaryField<K extends 'description' | 'notebookVersion'>(
  session: SessionRef,
  context: GatewayContext,
  key: K,
): Promise<string | undefined> {
  if (session.summary) return session.summary[key];
  if (key === 'description' && session.started) return session.started.description;
  return (await immutableFieldsOf(session, context))?.[key];
}

interface KeyValuePair {
  key: string;
  value: string;
}

/** Maps become key/value lists sorted by key, so the order is the same in every answer. */
const toPairs = (map: Readonly<Record<string, string>> | undefined): KeyValuePair[] =>
  Object.entries(map ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));

const KeyValuePairObject = builder.objectRef<KeyValuePair>('KeyValuePair').implement({
  description: 'One entry of a string map, such as a Spark property.',
  fields: (t) => ({
    key: t.exposeString('key', { nullable: false }),
    value: t.exposeString('value', { nullable: false }),
  }),
});

export const EngineVersionObject = builder
  .objectRef<{ selectedEngineVersion?: string | undefined; effectiveEngineVersion?: string | undefined }>('EngineVersion')
  .implement({
    description:
      'The Athena engine version of a session. From ListSessions both members come as Athena reports them. ' +
      'When only GetSession answered (a single session looked up with detail fields), Athena gives one string, ' +
      'the version the session runs on: it fills `effectiveEngineVersion` and `selectedEngineVersion` is null.',
    fields: (t) => ({
      selectedEngineVersion: t.exposeString('selectedEngineVersion', {
        description: 'The engine version requested by the user (for example AUTO).',
      }),
      effectiveEngineVersion: t.exposeString('effectiveEngineVersion', {
        description: 'The engine version the session runs on.',
      }),
    }),
  });

const ClassificationObject = builder
  .objectRef<NonNullable<EngineConfiguration['classifications']>[number]>('Classification')
  .implement({
    description: 'A configuration classification applied to the session engine.',
    fields: (t) => ({
      name: t.exposeString('name'),
      properties: t.field({ type: [KeyValuePairObject], nullable: false, resolve: (c) => toPairs(c.properties) }),
    }),
  });

const EngineConfigurationObject = builder.objectRef<EngineConfiguration>('EngineConfiguration').implement({
  description: 'The engine configuration of a session: DPU sizing and Spark settings.',
  fields: (t) => ({
    coordinatorDpuSize: t.exposeInt('coordinatorDpuSize', {
      description: 'The number of DPUs to use for the coordinator. A coordinator is a special executor that orchestrates processing work and manages other executors in a notebook session.',
    }),
    maxConcurrentDpus: t.exposeInt('maxConcurrentDpus', { description: 'The maximum number of DPUs that can run concurrently.' }),
    defaultExecutorDpuSize: t.exposeInt('defaultExecutorDpuSize', {
      description: 'The default number of DPUs to use for executors. An executor is the smallest unit of compute that a notebook session can request from Athena.',
    }),
    additionalConfigs: t.field({
      type: [KeyValuePairObject],
      nullable: false,
      description: 'Additional engine configuration, sorted by key.',
      resolve: (config) => toPairs(config.additionalConfigs),
    }),
    sparkProperties: t.field({
      type: [KeyValuePairObject],
      nullable: false,
      description: 'Spark properties the session was started with, sorted by key.',
      resolve: (config) => toPairs(config.sparkProperties),
    }),
    classifications: t.field({
      type: [ClassificationObject],
      nullable: false,
      description: 'Configuration classifications, in the order Athena returns them.',
      resolve: (config) => [...(config.classifications ?? [])],
    }),
  }),
});

const EncryptionConfigurationObject = builder
  .objectRef<NonNullable<SessionConfiguration['encryptionConfiguration']>>('EncryptionConfiguration')
  .implement({
    description: 'How calculation results in Athena-owned storage are encrypted.',
    fields: (t) => ({
      encryptionOption: t.exposeString('encryptionOption', { description: 'SSE_S3, SSE_KMS or CSE_KMS.' }),
      kmsKey: t.exposeString('kmsKey', { description: 'For SSE_KMS and CSE_KMS, the KMS key ARN or ID.' }),
    }),
  });

const SessionConfigurationObject = builder.objectRef<SessionConfiguration>('SessionConfiguration').implement({
  description: 'The work group configuration the session runs with.',
  fields: (t) => ({
    executionRole: t.exposeString('executionRole', { description: 'The ARN of the execution role the session uses.' }),
    workingDirectory: t.exposeString('workingDirectory', { description: 'The Amazon S3 location that stores information for the notebook.' }),
    idleTimeoutSeconds: t.field({
      type: 'SafeInt',
      description: 'The idle timeout in seconds for the session.',
      resolve: (config) => config.idleTimeoutSeconds,
    }),
    sessionIdleTimeoutInMinutes: t.exposeInt('sessionIdleTimeoutInMinutes', {
      description: 'The idle timeout in minutes the session was started with.',
    }),
    encryptionConfiguration: t.field({
      type: EncryptionConfigurationObject,
      resolve: (config) => config.encryptionConfiguration,
    }),
  }),
});

const SessionStatisticsObject = builder.objectRef<NonNullable<SessionDetails['statistics']>>('SessionStatistics').implement({
  description: 'Usage statistics of a session.',
  fields: (t) => ({
    dpuExecutionInMillis: t.field({
      type: 'SafeInt',
      description: 'The data processing unit execution time for the session, in milliseconds.',
      resolve: (statistics) => statistics.dpuExecutionInMillis,
    }),
  }),
});

export const SessionObject = builder.objectRef<SessionRef>('Session');

builder.node(SessionObject, {
  description: 'An Athena for Apache Spark session: a notebook engine with its own Spark driver and executors.',
  id: { resolve: (session) => session.sessionId },
  isTypeOf: (value) => (value as { __typename?: unknown }).__typename === 'Session',
  fields: (t) => ({
    sessionId: t.exposeString('sessionId', { nullable: false, description: 'The session ID.' }),
    workGroup: t.string({
      description: 'The work group to which the session belongs.',
      resolve: async (session, _args, context) => session.workGroup ?? (await immutableFieldsOf(session, context))?.workGroup,
    }),
    description: t.string({
      description: 'The session description.',
      resolve: (session, _args, context) => summaryField(session, context, 'description'),
    }),
    notebookVersion: t.string({
      description: 'The notebook version.',
      resolve: (session, _args, context) => summaryField(session, context, 'notebookVersion'),
    }),
    engineVersion: t.field({
      type: EngineVersionObject,
      description: 'The engine version used by the session (for example, PySpark engine version 3). See the type for how it is filled.',
      resolve: async (session, _args, context) => {
        if (session.summary) return session.summary.engineVersion;
        const version = (await immutableFieldsOf(session, context))?.engineVersion;
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
      resolve: async (session, _args, context) => (await immutableFieldsOf(session, context))?.engineConfiguration,
    }),
    sessionConfiguration: t.field({
      type: SessionConfigurationObject,
      description: 'The work group configuration information used by the session (from GetSession).',
      resolve: async (session, _args, context) => (await immutableFieldsOf(session, context))?.sessionConfiguration,
    }),
    statistics: t.field({
      type: SessionStatisticsObject,
      description: 'The DPU execution time of the session (from GetSession).',
      resolve: async (session, _args, context) => (await detailsOf(session, context))?.statistics,
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

// terminateSession

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
      description: 'The state Athena reported when it accepted the request (usually TERMINATING; an inactive session keeps its state).',
      resolve: (payload) => payload.state,
    }),
    session: t.field({
      type: SessionObject,
      description: 'The session as it is now, fetched after the terminate.',
      resolve: (payload, _args, context, info) => loadSessionRef(context, payload.sessionId, selectsSessionDetails(info)),
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

// startSession

const KeyValuePairInput = builder.inputType('KeyValuePairInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

const StartSessionEngineConfigurationInput = builder.inputType('StartSessionEngineConfigurationInput', {
  description: 'DPU sizing and Spark properties for a new session.',
  fields: (t) => ({
    maxConcurrentDpus: t.int({ description: 'The maximum number of DPUs that can run concurrently (2 to 5000; default 20).' }),
    coordinatorDpuSize: t.int({ description: 'DPUs for the coordinator (1).' }),
    defaultExecutorDpuSize: t.int({ description: 'DPUs per executor (1).' }),
    sparkProperties: t.field({ type: [KeyValuePairInput], description: 'Spark properties, such as spark.executor.memory.' }),
  }),
});

const StartSessionInput = builder.inputType('StartSessionInput', {
  fields: (t) => ({
    workGroup: t.string({ required: true, description: 'The Spark-enabled work group to start the session in.' }),
    description: t.string({ description: 'The session description (1 to 1024 characters).' }),
    engineConfiguration: t.field({ type: StartSessionEngineConfigurationInput }),
    idleTimeoutMinutes: t.int({ description: 'Minutes of idleness after which Athena ends the session (1 to 480).' }),
    clientRequestToken: t.string({
      description: 'Makes the start idempotent: retrying with the same token returns the same session instead of starting another (1 to 36 characters).',
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

const DEFAULT_MAX_CONCURRENT_DPUS = 20;
const MAX_SPARK_PROPERTIES = 100;

builder.mutationField('startSession', (t) =>
  t.field({
    type: StartSessionPayload,
    nullable: false,
    description: 'Starts a session in a work group. Pass `clientRequestToken` so that a retried start does not start two sessions.',
    args: { input: t.arg({ type: StartSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      requireWriteScope(context, { action: 'startSession', sessionId: undefined, workGroup: input.workGroup });
      const workGroup = validateWorkGroup(input.workGroup, 'input.workGroup');
      const description = validateMember('DescriptionString', input.description, 'input.description');
      const engine = input.engineConfiguration;
      const sparkProperties = engine?.sparkProperties ?? [];
      if (sparkProperties.length > MAX_SPARK_PROPERTIES) {
        throw new BadUserInputError(`At most ${MAX_SPARK_PROPERTIES} Spark properties.`, 'input.engineConfiguration.sparkProperties');
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
            validateMember('MaxConcurrentDpus', engine?.maxConcurrentDpus, 'input.engineConfiguration.maxConcurrentDpus') ?? DEFAULT_MAX_CONCURRENT_DPUS,
          coordinatorDpuSize: validateMember('CoordinatorDpuSize', engine?.coordinatorDpuSize, 'input.engineConfiguration.coordinatorDpuSize'),
          defaultExecutorDpuSize: validateMember('DefaultExecutorDpuSize', engine?.defaultExecutorDpuSize, 'input.engineConfiguration.defaultExecutorDpuSize'),
          sparkProperties: sparkProperties.length > 0 ? Object.fromEntries(sparkProperties.map(({ key, value }) => [key, value])) : undefined,
        },
        sessionIdleTimeoutInMinutes: validateMember('SessionIdleTimeoutInMinutes', input.idleTimeoutMinutes, 'input.idleTimeoutMinutes'),
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
          throw new BadUserInputError('Athena rejected the start request: check the work group and the engine configuration.', 'input');
        }
        throw error;
      }
    },
  }),
);
