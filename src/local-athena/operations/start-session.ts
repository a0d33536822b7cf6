import { onlyModelled } from '../../athena-model/index.js';
import {
  booleanMember,
  listMember,
  numberMember,
  stringMapMember,
  stringMember,
  structureMember,
  validateRequest,
} from '../request-validator.js';
import type { Classification, MonitoringConfiguration, Tag } from '../session-model.js';
import type { AthenaOperation } from './operation.js';

export const startSessionOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('StartSession', input);
    const engine = structureMember(input, 'EngineConfiguration') ?? {};
    const classifications: Classification[] | undefined = listMember(engine, 'Classifications')?.map((element) => ({
      name: stringMember(element, 'Name'),
      properties: stringMapMember(element, 'Properties'),
    }));
    const tags: Tag[] | undefined = listMember(input, 'Tags')?.map((element) => ({
      key: stringMember(element, 'Key') ?? '',
      value: stringMember(element, 'Value') ?? '',
    }));
    const monitoring = structureMember(input, 'MonitoringConfiguration');

    const { session } = store.startSession({
      workGroup: stringMember(input, 'WorkGroup') as string,
      description: stringMember(input, 'Description'),
      engineConfiguration: {
        maxConcurrentDpus: numberMember(engine, 'MaxConcurrentDpus'),
        coordinatorDpuSize: numberMember(engine, 'CoordinatorDpuSize'),
        defaultExecutorDpuSize: numberMember(engine, 'DefaultExecutorDpuSize'),
        additionalConfigs: stringMapMember(engine, 'AdditionalConfigs'),
        sparkProperties: stringMapMember(engine, 'SparkProperties'),
        classifications,
      },
      executionRole: stringMember(input, 'ExecutionRole'),
      // Echoed back in GetSession with the members the model has, as AWS would store it.
      monitoringConfiguration: monitoring
        ? (onlyModelled('MonitoringConfiguration', monitoring) as MonitoringConfiguration)
        : undefined,
      notebookVersion: stringMember(input, 'NotebookVersion'),
      sessionIdleTimeoutInMinutes: numberMember(input, 'SessionIdleTimeoutInMinutes'),
      clientRequestToken: stringMember(input, 'ClientRequestToken'),
      tags,
      copyWorkGroupTags: booleanMember(input, 'CopyWorkGroupTags'),
    });
    // GUESS: a retried StartSession (same ClientRequestToken) answers the session's current state.
    return { SessionId: session.sessionId, State: session.status.state };
  },
};
