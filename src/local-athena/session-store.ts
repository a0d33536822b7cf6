import { randomBytes, randomUUID } from 'node:crypto';

import {
  AthenaError,
  calculationNotFound,
  invalidRequest,
  sessionNotFound,
  workGroupNotFound,
} from './athena-error.js';
import type { CalculationRecord } from './calculation-record.js';
import {
  calculationDpuMillis,
  calculationEndsAt,
  calculationStateAt,
  calculationView,
  compareCalculationOrder,
  outcomeOfCode,
  TERMINAL_CALCULATION_STATES,
} from './calculation-record.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type {
  CalculationState,
  CalculationView,
  Classification,
  EncryptionConfiguration,
  EngineConfiguration,
  LifecycleTimings,
  MonitoringConfiguration,
  SessionConfiguration,
  SessionState,
  SessionView,
  Tag,
  WorkGroupSettings,
  WorkGroupView,
} from './session-model.js';
import {
  ACTIVE_SESSION_STATES,
  DEFAULT_LIFECYCLE_TIMINGS,
  INACTIVE_SESSION_STATES,
  isSparkConnectEngineVersion,
  isSparkEngineVersion,
  PYSPARK_3_ENGINE_VERSION,
  SESSION_STATES,
  SPARK_35_ENGINE_VERSION,
} from './session-model.js';

/**
 * All state of the local service. Sessions are advanced lazily: every read first replays the
 * transitions that fell due up to `clock.now()`, so there are no timers, and a ManualClock
 * drives the whole lifecycle deterministically.
 */

export const DEFAULT_ENGINE_VERSION = PYSPARK_3_ENGINE_VERSION;
export const IDLE_TIMEOUT_REASON = 'Session was terminated due to idle timeout';
export const TERMINATED_BY_REQUEST_REASON = 'Session was terminated by a TerminateSession request';
export const DEFAULT_FAILED_REASON = 'Session failed: the Spark driver exited unexpectedly';
export const DEFAULT_DEGRADED_REASON = 'Session has no healthy coordinators';

/** GUESS: StartSession without MaxConcurrentDpus (optional in the current SDK) gets this. */
export const DEFAULT_MAX_CONCURRENT_DPUS = 20;

export type TimeInput = number | Date;

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

const SESSION_ENDPOINT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export interface SessionStoreOptions {
  clock?: Clock;
  timings?: Partial<LifecycleTimings>;
  /** Generates session and calculation ids. Default: random UUIDs. */
  newId?: () => string;
}

interface SessionRecord {
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

interface WorkGroupEntry {
  view: WorkGroupView;
  /** Kept sorted in ListSessions order, so a page is a binary search plus a scan. */
  sessionsInListOrder: SessionRecord[];
}

interface IdempotencyEntry {
  resourceId: string;
  fingerprint: string;
}

interface PendingTransition {
  at: number;
  state: SessionState;
  reason?: string | undefined;
}

const MAX_TRANSITIONS_PER_ADVANCE = 16;

function toMillis(time: TimeInput): number {
  return typeof time === 'number' ? time : time.getTime();
}

function compareListOrder(a: SessionPosition, b: SessionPosition): number {
  if (a.startDateTime !== b.startDateTime) return b.startDateTime - a.startDateTime;
  if (a.sessionId === b.sessionId) return 0;
  return a.sessionId < b.sessionId ? -1 : 1;
}

/** JSON with sorted keys, so that the same parameters in another member order compare equal. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${stableStringify(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function copyStringMap(map: Record<string, string> | undefined): Record<string, string> {
  return map ? { ...map } : {};
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

export class SessionStore {
  readonly clock: Clock;
  readonly timings: Readonly<LifecycleTimings>;
  private readonly newId: () => string;
  private readonly workGroups = new Map<string, WorkGroupEntry>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly calculations = new Map<string, CalculationRecord>();
  private readonly sessionsByClientToken = new Map<string, IdempotencyEntry>();
  private readonly calculationsByClientToken = new Map<string, IdempotencyEntry>();
  private readonly activities: ScheduledActivity[] = [];
  private catchingUp = false;

  constructor(options: SessionStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const timings = { ...DEFAULT_LIFECYCLE_TIMINGS, ...definedOnly(options.timings) };
    for (const [name, value] of Object.entries(timings)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new RangeError(`Lifecycle timing ${name} must be a finite, non-negative number, got ${value}`);
      }
    }
    if (timings.defaultIdleTimeoutMinutes < 1) {
      // Zero would make a fresh IDLE session terminate at once, and the API's minimum is 1.
      throw new RangeError('Lifecycle timing defaultIdleTimeoutMinutes must be at least 1');
    }
    this.timings = Object.freeze(timings);
    this.newId = options.newId ?? randomUUID;
  }

  // ---------------------------------------------------------------- work groups

  /** Creates the work group, or returns the existing one unchanged. */
  createWorkGroup(name: string, settings: WorkGroupSettings = {}): WorkGroupView {
    const existing = this.workGroups.get(name);
    if (existing) return { ...existing.view };
    const view: WorkGroupView = {
      name,
      state: settings.state ?? 'ENABLED',
      description: settings.description,
      creationTime: settings.creationTime ?? this.clock.now(),
      engineVersion: settings.engineVersion ?? DEFAULT_ENGINE_VERSION,
      executionRole:
        settings.executionRole ?? `arn:aws:iam::123456789012:role/service-role/AWSAthenaSparkExecutionRole-${name}`,
      outputLocation: settings.outputLocation ?? `s3://local-athena-results/${name}/`,
      encryptionConfiguration: settings.encryptionConfiguration,
    };
    this.workGroups.set(name, { view, sessionsInListOrder: [] });
    return { ...view };
  }

  hasWorkGroup(name: string): boolean {
    return this.workGroups.has(name);
  }

  getWorkGroup(name: string): WorkGroupView | undefined {
    const entry = this.workGroups.get(name);
    return entry ? { ...entry.view } : undefined;
  }

  workGroupNames(): string[] {
    return [...this.workGroups.keys()];
  }

  /** Work groups in ListWorkGroups order (GUESS: by name), after `afterName`, at most `limit`. */
  listWorkGroupsPage(afterName: string | undefined, limit: number): { workGroups: WorkGroupView[]; hasMore: boolean } {
    const names = [...this.workGroups.keys()].sort().filter((name) => afterName === undefined || name > afterName);
    return {
      workGroups: names.slice(0, limit).map((name) => ({ ...(this.workGroups.get(name) as WorkGroupEntry).view })),
      hasMore: names.length > limit,
    };
  }

  // ---------------------------------------------------------------- scheduled activity

  /** Adds a schedule of activity (the living demo); it runs lazily as the clock passes it. */
  addScheduledActivity(activity: ScheduledActivity): void {
    this.activities.push(activity);
  }

  /** Runs the scheduled activity due by now; an activity's own store calls do not re-enter. */
  private catchUp(): void {
    if (this.catchingUp || this.activities.length === 0) return;
    this.catchingUp = true;
    try {
      const now = this.clock.now();
      for (const activity of this.activities) activity.runDue(this, now);
    } finally {
      this.catchingUp = false;
    }
  }

  /**
   * Submits a calculation at `at` (not after the clock's now), as StartCalculationExecution
   * would have then, running for `runningMs`. Returns undefined when the session could not take
   * it at that time (not IDLE or BUSY, or a Spark Connect session).
   */
  submitCalculationAt(
    sessionId: string,
    at: number,
    parameters: SubmitCalculationParameters,
  ): CalculationView | undefined {
    const session = this.requireSession(sessionId);
    this.advance(session, at);
    if (isSparkConnectEngineVersion(session.engineVersion.effective)) return undefined;
    if (session.state !== 'IDLE' && session.state !== 'BUSY') return undefined;
    const calculation = this.enqueueCalculation(session, at, parameters);
    return calculationView(calculation, Math.max(at, this.clock.now()));
  }

  // ---------------------------------------------------------------- direct seeding

  /** Inserts a session as given (creating its work group if needed). For tests and the demo. */
  addSession(seed: SessionSeed): SessionView {
    const now = this.clock.now();
    const state = seed.state ?? 'IDLE';
    if (!(SESSION_STATES as readonly string[]).includes(state)) {
      throw new Error(`addSession: unknown state ${String(state)}`);
    }
    const sessionId = seed.sessionId ?? this.newId();
    if (this.sessions.has(sessionId)) throw new Error(`addSession: session ${sessionId} already exists`);
    const workGroup = this.createWorkGroup(seed.workGroup);
    const startDateTime = seed.startDateTime === undefined ? now : toMillis(seed.startDateTime);
    const lastModifiedDateTime =
      seed.lastModifiedDateTime === undefined ? startDateTime : toMillis(seed.lastModifiedDateTime);
    const idleMinutes = seed.sessionIdleTimeoutInMinutes ?? this.timings.defaultIdleTimeoutMinutes;
    const engineVersion =
      typeof seed.engineVersion === 'string'
        ? { selected: seed.engineVersion, effective: seed.engineVersion }
        : (seed.engineVersion ?? { selected: workGroup.engineVersion, effective: workGroup.engineVersion });
    const ended = state === 'TERMINATED' || state === 'FAILED';
    const record: SessionRecord = {
      sessionId,
      workGroup: workGroup.name,
      description: seed.description,
      notebookVersion: seed.notebookVersion,
      engineVersion: { ...engineVersion },
      engineConfiguration: copyEngineConfiguration({
        coordinatorDpuSize: 1,
        maxConcurrentDpus: DEFAULT_MAX_CONCURRENT_DPUS,
        defaultExecutorDpuSize: 1,
        additionalConfigs: {},
        sparkProperties: {},
        ...definedOnly(seed.engineConfiguration),
      }),
      sessionConfiguration: {
        executionRole: seed.executionRole ?? workGroup.executionRole,
        workingDirectory: seed.workingDirectory ?? `${workGroup.outputLocation}${sessionId}/`,
        sessionIdleTimeoutInMinutes: idleMinutes,
        encryptionConfiguration: seed.encryptionConfiguration ?? workGroup.encryptionConfiguration,
      },
      monitoringConfiguration: seed.monitoringConfiguration ? structuredClone(seed.monitoringConfiguration) : undefined,
      tags: (seed.tags ?? []).map((tag) => ({ ...tag })),
      state,
      stateChangeReason: seed.stateChangeReason,
      startDateTime,
      lastModifiedDateTime,
      endDateTime: ended
        ? seed.endDateTime === undefined
          ? lastModifiedDateTime
          : toMillis(seed.endDateTime)
        : undefined,
      idleSinceDateTime:
        state === 'IDLE'
          ? seed.idleSinceDateTime === undefined
            ? lastModifiedDateTime
            : toMillis(seed.idleSinceDateTime)
          : undefined,
      dpuExecutionInMillis: seed.dpuExecutionInMillis ?? 0,
      stateEnteredAt: seed.stateEnteredAt === undefined ? now : toMillis(seed.stateEnteredAt),
      idleTimeoutMs: seed.idleTimeoutMs === undefined ? idleMinutes * 60_000 : seed.idleTimeoutMs,
      pinned: seed.pinned ?? false,
      creatingMs: seed.creatingMs ?? this.timings.creatingMs,
      createdMs: seed.createdMs ?? this.timings.createdMs,
      activeCalculationIds: [],
      calculationsNewestFirst: [],
    };
    this.insertSession(record);
    return this.toView(record);
  }

  /**
   * Forces a session into a state at the clock's now, e.g. FAILED or DEGRADED, which no
   * operation produces. A calculation running in it fails unless the new state is BUSY.
   */
  setSessionState(sessionId: string, state: SessionState, reason?: string): SessionView {
    const record = this.requireSession(sessionId);
    const now = this.clock.now();
    if (state !== 'BUSY') this.stopActiveCalculations(record, now);
    this.enterState(record, state, now, reason);
    return this.toView(record);
  }

  markFailed(sessionId: string, reason: string = DEFAULT_FAILED_REASON): SessionView {
    return this.setSessionState(sessionId, 'FAILED', reason);
  }

  markDegraded(sessionId: string, reason: string = DEFAULT_DEGRADED_REASON): SessionView {
    return this.setSessionState(sessionId, 'DEGRADED', reason);
  }

  // ---------------------------------------------------------------- reads

  getSession(sessionId: string): SessionView | undefined {
    this.catchUp();
    const record = this.sessions.get(sessionId);
    if (!record) return undefined;
    this.advance(record);
    return this.toView(record);
  }

  /** A session as the read operations answer it: ResourceNotFoundException when there is none. */
  readSession(sessionId: string): SessionView {
    this.catchUp();
    const record = this.requireSession(sessionId);
    this.advance(record);
    return this.toView(record);
  }

  /** Sessions of a work group matching a state (default: the active states), at now. */
  countSessions(workGroup: string, stateFilter?: SessionState): number {
    this.catchUp();
    const entry = this.workGroups.get(workGroup);
    if (!entry) return 0;
    let count = 0;
    for (const record of entry.sessionsInListOrder) {
      this.advance(record);
      if (this.matchesFilter(record, stateFilter)) count += 1;
    }
    return count;
  }

  listSessionsPage(query: ListSessionsQuery): ListSessionsPage {
    this.catchUp();
    const entry = this.workGroups.get(query.workGroup);
    if (!entry) throw workGroupNotFound(query.workGroup);
    const ordered = entry.sessionsInListOrder;
    let index = query.after ? this.firstIndexAfter(ordered, query.after) : 0;
    const page: SessionRecord[] = [];
    let hasMore = false;
    for (; index < ordered.length; index += 1) {
      const record = ordered[index];
      if (!record) break;
      this.advance(record);
      if (!this.matchesFilter(record, query.stateFilter)) continue;
      if (page.length === query.limit) {
        // Only a further match proves there is a next page; a page that ends exactly at the end gets no token.
        hasMore = true;
        break;
      }
      page.push(record);
    }
    const last = page[page.length - 1];
    return {
      sessions: page.map((record) => this.toView(record)),
      nextPosition: hasMore && last ? { startDateTime: last.startDateTime, sessionId: last.sessionId } : undefined,
    };
  }

  getCalculation(calculationExecutionId: string): CalculationView | undefined {
    this.catchUp();
    const calculation = this.calculations.get(calculationExecutionId);
    if (!calculation) return undefined;
    const session = this.sessions.get(calculation.sessionId);
    if (session) this.advance(session);
    return this.toCalculationView(calculation);
  }

  // ---------------------------------------------------------------- operations

  startSession(parameters: StartSessionParameters): { session: SessionView; retried: boolean } {
    this.catchUp();
    const workGroupEntry = this.workGroups.get(parameters.workGroup);
    if (!workGroupEntry) throw workGroupNotFound(parameters.workGroup);
    if (!isSparkEngineVersion(workGroupEntry.view.engineVersion)) {
      // The message AWS answers (seen in the field; model-facts.md).
      throw invalidRequest('Workgroup EngineVersion is not Spark.');
    }
    if (workGroupEntry.view.state === 'DISABLED') {
      // GUESS: the wording; a disabled work group accepts no new work.
      throw invalidRequest(`WorkGroup ${parameters.workGroup} is disabled.`);
    }
    const { clientRequestToken, ...identifying } = parameters;
    const fingerprint = stableStringify(identifying);
    if (clientRequestToken !== undefined) {
      const previous = this.sessionsByClientToken.get(clientRequestToken);
      if (previous) {
        // GUESS: AWS says "If a parameter has changed, an error is returned"; the error type is not documented.
        if (previous.fingerprint !== fingerprint) {
          throw invalidRequest(
            `ClientRequestToken ${clientRequestToken} was already used for a StartSession request with different parameters`,
          );
        }
        const session = this.getSession(previous.resourceId);
        if (session) return { session, retried: true };
      }
    }
    const now = this.clock.now();
    const workGroup = workGroupEntry.view;
    const sessionId = this.newId();
    const idleMinutes = parameters.sessionIdleTimeoutInMinutes ?? this.timings.defaultIdleTimeoutMinutes;
    const engine = parameters.engineConfiguration;
    const record: SessionRecord = {
      sessionId,
      workGroup: workGroup.name,
      description: parameters.description,
      notebookVersion: parameters.notebookVersion,
      engineVersion: { selected: workGroup.engineVersion, effective: workGroup.engineVersion },
      engineConfiguration: copyEngineConfiguration({
        coordinatorDpuSize: engine.coordinatorDpuSize ?? 1,
        maxConcurrentDpus: engine.maxConcurrentDpus ?? DEFAULT_MAX_CONCURRENT_DPUS,
        defaultExecutorDpuSize: engine.defaultExecutorDpuSize ?? 1,
        additionalConfigs: copyStringMap(engine.additionalConfigs),
        sparkProperties: copyStringMap(engine.sparkProperties),
        classifications: engine.classifications,
      }),
      sessionConfiguration: {
        executionRole: parameters.executionRole ?? workGroup.executionRole,
        workingDirectory: `${workGroup.outputLocation}${sessionId}/`,
        sessionIdleTimeoutInMinutes: idleMinutes,
        encryptionConfiguration: workGroup.encryptionConfiguration,
      },
      monitoringConfiguration: parameters.monitoringConfiguration
        ? structuredClone(parameters.monitoringConfiguration)
        : undefined,
      tags: (parameters.tags ?? []).map((tag) => ({ ...tag })),
      state: 'CREATING',
      stateChangeReason: undefined,
      startDateTime: now,
      lastModifiedDateTime: now,
      endDateTime: undefined,
      idleSinceDateTime: undefined,
      dpuExecutionInMillis: 0,
      stateEnteredAt: now,
      idleTimeoutMs: idleMinutes * 60_000,
      pinned: false,
      creatingMs: this.timings.creatingMs,
      createdMs: this.timings.createdMs,
      activeCalculationIds: [],
      calculationsNewestFirst: [],
    };
    this.insertSession(record);
    if (clientRequestToken !== undefined) {
      this.sessionsByClientToken.set(clientRequestToken, { resourceId: sessionId, fingerprint });
    }
    return { session: this.toView(record), retried: false };
  }

  /** Returns the session's state right after the call (TERMINATING, or the unchanged inactive state). */
  terminateSession(sessionId: string): SessionState {
    this.catchUp();
    const record = this.requireSession(sessionId);
    this.advance(record);
    if (INACTIVE_SESSION_STATES.has(record.state)) return record.state;
    const now = this.clock.now();
    this.stopActiveCalculations(record, now);
    record.pinned = false;
    this.enterState(record, 'TERMINATING', now, TERMINATED_BY_REQUEST_REASON);
    return record.state;
  }

  startCalculation(parameters: StartCalculationParameters): CalculationView {
    this.catchUp();
    const session = this.requireSession(parameters.sessionId);
    this.advance(session);
    const { clientRequestToken, ...identifying } = parameters;
    const fingerprint = stableStringify(identifying);
    if (clientRequestToken !== undefined) {
      const previous = this.calculationsByClientToken.get(clientRequestToken);
      if (previous) {
        if (previous.fingerprint !== fingerprint) {
          throw invalidRequest(
            `ClientRequestToken ${clientRequestToken} was already used for a StartCalculationExecution request with different parameters`,
          );
        }
        const existing = this.calculations.get(previous.resourceId);
        if (existing) return this.toCalculationView(existing);
      }
    }
    if (isSparkConnectEngineVersion(session.engineVersion.effective)) {
      // GUESS: the wording; AWS documents that Spark 3.5 work groups do not support the calculation API.
      throw invalidRequest(
        `Calculations are not supported for sessions of engine version ${session.engineVersion.effective}; use Spark Connect (GetSessionEndpoint).`,
      );
    }
    if (session.state !== 'IDLE' && session.state !== 'BUSY') {
      // The beginning is Athena's own text (model-facts.md); GUESS: the rest.
      throw invalidRequest(`Session is in the ${session.state} state and cannot accept calculations.`);
    }
    const calculation = this.enqueueCalculation(session, this.clock.now(), {
      description: parameters.description,
      codeBlock: parameters.codeBlock,
      runningMs: this.timings.calculationMs,
    });
    if (clientRequestToken !== undefined) {
      this.calculationsByClientToken.set(clientRequestToken, {
        resourceId: calculation.calculationExecutionId,
        fingerprint,
      });
    }
    return this.toCalculationView(calculation);
  }

  /**
   * StopCalculationExecution: CANCELING, then CANCELED. A calculation in a terminal state (or
   * already CANCELING) "succeeds but has no effect". Returns the state right after the call.
   */
  stopCalculation(calculationExecutionId: string): CalculationState {
    this.catchUp();
    const calculation = this.calculations.get(calculationExecutionId);
    if (!calculation) throw calculationNotFound(calculationExecutionId);
    const session = this.sessions.get(calculation.sessionId);
    if (session) this.advance(session);
    const now = this.clock.now();
    const state = calculationStateAt(calculation, now);
    if (TERMINAL_CALCULATION_STATES.has(state) || state === 'CANCELING') return state;
    calculation.canceledAt = now;
    calculation.cancelEndsAt = now + this.timings.calculationCancelingMs;
    return calculationStateAt(calculation, now);
  }

  /** ListCalculationExecutions: newest first, optionally one state, after a keyset position. */
  listCalculationsPage(query: ListCalculationsQuery): ListCalculationsPage {
    this.catchUp();
    const session = this.requireSession(query.sessionId);
    this.advance(session);
    const now = this.clock.now();
    const ordered = session.calculationsNewestFirst;
    let index = 0;
    if (query.after) {
      const after = query.after;
      while (index < ordered.length && compareCalculationOrder(ordered[index] as CalculationRecord, after) <= 0)
        index += 1;
    }
    const page: CalculationRecord[] = [];
    let hasMore = false;
    for (; index < ordered.length; index += 1) {
      const calculation = ordered[index] as CalculationRecord;
      if (query.stateFilter !== undefined && calculationStateAt(calculation, now) !== query.stateFilter) continue;
      if (page.length === query.limit) {
        hasMore = true;
        break;
      }
      page.push(calculation);
    }
    const last = page[page.length - 1];
    return {
      calculations: page.map((calculation) => calculationView(calculation, now)),
      nextPosition:
        hasMore && last
          ? { submittedAt: last.submittedAt, calculationExecutionId: last.calculationExecutionId }
          : undefined,
    };
  }

  /**
   * Inserts a calculation as given, for tests and the demo: it ran (or runs) from `runningAt`
   * for `runningMs`. One still running at now holds its session BUSY.
   */
  addCalculation(seed: CalculationSeed): CalculationView {
    const session = this.requireSession(seed.sessionId);
    const calculationExecutionId = seed.calculationExecutionId ?? this.newId();
    if (this.calculations.has(calculationExecutionId)) {
      throw new Error(`addCalculation: calculation ${calculationExecutionId} already exists`);
    }
    const submittedAt = toMillis(seed.submittedAt);
    const runningAt =
      submittedAt + (seed.waitMs ?? this.timings.calculationCreatingMs + this.timings.calculationQueuedMs);
    const calculation: CalculationRecord = {
      calculationExecutionId,
      sessionId: session.sessionId,
      description: seed.description,
      codeBlock: seed.codeBlock,
      workingDirectory: `${session.sessionConfiguration.workingDirectory}calculations/${calculationExecutionId}/`,
      submittedAt,
      queuedAt: Math.min(runningAt, submittedAt + this.timings.calculationCreatingMs),
      runningAt,
      completesAt: runningAt + seed.runningMs,
      outcome: seed.outcome ?? outcomeOfCode(seed.codeBlock),
      dpus: session.engineConfiguration.coordinatorDpuSize + session.engineConfiguration.defaultExecutorDpuSize,
      canceledAt: undefined,
      cancelEndsAt: undefined,
      stoppedAt: undefined,
    };
    this.insertCalculation(session, calculation);
    if (session.state === 'BUSY' && calculation.completesAt > this.clock.now()) {
      session.activeCalculationIds.push(calculationExecutionId);
    }
    return calculationView(calculation, this.clock.now());
  }

  /**
   * GetSessionEndpoint: Spark Connect for Spark 3.5 sessions that are up (IDLE or BUSY).
   * GUESS: the URL form, the token and its lifetime (one hour).
   */
  sessionEndpoint(sessionId: string): SessionEndpoint {
    this.catchUp();
    const session = this.requireSession(sessionId);
    this.advance(session);
    if (!isSparkConnectEngineVersion(session.engineVersion.effective)) {
      // GUESS: the model only says GetSessionEndpoint is for Spark Connect (Spark 3.5) sessions.
      throw invalidRequest(
        `Session ${sessionId} runs ${session.engineVersion.effective}; a session endpoint exists only for ${SPARK_35_ENGINE_VERSION} sessions.`,
      );
    }
    if (session.state !== 'IDLE' && session.state !== 'BUSY') {
      // The wording follows the field message "Session endpoint URL for Session in STOPPED state" (dbt-athena).
      throw invalidRequest(`Session endpoint URL for Session in ${session.state} state is not available.`);
    }
    const now = this.clock.now();
    return {
      endpointUrl: `https://${session.sessionId}.spark-connect.local-athena.invalid:443`,
      authToken: randomBytes(32).toString('base64url'),
      authTokenExpirationTime: now + SESSION_ENDPOINT_TOKEN_LIFETIME_MS,
    };
  }

  /** A new calculation in an IDLE or BUSY session at `at`: it queues behind those still running. */
  private enqueueCalculation(
    session: SessionRecord,
    at: number,
    parameters: SubmitCalculationParameters,
  ): CalculationRecord {
    const calculationExecutionId = parameters.calculationExecutionId ?? this.newId();
    const queuedAt = at + this.timings.calculationCreatingMs;
    // A busy session runs one calculation at a time: a new one waits for those ahead of it.
    const runningAt = Math.max(
      queuedAt + this.timings.calculationQueuedMs,
      ...this.activeCalculations(session).map(calculationEndsAt),
    );
    const calculation: CalculationRecord = {
      calculationExecutionId,
      sessionId: session.sessionId,
      description: parameters.description,
      codeBlock: parameters.codeBlock,
      workingDirectory: `${session.sessionConfiguration.workingDirectory}calculations/${calculationExecutionId}/`,
      submittedAt: at,
      queuedAt,
      runningAt,
      completesAt: runningAt + parameters.runningMs,
      outcome: outcomeOfCode(parameters.codeBlock),
      dpus: session.engineConfiguration.coordinatorDpuSize + session.engineConfiguration.defaultExecutorDpuSize,
      canceledAt: undefined,
      cancelEndsAt: undefined,
      stoppedAt: undefined,
    };
    this.insertCalculation(session, calculation);
    session.pinned = false;
    session.activeCalculationIds.push(calculationExecutionId);
    if (session.state === 'IDLE') this.enterState(session, 'BUSY', at, undefined);
    return calculation;
  }

  // ---------------------------------------------------------------- lifecycle

  private requireSession(sessionId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (!record) throw sessionNotFound(sessionId);
    return record;
  }

  private insertSession(record: SessionRecord): void {
    const entry = this.workGroups.get(record.workGroup);
    if (!entry) throw new AthenaError('InternalServerException', 'work group vanished');
    const ordered = entry.sessionsInListOrder;
    ordered.splice(this.firstIndexAfter(ordered, record), 0, record);
    this.sessions.set(record.sessionId, record);
  }

  /** Index of the first session that comes after `position` in list order. */
  private firstIndexAfter(ordered: readonly SessionRecord[], position: SessionPosition): number {
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const record = ordered[middle];
      if (record && compareListOrder(record, position) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private matchesFilter(record: SessionRecord, stateFilter: SessionState | undefined): boolean {
    return stateFilter === undefined ? ACTIVE_SESSION_STATES.has(record.state) : record.state === stateFilter;
  }

  private nextTransition(record: SessionRecord): PendingTransition | undefined {
    if (record.pinned) return undefined;
    const timings = this.timings;
    switch (record.state) {
      case 'CREATING':
        return { at: record.stateEnteredAt + record.creatingMs, state: 'CREATED' };
      case 'CREATED':
        return { at: record.stateEnteredAt + record.createdMs, state: 'IDLE' };
      case 'IDLE':
        return record.idleTimeoutMs === null
          ? undefined
          : {
              at: record.stateEnteredAt + record.idleTimeoutMs,
              state: 'TERMINATING',
              reason: IDLE_TIMEOUT_REASON,
            };
      case 'BUSY': {
        const active = this.activeCalculations(record);
        // A session seeded BUSY has no calculation of ours; it is busy for one calculation's length.
        const at =
          active.length > 0
            ? Math.max(...active.map(calculationEndsAt))
            : record.stateEnteredAt + timings.calculationQueuedMs + timings.calculationMs;
        return { at, state: 'IDLE' };
      }
      case 'TERMINATING':
        return { at: record.stateEnteredAt + timings.terminatingMs, state: 'TERMINATED' };
      default:
        return undefined;
    }
  }

  /** Replays every transition due up to `until` (default now), each at the time it fell due. */
  private advance(record: SessionRecord, until: number = this.clock.now()): void {
    const now = until;
    for (let step = 0; step < MAX_TRANSITIONS_PER_ADVANCE; step += 1) {
      const transition = this.nextTransition(record);
      if (!transition || transition.at > now) return;
      if (record.state === 'BUSY') this.settleActiveCalculations(record);
      this.enterState(record, transition.state, transition.at, transition.reason);
    }
  }

  private enterState(record: SessionRecord, state: SessionState, at: number, reason: string | undefined): void {
    // TERMINATING -> TERMINATED keeps the reason that started the termination.
    const keepReason = state === 'TERMINATED' && record.state === 'TERMINATING';
    record.stateChangeReason = reason ?? (keepReason ? record.stateChangeReason : undefined);
    record.state = state;
    record.stateEnteredAt = at;
    record.lastModifiedDateTime = at;
    record.idleSinceDateTime = state === 'IDLE' ? at : undefined;
    if (state === 'TERMINATED' || state === 'FAILED') record.endDateTime = at;
    else record.endDateTime = undefined;
  }

  private activeCalculations(record: SessionRecord): CalculationRecord[] {
    return record.activeCalculationIds
      .map((id) => this.calculations.get(id))
      .filter((calculation): calculation is CalculationRecord => calculation !== undefined);
  }

  /** The session leaves BUSY: its calculations' DPU time is added to the session's. */
  private settleActiveCalculations(record: SessionRecord): void {
    const active = this.activeCalculations(record);
    if (active.length > 0) {
      for (const calculation of active) {
        record.dpuExecutionInMillis += calculationDpuMillis(calculation, calculationEndsAt(calculation));
      }
    } else {
      const engine = record.engineConfiguration;
      record.dpuExecutionInMillis +=
        this.timings.calculationMs * (engine.coordinatorDpuSize + engine.defaultExecutorDpuSize);
    }
    record.activeCalculationIds = [];
  }

  /** The session ends (or degrades) at `at`: calculations still active then read FAILED. */
  private stopActiveCalculations(record: SessionRecord, at: number): void {
    for (const calculation of this.activeCalculations(record)) {
      if (at < calculationEndsAt(calculation)) calculation.stoppedAt = at;
      record.dpuExecutionInMillis += calculationDpuMillis(calculation, at);
    }
    record.activeCalculationIds = [];
  }

  private insertCalculation(session: SessionRecord, calculation: CalculationRecord): void {
    const ordered = session.calculationsNewestFirst;
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = ordered[middle];
      if (other && compareCalculationOrder(other, calculation) <= 0) low = middle + 1;
      else high = middle;
    }
    ordered.splice(low, 0, calculation);
    this.calculations.set(calculation.calculationExecutionId, calculation);
  }

  // ---------------------------------------------------------------- views

  private toView(record: SessionRecord): SessionView {
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

  private toCalculationView(calculation: CalculationRecord): CalculationView {
    return calculationView(calculation, this.clock.now());
  }
}

function definedOnly<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  if (!partial) return {};
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;
}
