import type {
  CalculationView,
  EngineConfiguration,
  SessionConfiguration,
  SessionStatusView,
  SessionView,
  WorkGroupView,
} from './session-model.js';
import { isSparkEngineVersion } from './session-model.js';

/**
 * Domain views -> AWS JSON 1.1 response members (PascalCase). Timestamps go out as epoch
 * seconds with a millisecond fraction (e.g. 1700000000.123), as the SDK's awsJson1_1 parser
 * expects. Undefined members vanish in JSON.stringify, so optional members are simply absent.
 */

export function toEpochSeconds(epochMs: number): number {
  return epochMs / 1000;
}

function optionalEpochSeconds(epochMs: number | undefined): number | undefined {
  return epochMs === undefined ? undefined : toEpochSeconds(epochMs);
}

export function toWireSessionStatus(status: SessionStatusView): Record<string, unknown> {
  return {
    StartDateTime: toEpochSeconds(status.startDateTime),
    LastModifiedDateTime: toEpochSeconds(status.lastModifiedDateTime),
    EndDateTime: optionalEpochSeconds(status.endDateTime),
    IdleSinceDateTime: optionalEpochSeconds(status.idleSinceDateTime),
    State: status.state,
    StateChangeReason: status.stateChangeReason,
  };
}

export function toWireSessionSummary(session: SessionView): Record<string, unknown> {
  return {
    SessionId: session.sessionId,
    Description: session.description,
    EngineVersion: {
      SelectedEngineVersion: session.engineVersion.selected,
      EffectiveEngineVersion: session.engineVersion.effective,
    },
    NotebookVersion: session.notebookVersion,
    Status: toWireSessionStatus(session.status),
  };
}

function toWireEngineConfiguration(configuration: EngineConfiguration): Record<string, unknown> {
  return {
    CoordinatorDpuSize: configuration.coordinatorDpuSize,
    MaxConcurrentDpus: configuration.maxConcurrentDpus,
    DefaultExecutorDpuSize: configuration.defaultExecutorDpuSize,
    AdditionalConfigs: configuration.additionalConfigs,
    SparkProperties: configuration.sparkProperties,
    Classifications: configuration.classifications?.map((classification) => ({
      Name: classification.name,
      Properties: classification.properties,
    })),
  };
}

function toWireSessionConfiguration(configuration: SessionConfiguration): Record<string, unknown> {
  const encryption = configuration.encryptionConfiguration;
  return {
    ExecutionRole: configuration.executionRole,
    WorkingDirectory: configuration.workingDirectory,
    IdleTimeoutSeconds: configuration.sessionIdleTimeoutInMinutes * 60,
    SessionIdleTimeoutInMinutes: configuration.sessionIdleTimeoutInMinutes,
    EncryptionConfiguration: encryption
      ? { EncryptionOption: encryption.encryptionOption, KmsKey: encryption.kmsKey }
      : undefined,
  };
}

export function toWireSessionDetails(session: SessionView): Record<string, unknown> {
  return {
    SessionId: session.sessionId,
    Description: session.description,
    WorkGroup: session.workGroup,
    // GetSession has the engine version as one string: the version the session actually runs.
    EngineVersion: session.engineVersion.effective,
    EngineConfiguration: toWireEngineConfiguration(session.engineConfiguration),
    NotebookVersion: session.notebookVersion,
    MonitoringConfiguration: session.monitoringConfiguration,
    SessionConfiguration: toWireSessionConfiguration(session.sessionConfiguration),
    Status: toWireSessionStatus(session.status),
    Statistics: { DpuExecutionInMillis: session.dpuExecutionInMillis },
  };
}

export function toWireCalculationStatus(calculation: CalculationView): Record<string, unknown> {
  return {
    SubmissionDateTime: toEpochSeconds(calculation.submissionDateTime),
    CompletionDateTime: optionalEpochSeconds(calculation.completionDateTime),
    State: calculation.state,
    StateChangeReason: calculation.stateChangeReason,
  };
}

export function toWireCalculationStatistics(calculation: CalculationView): Record<string, unknown> {
  return { DpuExecutionInMillis: calculation.dpuExecutionInMillis, Progress: calculation.progress };
}

export function toWireCalculationSummary(calculation: CalculationView): Record<string, unknown> {
  return {
    CalculationExecutionId: calculation.calculationExecutionId,
    Description: calculation.description,
    Status: toWireCalculationStatus(calculation),
  };
}

export function toWireCalculation(calculation: CalculationView): Record<string, unknown> {
  const directory = calculation.workingDirectory;
  return {
    CalculationExecutionId: calculation.calculationExecutionId,
    SessionId: calculation.sessionId,
    Description: calculation.description,
    WorkingDirectory: directory,
    Status: toWireCalculationStatus(calculation),
    Statistics: toWireCalculationStatistics(calculation),
    // GUESS: the file names and the result type.
    Result: calculation.hasLogs
      ? {
          StdOutS3Uri: `${directory}stdout.txt`,
          StdErrorS3Uri: `${directory}stderr.txt`,
          ResultS3Uri: calculation.hasResult ? `${directory}result.json` : undefined,
          ResultType: calculation.hasResult ? 'application/json' : undefined,
        }
      : undefined,
  };
}

function toWireEngineVersion(engineVersion: string): Record<string, unknown> {
  // The local work groups pin their version, so the selected version is the effective one.
  return { SelectedEngineVersion: engineVersion, EffectiveEngineVersion: engineVersion };
}

export function toWireWorkGroupSummary(workGroup: WorkGroupView): Record<string, unknown> {
  return {
    Name: workGroup.name,
    State: workGroup.state,
    Description: workGroup.description,
    CreationTime: toEpochSeconds(workGroup.creationTime),
    EngineVersion: toWireEngineVersion(workGroup.engineVersion),
  };
}

export function toWireWorkGroup(workGroup: WorkGroupView): Record<string, unknown> {
  const encryption = workGroup.encryptionConfiguration;
  const spark = isSparkEngineVersion(workGroup.engineVersion);
  return {
    Name: workGroup.name,
    State: workGroup.state,
    Description: workGroup.description,
    CreationTime: toEpochSeconds(workGroup.creationTime),
    Configuration: {
      ResultConfiguration: {
        OutputLocation: workGroup.outputLocation,
        EncryptionConfiguration: encryption
          ? { EncryptionOption: encryption.encryptionOption, KmsKey: encryption.kmsKey }
          : undefined,
      },
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      RequesterPaysEnabled: false,
      EngineVersion: toWireEngineVersion(workGroup.engineVersion),
      // Spark work groups need an execution role (AWS refuses to create one without it).
      ExecutionRole: spark ? workGroup.executionRole : undefined,
    },
  };
}
