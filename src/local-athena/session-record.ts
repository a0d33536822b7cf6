import type { CalculationRecord } from './calculation-record.js';
import type {
  EncryptionConfiguration,
  EngineConfiguration,
  MonitoringConfiguration,
  SessionConfiguration,
  SessionState,
  SessionView,
  Tag,
  WorkGroupView,
} from './session-model.js';

/** GUESS: StartSession without MaxConcurrentDpus (optional in the current SDK) gets this. */
export const DEFAULT_MAX_CONCURRENT_DPUS = 20;

/** One session as the store keeps it; callers only ever see copies (sessionView). */
export interface SessionRecord {
  sessionId: string;
  workGroup: string;
  description: string | undefined;
  notebookVersion: string | undefined;
  engineVersion: { selected: string; effective: string };
  engineConfiguration: EngineConfiguration;
  sessionConfiguration: SessionConfiguration;
  monitoringConfiguration: MonitoringConfiguration | undefined;
  tags: Tag[];
  state: SessionState;
  stateChangeReason: string | undefined;
  startDateTime: number;
  lastModifiedDateTime: number;
  endDateTime: number | undefined;
  idleSinceDateTime: number | undefined;
  dpuExecutionInMillis: number;
  stateEnteredAt: number;
  idleTimeoutMs: number | null;
  pinned: boolean;
  creatingMs: number;
  createdMs: number;
  /** Calculations that hold the session BUSY, in submission order. */
  activeCalculationIds: string[];
  /** All its calculations, in ListCalculationExecutions order. */
  calculationsNewestFirst: CalculationRecord[];
}

/** What StartSession and direct seeding decide; the rest (defaults, copies) is buildSessionRecord's. */
export interface SessionRecordInit {
  sessionId: string;
  workGroup: WorkGroupView;
  description: string | undefined;
  notebookVersion: string | undefined;
  engineVersion: { selected: string; effective: string };
  /** Members left out (or undefined) get the defaults: DPU sizes 1, MaxConcurrentDpus 20, empty maps. */
  engineConfiguration: Partial<EngineConfiguration> | undefined;
  /** Default: the work group's. */
  executionRole: string | undefined;
  /** Default: <work group output location><session id>/. */
  workingDirectory: string | undefined;
  sessionIdleTimeoutInMinutes: number;
  /** Default: the work group's. */
  encryptionConfiguration: EncryptionConfiguration | undefined;
  monitoringConfiguration: MonitoringConfiguration | undefined;
  tags: Tag[] | undefined;
  state: SessionState;
  stateChangeReason: string | undefined;
  startDateTime: number;
  lastModifiedDateTime: number;
  endDateTime: number | undefined;
  idleSinceDateTime: number | undefined;
  dpuExecutionInMillis: number;
  stateEnteredAt: number;
  idleTimeoutMs: number | null;
  pinned: boolean;
  creatingMs: number;
  createdMs: number;
}

/** The one place a session record is built: defaults filled in, everything given copied. */
export function buildSessionRecord(init: SessionRecordInit): SessionRecord {
  const { workGroup } = init;
  return {
    sessionId: init.sessionId,
    workGroup: workGroup.name,
    description: init.description,
    notebookVersion: init.notebookVersion,
    engineVersion: { ...init.engineVersion },
    engineConfiguration: copyEngineConfiguration({
      coordinatorDpuSize: 1,
      maxConcurrentDpus: DEFAULT_MAX_CONCURRENT_DPUS,
      defaultExecutorDpuSize: 1,
      additionalConfigs: {},
      sparkProperties: {},
      ...definedOnly(init.engineConfiguration),
    }),
    sessionConfiguration: {
      executionRole: init.executionRole ?? workGroup.executionRole,
      workingDirectory: init.workingDirectory ?? `${workGroup.outputLocation}${init.sessionId}/`,
      sessionIdleTimeoutInMinutes: init.sessionIdleTimeoutInMinutes,
      encryptionConfiguration: init.encryptionConfiguration ?? workGroup.encryptionConfiguration,
    },
    monitoringConfiguration: init.monitoringConfiguration ? structuredClone(init.monitoringConfiguration) : undefined,
    tags: (init.tags ?? []).map((tag) => ({ ...tag })),
    state: init.state,
    stateChangeReason: init.stateChangeReason,
    startDateTime: init.startDateTime,
    lastModifiedDateTime: init.lastModifiedDateTime,
    endDateTime: init.endDateTime,
    idleSinceDateTime: init.idleSinceDateTime,
    dpuExecutionInMillis: init.dpuExecutionInMillis,
    stateEnteredAt: init.stateEnteredAt,
    idleTimeoutMs: init.idleTimeoutMs,
    pinned: init.pinned,
    creatingMs: init.creatingMs,
    createdMs: init.createdMs,
    activeCalculationIds: [],
    calculationsNewestFirst: [],
  };
}

/** A copy of the session as it is now; mutating it changes nothing. */
export function sessionView(record: SessionRecord): SessionView {
  return {
    sessionId: record.sessionId,
    workGroup: record.workGroup,
    description: record.description,
    notebookVersion: record.notebookVersion,
    engineVersion: { ...record.engineVersion },
    engineConfiguration: copyEngineConfiguration(record.engineConfiguration),
    sessionConfiguration: {
      ...record.sessionConfiguration,
      encryptionConfiguration: record.sessionConfiguration.encryptionConfiguration
        ? { ...record.sessionConfiguration.encryptionConfiguration }
        : undefined,
    },
    monitoringConfiguration: record.monitoringConfiguration
      ? structuredClone(record.monitoringConfiguration)
      : undefined,
    tags: record.tags.map((tag) => ({ ...tag })),
    status: {
      state: record.state,
      stateChangeReason: record.stateChangeReason,
      startDateTime: record.startDateTime,
      lastModifiedDateTime: record.lastModifiedDateTime,
      endDateTime: record.endDateTime,
      idleSinceDateTime: record.idleSinceDateTime,
    },
    dpuExecutionInMillis: record.dpuExecutionInMillis,
  };
}

function copyEngineConfiguration(configuration: EngineConfiguration): EngineConfiguration {
  return {
    coordinatorDpuSize: configuration.coordinatorDpuSize,
    maxConcurrentDpus: configuration.maxConcurrentDpus,
    defaultExecutorDpuSize: configuration.defaultExecutorDpuSize,
    additionalConfigs: { ...configuration.additionalConfigs },
    sparkProperties: { ...configuration.sparkProperties },
    classifications: configuration.classifications?.map((classification) => ({
      name: classification.name,
      properties: classification.properties ? { ...classification.properties } : undefined,
    })),
  };
}

/** The members that are set: an undefined member must not override a default. */
export function definedOnly<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  if (!partial) return {};
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;
}
