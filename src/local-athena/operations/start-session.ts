import { RequestValidator } from '../request-validator.js';
import type { Classification, MonitoringConfiguration, Tag } from '../session-model.js';
import {
  CLIENT_REQUEST_TOKEN_RULES,
  DESCRIPTION_RULES,
  WORK_GROUP_RULES,
} from './common-rules.js';
import type { AthenaOperation } from './operation.js';

/** From the API reference's EngineConfiguration and StartSession pages. */
const MAX_CONCURRENT_DPUS = { min: 2, max: 5000 } as const;
const COORDINATOR_DPU_SIZE = { min: 1, max: 1 } as const;
const DEFAULT_EXECUTOR_DPU_SIZE = { min: 1, max: 1 } as const;
const SESSION_IDLE_TIMEOUT_MINUTES = { min: 1, max: 480 } as const;
const EXECUTION_ROLE = {
  minLength: 20,
  maxLength: 2048,
  pattern: 'arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
} as const;
/** GUESS: map limits are not in the reference pages the project has; generous ones. */
const CONFIG_MAP_RULES = { keyMinLength: 1, keyMaxLength: 255, valueMaxLength: 51_200 } as const;
const MAX_TAGS = 50;

function validateMonitoringConfiguration(
  validator: RequestValidator,
): MonitoringConfiguration | undefined {
  const monitoring = validator.structure('MonitoringConfiguration');
  if (!monitoring) return undefined;
  const cloudWatch = monitoring.structure('CloudWatchLoggingConfiguration');
  if (cloudWatch) {
    cloudWatch.boolean('Enabled', { required: true });
    cloudWatch.string('LogGroup', { minLength: 1, maxLength: 512 });
    cloudWatch.string('LogStreamNamePrefix', { minLength: 1, maxLength: 512 });
  }
  const managed = monitoring.structure('ManagedLoggingConfiguration');
  if (managed) {
    managed.boolean('Enabled', { required: true });
    managed.string('KmsKey', { minLength: 1, maxLength: 2048 });
  }
  const s3 = monitoring.structure('S3LoggingConfiguration');
  if (s3) {
    s3.boolean('Enabled', { required: true });
    s3.string('KmsKey', { minLength: 1, maxLength: 2048 });
    s3.string('LogLocation', { minLength: 1, maxLength: 1024 });
  }
  // Echoed back verbatim in GetSession; the structure was checked above.
  const checked = validator.rawValue('MonitoringConfiguration');
  return validator.isValid ? (structuredClone(checked) as MonitoringConfiguration) : undefined;
}

export const startSessionOperation: AthenaOperation = {
  name: 'StartSession',
  handle(input, { store }) {
    const validator = new RequestValidator(input);
    const workGroup = validator.string('WorkGroup', WORK_GROUP_RULES) as string;
    const description = validator.string('Description', DESCRIPTION_RULES);

    const engine = validator.structure('EngineConfiguration', { required: true });
    const maxConcurrentDpus = engine?.integer('MaxConcurrentDpus', MAX_CONCURRENT_DPUS);
    const coordinatorDpuSize = engine?.integer('CoordinatorDpuSize', COORDINATOR_DPU_SIZE);
    const defaultExecutorDpuSize = engine?.integer('DefaultExecutorDpuSize', DEFAULT_EXECUTOR_DPU_SIZE);
    const additionalConfigs = engine?.stringMap('AdditionalConfigs', CONFIG_MAP_RULES);
    const sparkProperties = engine?.stringMap('SparkProperties', CONFIG_MAP_RULES);
    const classifications: Classification[] | undefined = engine
      ?.structureList('Classifications')
      ?.map((element) => ({
        name: element.string('Name', { minLength: 1, maxLength: 255 }),
        properties: element.stringMap('Properties', CONFIG_MAP_RULES),
      }));

    const executionRole = validator.string('ExecutionRole', EXECUTION_ROLE);
    const monitoringConfiguration = validateMonitoringConfiguration(validator);
    const notebookVersion = validator.string('NotebookVersion', { minLength: 1, maxLength: 128 });
    const sessionIdleTimeoutInMinutes = validator.integer(
      'SessionIdleTimeoutInMinutes',
      SESSION_IDLE_TIMEOUT_MINUTES,
    );
    const clientRequestToken = validator.string('ClientRequestToken', CLIENT_REQUEST_TOKEN_RULES);
    const tags: Tag[] | undefined = validator
      .structureList('Tags', { maxItems: MAX_TAGS })
      ?.map((element) => ({
        key: element.string('Key', { required: true, minLength: 1, maxLength: 128 }) ?? '',
        value: element.string('Value', { maxLength: 256 }) ?? '',
      }));
    const copyWorkGroupTags = validator.boolean('CopyWorkGroupTags');
    validator.throwIfInvalid();

    const { session } = store.startSession({
      workGroup,
      description,
      engineConfiguration: {
        maxConcurrentDpus,
        coordinatorDpuSize,
        defaultExecutorDpuSize,
        additionalConfigs,
        sparkProperties,
        classifications,
      },
      executionRole,
      monitoringConfiguration,
      notebookVersion,
      sessionIdleTimeoutInMinutes,
      clientRequestToken,
      tags,
      copyWorkGroupTags,
    });
    // GUESS: a retried StartSession (same ClientRequestToken) answers the session's current state.
    return { SessionId: session.sessionId, State: session.status.state };
  },
};
