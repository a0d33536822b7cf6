// The gateway's view of Athena's session API: camelCase domain types and one interface.
// Nothing here imports the AWS SDK, so the schema, the loaders and the caches never see
// PascalCase wire shapes, and any Athena-compatible backend can sit behind the interface.
import type { OperationName } from '../athena-model/index.js';
import { type ImmutableSessionFields, immutableFieldsOf } from './session-fields.js';

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

/** States after which a session never changes again. */
export const FINAL_SESSION_STATES: ReadonlySet<SessionState> = new Set(['TERMINATED', 'FAILED']);

export interface SessionStatus {
  state: SessionState;
  stateChangeReason?: string | undefined;
  startDateTime?: Date | undefined;
  lastModifiedDateTime?: Date | undefined;
  endDateTime?: Date | undefined;
  idleSinceDateTime?: Date | undefined;
}

export interface EngineVersion {
  selectedEngineVersion?: string | undefined;
  effectiveEngineVersion?: string | undefined;
}

/** One row of ListSessions. */
export interface SessionSummary {
  sessionId: string;
  description?: string | undefined;
  engineVersion?: EngineVersion | undefined;
  notebookVersion?: string | undefined;
  status: SessionStatus;
}

export interface Classification {
  name?: string | undefined;
  properties?: Readonly<Record<string, string>> | undefined;
}

export interface EngineConfiguration {
  coordinatorDpuSize?: number | undefined;
  maxConcurrentDpus?: number | undefined;
  defaultExecutorDpuSize?: number | undefined;
  additionalConfigs?: Readonly<Record<string, string>> | undefined;
  sparkProperties?: Readonly<Record<string, string>> | undefined;
  classifications?: readonly Classification[] | undefined;
}

export interface EncryptionConfiguration {
  encryptionOption: string;
  kmsKey?: string | undefined;
}

export interface SessionConfiguration {
  executionRole?: string | undefined;
  workingDirectory?: string | undefined;
  idleTimeoutSeconds?: number | undefined;
  sessionIdleTimeoutInMinutes?: number | undefined;
  encryptionConfiguration?: EncryptionConfiguration | undefined;
}

export interface SessionStatistics {
  dpuExecutionInMillis?: number | undefined;
}

/** The whole of GetSession. */
export interface SessionDetails {
  sessionId: string;
  description?: string | undefined;
  workGroup?: string | undefined;
  /** GetSession returns the engine version as one string (the version the session runs on). */
  engineVersion?: string | undefined;
  engineConfiguration?: EngineConfiguration | undefined;
  notebookVersion?: string | undefined;
  sessionConfiguration?: SessionConfiguration | undefined;
  status: SessionStatus;
  statistics?: SessionStatistics | undefined;
}

export interface SessionStatusResult {
  sessionId: string;
  status: SessionStatus;
}

export interface ListSessionsInput {
  workGroup: string;
  stateFilter?: SessionState | undefined;
  /** 1..100 */
  maxResults?: number | undefined;
  nextToken?: string | undefined;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Absent on the last page. */
  nextToken?: string | undefined;
}

export interface StartSessionInput {
  workGroup: string;
  description?: string | undefined;
  engineConfiguration: EngineConfiguration;
  executionRole?: string | undefined;
  notebookVersion?: string | undefined;
  sessionIdleTimeoutInMinutes?: number | undefined;
  /** Makes a retried start return the same session instead of starting a second one. */
  clientRequestToken?: string | undefined;
}

export interface StartSessionResult {
  sessionId: string;
  state: SessionState;
}

export interface TerminateSessionResult {
  state: SessionState;
}

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

export interface StartCalculationInput {
  sessionId: string;
  codeBlock?: string | undefined;
  description?: string | undefined;
  clientRequestToken?: string | undefined;
}

export interface StartCalculationResult {
  calculationExecutionId: string;
  state: CalculationState;
}

/** States after which a calculation never changes again. */
export const FINAL_CALCULATION_STATES: ReadonlySet<CalculationState> = new Set(['COMPLETED', 'FAILED', 'CANCELED']);

export interface CalculationStatus {
  state: CalculationState;
  stateChangeReason?: string | undefined;
  submissionDateTime?: Date | undefined;
  completionDateTime?: Date | undefined;
}

export interface CalculationStatistics {
  dpuExecutionInMillis?: number | undefined;
  progress?: string | undefined;
}

export interface CalculationResult {
  stdOutS3Uri?: string | undefined;
  stdErrorS3Uri?: string | undefined;
  resultS3Uri?: string | undefined;
  resultType?: string | undefined;
}

/** The whole of GetCalculationExecution. */
export interface Calculation {
  calculationExecutionId: string;
  sessionId?: string | undefined;
  description?: string | undefined;
  workingDirectory?: string | undefined;
  status: CalculationStatus;
  statistics?: CalculationStatistics | undefined;
  result?: CalculationResult | undefined;
}

/** GetCalculationExecutionStatus: no session id, no description, no result. */
export interface CalculationStatusResult {
  calculationExecutionId: string;
  status: CalculationStatus;
  statistics?: CalculationStatistics | undefined;
}

/** One row of ListCalculationExecutions. */
export interface CalculationSummary {
  calculationExecutionId: string;
  description?: string | undefined;
  status: CalculationStatus;
}

export interface ListCalculationsInput {
  sessionId: string;
  stateFilter?: CalculationState | undefined;
  /** 1..100 */
  maxResults?: number | undefined;
  nextToken?: string | undefined;
}

export interface CalculationPage {
  calculations: CalculationSummary[];
  /** Absent on the last page. */
  nextToken?: string | undefined;
}

export interface StopCalculationResult {
  state: CalculationState;
}

/** GetSessionEndpoint (Spark Connect). The token is a secret: never cached, shared or logged. */
export interface SessionEndpoint {
  endpointUrl: string;
  authToken: string;
  authTokenExpirationTime?: Date | undefined;
}

// Work groups (ListWorkGroups, GetWorkGroup).

export const WORK_GROUP_STATES = ['ENABLED', 'DISABLED'] as const;
export type WorkGroupState = (typeof WORK_GROUP_STATES)[number];

/**
 * The engine versions of work groups with Apache Spark enabled, as Athena names them (Spark 3.2.1
 * and Spark 3.5). Every other engine version is a SQL engine, whose work groups have no sessions.
 */
export const SPARK_ENGINE_VERSIONS: ReadonlySet<string> = new Set([
  'PySpark engine version 3',
  'Apache Spark version 3.5',
]);

/** Whether a work group's engine is Spark: the version it runs on, else the one selected. */
export function isSparkEngine(engineVersion: EngineVersion | undefined): boolean {
  const version = engineVersion?.effectiveEngineVersion ?? engineVersion?.selectedEngineVersion;
  return version !== undefined && SPARK_ENGINE_VERSIONS.has(version);
}

/** One row of ListWorkGroups; GetWorkGroup answers the same fields (its engine version from the configuration). */
export interface WorkGroupSummary {
  name: string;
  state?: WorkGroupState | undefined;
  description?: string | undefined;
  creationTime?: Date | undefined;
  engineVersion?: EngineVersion | undefined;
}

export interface ListWorkGroupsInput {
  /** 1..50 */
  maxResults?: number | undefined;
  nextToken?: string | undefined;
}

export interface WorkGroupPage {
  workGroups: WorkGroupSummary[];
  /** Absent on the last page. */
  nextToken?: string | undefined;
}

/** Every upstream call can be cancelled by the caller (a client that went away, a deadline). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** A session's immutable fields, and the whole GetSession answer when it took that call to learn them. */
export interface ImmutableSessionRead {
  fields: ImmutableSessionFields;
  details?: SessionDetails | undefined;
}

export interface AthenaPort {
  getSession(sessionId: string, options?: CallOptions): Promise<SessionDetails>;
  /**
   * The fields of a session that never change (athena/session-fields.ts). A port that remembers
   * them (the caching port) answers without a call; any other asks GetSession (immutableViaGetSession).
   */
  getImmutableSession(sessionId: string, options?: CallOptions): Promise<ImmutableSessionRead>;
  getSessionStatus(sessionId: string, options?: CallOptions): Promise<SessionStatusResult>;
  listSessions(input: ListSessionsInput, options?: CallOptions): Promise<SessionPage>;
  terminateSession(sessionId: string, options?: CallOptions): Promise<TerminateSessionResult>;
  startSession(input: StartSessionInput, options?: CallOptions): Promise<StartSessionResult>;
  startCalculationExecution(input: StartCalculationInput, options?: CallOptions): Promise<StartCalculationResult>;
  // Calculations (PySpark engine version 3 sessions) and the Spark Connect endpoint (Spark 3.5).
  getCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<Calculation>;
  getCalculationExecutionStatus(
    calculationExecutionId: string,
    options?: CallOptions,
  ): Promise<CalculationStatusResult>;
  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions): Promise<string>;
  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions): Promise<CalculationPage>;
  stopCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<StopCalculationResult>;
  getSessionEndpoint(sessionId: string, options?: CallOptions): Promise<SessionEndpoint>;
  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage>;
  /** Rejects with a `not-found` AthenaError when there is no such work group. */
  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary>;
}

/** An Athena operation's name: one of those in AWS's model as extracted (scripts/extract-athena-model.ts). */
export type AthenaOperation = OperationName;

/** getImmutableSession for a port that keeps nothing: one GetSession, whose answer goes back too. */
export async function immutableViaGetSession(
  port: Pick<AthenaPort, 'getSession'>,
  sessionId: string,
  options?: CallOptions,
): Promise<ImmutableSessionRead> {
  const details = await port.getSession(sessionId, options);
  return { fields: immutableFieldsOf(details), details };
}

// Upstream failures, already classified. The SDK adapter is the only place that creates them
// from SDK exceptions; the GraphQL layer turns them into its own error codes.

export type AthenaErrorKind = 'not-found' | 'invalid-request' | 'throttled' | 'unavailable' | 'aborted';

export class AthenaError extends Error {
  override readonly name: string = 'AthenaError';
  /**
   * Athena's own message for a request it rejected (invalid-request only), for the few places that
   * must tell the caller why (a calculation refused by a Spark 3.5 session); unset otherwise.
   */
  readonly reason: string | undefined;
  constructor(
    readonly kind: AthenaErrorKind,
    readonly operation: AthenaOperation,
    message: string,
    options?: { cause?: unknown; reason?: string | undefined },
  ) {
    super(message, options);
    this.reason = options?.reason;
  }
}

export function isAthenaError(error: unknown, kind?: AthenaErrorKind): error is AthenaError {
  return error instanceof AthenaError && (kind === undefined || error.kind === kind);
}
