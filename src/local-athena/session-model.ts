/**
 * The local service's domain types: camelCase, epoch milliseconds. Operations translate them
 * to and from the PascalCase, epoch-seconds wire shapes.
 */

export const SESSION_STATES = [
  'CREATING',
  'CREATED',
  'IDLE',
  'BUSY',
  'TERMINATING',
  'TERMINATED',
  'DEGRADED',
  'FAILED',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/**
 * What ListSessions returns without a StateFilter. GUESS: the reference says "an active state
 * like CREATING, CREATED, IDLE, or BUSY", and TerminateSession calls TERMINATING, TERMINATED and
 * FAILED inactive; DEGRADED (no healthy coordinator, resources still held) is counted as active.
 */
export const ACTIVE_SESSION_STATES: ReadonlySet<SessionState> = new Set<SessionState>([
  'CREATING',
  'CREATED',
  'IDLE',
  'BUSY',
  'DEGRADED',
]);

/** TerminateSession on these "succeeds but has no effect" (TerminateSession reference). */
export const INACTIVE_SESSION_STATES: ReadonlySet<SessionState> = new Set<SessionState>([
  'TERMINATING',
  'TERMINATED',
  'FAILED',
]);

export const CALCULATION_STATES = [
  'CREATING',
  'CREATED',
  'QUEUED',
  'RUNNING',
  'CANCELING',
  'CANCELED',
  'COMPLETED',
  'FAILED',
] as const;
export type CalculationState = (typeof CALCULATION_STATES)[number];

export const ENCRYPTION_OPTIONS = ['SSE_S3', 'SSE_KMS', 'CSE_KMS'] as const;
export type EncryptionOption = (typeof ENCRYPTION_OPTIONS)[number];

/**
 * How long the simulated lifecycle stays in each state. GUESS: real sessions take several
 * seconds to start; these defaults are short enough for a demo and long enough to be seen.
 */
export interface LifecycleTimings {
  /** CREATING -> CREATED after StartSession. */
  creatingMs: number;
  /** CREATED -> IDLE. */
  createdMs: number;
  /** TERMINATING -> TERMINATED, after TerminateSession or an idle timeout. */
  terminatingMs: number;
  /** A calculation stays CREATING this long before it is QUEUED. */
  calculationCreatingMs: number;
  /** A calculation stays QUEUED this long before it is RUNNING (longer behind another one). */
  calculationQueuedMs: number;
  /** A calculation RUNNING this long is COMPLETED; its session goes BUSY -> IDLE then. */
  calculationMs: number;
  /** CANCELING -> CANCELED after StopCalculationExecution. */
  calculationCancelingMs: number;
  /** SessionIdleTimeoutInMinutes when StartSession leaves it out (GUESS: 20). */
  defaultIdleTimeoutMinutes: number;
}

export const DEFAULT_LIFECYCLE_TIMINGS: Readonly<LifecycleTimings> = Object.freeze({
  creatingMs: 2_000,
  createdMs: 1_000,
  terminatingMs: 1_500,
  calculationCreatingMs: 200,
  calculationQueuedMs: 250,
  calculationMs: 2_000,
  calculationCancelingMs: 1_000,
  defaultIdleTimeoutMinutes: 20,
});

export interface Classification {
  name?: string | undefined;
  properties?: Record<string, string> | undefined;
}

export interface EngineConfiguration {
  coordinatorDpuSize: number;
  maxConcurrentDpus: number;
  defaultExecutorDpuSize: number;
  additionalConfigs: Record<string, string>;
  sparkProperties: Record<string, string>;
  classifications?: Classification[] | undefined;
}

export interface EncryptionConfiguration {
  encryptionOption: EncryptionOption;
  kmsKey?: string | undefined;
}

export interface SessionConfiguration {
  executionRole?: string | undefined;
  workingDirectory: string;
  sessionIdleTimeoutInMinutes: number;
  encryptionConfiguration?: EncryptionConfiguration | undefined;
}

/** Echoed back as given (PascalCase wire members), since the service never interprets it. */
export type MonitoringConfiguration = Record<string, unknown>;

export interface Tag {
  key: string;
  value: string;
}

export interface SessionStatusView {
  state: SessionState;
  stateChangeReason?: string | undefined;
  startDateTime: number;
  lastModifiedDateTime: number;
  endDateTime?: number | undefined;
  /** Only while IDLE. */
  idleSinceDateTime?: number | undefined;
}

/** A copy of one session as it is at the clock's now; mutating it changes nothing. */
export interface SessionView {
  sessionId: string;
  workGroup: string;
  description?: string | undefined;
  notebookVersion?: string | undefined;
  engineVersion: { selected: string; effective: string };
  engineConfiguration: EngineConfiguration;
  sessionConfiguration: SessionConfiguration;
  monitoringConfiguration?: MonitoringConfiguration | undefined;
  tags: Tag[];
  status: SessionStatusView;
  dpuExecutionInMillis: number;
}

export interface CalculationView {
  calculationExecutionId: string;
  sessionId: string;
  description?: string | undefined;
  codeBlock: string;
  workingDirectory: string;
  state: CalculationState;
  stateChangeReason?: string | undefined;
  submissionDateTime: number;
  completionDateTime?: number | undefined;
  dpuExecutionInMillis: number;
  progress?: string | undefined;
  /** Result members (stdout, result) exist: COMPLETED. */
  hasResult: boolean;
  /** Log members (stdout, stderr) exist: COMPLETED, or FAILED by its own code. */
  hasLogs: boolean;
}

export const WORK_GROUP_STATES = ['ENABLED', 'DISABLED'] as const;
export type WorkGroupState = (typeof WORK_GROUP_STATES)[number];

export interface WorkGroupSettings {
  /**
   * The engine version sessions get. Default 'PySpark engine version 3'. A name without "Spark"
   * (e.g. 'Athena engine version 3') makes a SQL work group, in which StartSession is refused.
   */
  engineVersion?: string;
  /** Default ENABLED. StartSession is refused in a DISABLED work group. */
  state?: WorkGroupState;
  description?: string;
  /** Default: the clock's now when the work group is created. */
  creationTime?: number;
  /** Used when StartSession has no ExecutionRole (Spark work groups only). */
  executionRole?: string;
  /** Sessions' working directories are created under it (an s3:// prefix ending in '/'). */
  outputLocation?: string;
  encryptionConfiguration?: EncryptionConfiguration;
}

export interface WorkGroupView {
  name: string;
  state: WorkGroupState;
  description?: string | undefined;
  creationTime: number;
  engineVersion: string;
  executionRole: string;
  outputLocation: string;
  encryptionConfiguration?: EncryptionConfiguration | undefined;
}

/** Whether a work group's engine runs Spark sessions (as opposed to SQL queries). */
export function isSparkEngineVersion(engineVersion: string): boolean {
  return /spark/i.test(engineVersion);
}

/** Spark 3.5 runs code through Spark Connect (GetSessionEndpoint), not the calculation API. */
export function isSparkConnectEngineVersion(engineVersion: string): boolean {
  return engineVersion === SPARK_35_ENGINE_VERSION;
}

export const PYSPARK_3_ENGINE_VERSION = 'PySpark engine version 3';
export const SPARK_35_ENGINE_VERSION = 'Apache Spark version 3.5';
export const SQL_ENGINE_VERSION = 'Athena engine version 3';
