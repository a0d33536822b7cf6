// The value types under a Session that GetSession fills: engine version and configuration, session
// configuration, statistics, and the key/value pairs their maps become.
import type { EngineConfiguration, SessionConfiguration, SessionDetails } from '../athena/port.js';
import { builder } from './builder.js';

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
  .objectRef<{ selectedEngineVersion?: string | undefined; effectiveEngineVersion?: string | undefined }>(
    'EngineVersion',
  )
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

export const EngineConfigurationObject = builder.objectRef<EngineConfiguration>('EngineConfiguration').implement({
  description: 'The engine configuration of a session: DPU sizing and Spark settings.',
  fields: (t) => ({
    coordinatorDpuSize: t.exposeInt('coordinatorDpuSize', {
      description:
        'The number of DPUs to use for the coordinator. A coordinator is a special executor that orchestrates processing work and manages other executors in a notebook session.',
    }),
    maxConcurrentDpus: t.exposeInt('maxConcurrentDpus', {
      description: 'The maximum number of DPUs that can run concurrently.',
    }),
    defaultExecutorDpuSize: t.exposeInt('defaultExecutorDpuSize', {
      description:
        'The default number of DPUs to use for executors. An executor is the smallest unit of compute that a notebook session can request from Athena.',
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

export const SessionConfigurationObject = builder.objectRef<SessionConfiguration>('SessionConfiguration').implement({
  description: 'The work group configuration the session runs with.',
  fields: (t) => ({
    executionRole: t.exposeString('executionRole', { description: 'The ARN of the execution role the session uses.' }),
    workingDirectory: t.exposeString('workingDirectory', {
      description: 'The Amazon S3 location that stores information for the notebook.',
    }),
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

export const SessionStatisticsObject = builder
  .objectRef<NonNullable<SessionDetails['statistics']>>('SessionStatistics')
  .implement({
    description: 'Usage statistics of a session.',
    fields: (t) => ({
      dpuExecutionInMillis: t.field({
        type: 'SafeInt',
        description: 'The data processing unit execution time for the session, in milliseconds.',
        resolve: (statistics) => statistics.dpuExecutionInMillis,
      }),
    }),
  });
