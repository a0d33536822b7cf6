import type { Clock } from './clock.js';
import type {
  CalculationState,
  CalculationView,
  Classification,
  EncryptionConfiguration,
  EngineConfiguration,
  LifecycleTimings,
  MonitoringConfiguration,
  SessionState,
  SessionView,
  Tag,
} from './session-model.js';
import type { SessionStore } from './session-store.js';

/** What the store's API takes and answers (session-store.ts), in one place. */

export type TimeInput = number | Date;

export function toMillis(time: TimeInput): number {
  return typeof time === 'number' ? time : time.getTime();
}

/** Everything a test or the demo seed may choose when inserting a session directly. */
export interface SessionSeed {
  workGroup: string;
  /** Default: a random UUID. */
  sessionId?: string;
  /** Default: IDLE. */
  state?: SessionState;
  stateChangeReason?: string;
  description?: string;
  notebookVersion?: string;
  /** One string (selected = effective) or both. Default: the work group's engine version. */
  engineVersion?: string | { selected: string; effective: string };
  engineConfiguration?: Partial<EngineConfiguration>;
  executionRole?: string;
  workingDirectory?: string;
  sessionIdleTimeoutInMinutes?: number;
  encryptionConfiguration?: EncryptionConfiguration;
  monitoringConfiguration?: MonitoringConfiguration;
  tags?: Tag[];
  /** Default: now. */
  startDateTime?: TimeInput;
  /** Default: startDateTime. */
  lastModifiedDateTime?: TimeInput;
  /** Shown for TERMINATED and FAILED only. Default: lastModifiedDateTime. */
  endDateTime?: TimeInput;
  /** Shown while IDLE only. Default: lastModifiedDateTime. */
  idleSinceDateTime?: TimeInput;
  dpuExecutionInMillis?: number;
  /**
   * When the current state's timers start (creating, idle timeout, ...). Default: now, so that
   * sessions seeded with old timestamps do not all expire on the first read.
   */
  stateEnteredAt?: TimeInput;
  /** Idle time after which an IDLE session terminates; null never. Default: from the minutes. */
  idleTimeoutMs?: number | null;
  /**
   * A pinned session makes no timer-driven transitions (it stays CREATING, BUSY, ...) until an
   * operation acts on it (TerminateSession, StartCalculationExecution). Default false.
   */
  pinned?: boolean;
  /** CREATING -> CREATED after this long (from stateEnteredAt). Default: the store's creatingMs. */
  creatingMs?: number;
  /** CREATED -> IDLE after this long. Default: the store's createdMs. */
  createdMs?: number;
}

/**
 * Activity that falls due over time (the living demo's schedule). The store asks it to run
 * everything due up to now before it answers any read or operation, so it stays as lazy (and
 * as deterministic under a ManualClock) as the lifecycle itself.
 */
export interface ScheduledActivity {
  /** Runs every activity due at or before `now`, in time order, through the store's own API. */
  runDue(store: SessionStore, now: number): void;
}

/** A calculation submitted at a given time (the demo's schedule), with its own running time. */
export interface SubmitCalculationParameters {
  calculationExecutionId?: string | undefined;
  description?: string | undefined;
  codeBlock: string;
  runningMs: number;
}

/** StartSession's members after validation. */
export interface StartSessionParameters {
  workGroup: string;
  description?: string | undefined;
  engineConfiguration: {
    coordinatorDpuSize?: number | undefined;
    maxConcurrentDpus?: number | undefined;
    defaultExecutorDpuSize?: number | undefined;
    additionalConfigs?: Record<string, string> | undefined;
    sparkProperties?: Record<string, string> | undefined;
    classifications?: Classification[] | undefined;
  };
  executionRole?: string | undefined;
  monitoringConfiguration?: MonitoringConfiguration | undefined;
  notebookVersion?: string | undefined;
  sessionIdleTimeoutInMinutes?: number | undefined;
  clientRequestToken?: string | undefined;
  tags?: Tag[] | undefined;
  copyWorkGroupTags?: boolean | undefined;
}

export interface StartCalculationParameters {
  sessionId: string;
  description?: string | undefined;
  codeBlock: string;
  clientRequestToken?: string | undefined;
}

/** Where a ListSessions page ended: the order is StartDateTime descending, then SessionId ascending. */
export interface SessionPosition {
  startDateTime: number;
  sessionId: string;
}

export interface ListSessionsQuery {
  workGroup: string;
  /** Undefined: the active states. */
  stateFilter?: SessionState | undefined;
  after?: SessionPosition | undefined;
  limit: number;
}

export interface ListSessionsPage {
  sessions: SessionView[];
  /** Set only when more matching sessions follow. */
  nextPosition?: SessionPosition | undefined;
}

export interface ListCalculationsQuery {
  sessionId: string;
  stateFilter?: CalculationState | undefined;
  after?: { submittedAt: number; calculationExecutionId: string } | undefined;
  limit: number;
}

export interface ListCalculationsPage {
  calculations: CalculationView[];
  nextPosition?: { submittedAt: number; calculationExecutionId: string } | undefined;
}

export interface CalculationSeed {
  sessionId: string;
  calculationExecutionId?: string;
  description?: string;
  codeBlock: string;
  submittedAt: TimeInput;
  /** From submission to running. Default: the CREATING and QUEUED timings. */
  waitMs?: number;
  runningMs: number;
  /** Default: from the code (see outcomeOfCode). */
  outcome?: 'COMPLETED' | 'FAILED';
}

export interface SessionEndpoint {
  endpointUrl: string;
  authToken: string;
  /** Epoch ms. */
  authTokenExpirationTime: number;
}

export interface SessionStoreOptions {
  clock?: Clock;
  timings?: Partial<LifecycleTimings>;
  /** Generates session and calculation ids. Default: random UUIDs. */
  newId?: () => string;
}
