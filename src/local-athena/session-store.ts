import { randomBytes, randomUUID } from 'node:crypto';

import {
  AthenaError,
  calculationNotFound,
  invalidRequest,
  sessionNotFound,
  workGroupNotFound,
} from './athena-error.js';
import { calculationView } from './calculation-record.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { IdempotencyTokens, stableStringify } from './idempotency.js';
import { SessionCalculations } from './session-calculations.js';
import {
  DEFAULT_DEGRADED_REASON,
  DEFAULT_FAILED_REASON,
  SessionLifecycle,
  TERMINATED_BY_REQUEST_REASON,
} from './session-lifecycle.js';
import { insertInListOrder, matchesFilter, pageOfSessions } from './session-list-order.js';
import type {
  CalculationState,
  CalculationView,
  LifecycleTimings,
  SessionState,
  SessionView,
  WorkGroupSettings,
  WorkGroupView,
} from './session-model.js';
import {
  DEFAULT_LIFECYCLE_TIMINGS,
  INACTIVE_SESSION_STATES,
  isSparkConnectEngineVersion,
  isSparkEngineVersion,
  SESSION_STATES,
  SPARK_35_ENGINE_VERSION,
} from './session-model.js';
import type { SessionRecord } from './session-record.js';
import { buildSessionRecord, definedOnly, sessionView } from './session-record.js';
import type {
  CalculationSeed,
  ListCalculationsPage,
  ListCalculationsQuery,
  ListSessionsPage,
  ListSessionsQuery,
  ScheduledActivity,
  SessionEndpoint,
  SessionSeed,
  SessionStoreOptions,
  StartCalculationParameters,
  StartSessionParameters,
  SubmitCalculationParameters,
} from './store-types.js';
import { toMillis } from './store-types.js';
import { WorkGroupRegistry } from './work-group-registry.js';

/**
 * All state of the local service, and the one API the operations call. Sessions are advanced
 * lazily: every read first runs the scheduled activity that fell due and replays the session's
 * transitions up to `clock.now()`, so there are no timers, and a ManualClock drives the whole
 * lifecycle deterministically. The parts live beside it: session-record.ts (building and viewing
 * a session), session-lifecycle.ts, session-calculations.ts, session-list-order.ts (paging),
 * work-group-registry.ts, idempotency.ts, store-types.ts (what the API takes and answers).
 */

export {
  DEFAULT_DEGRADED_REASON,
  DEFAULT_FAILED_REASON,
  IDLE_TIMEOUT_REASON,
  TERMINATED_BY_REQUEST_REASON,
} from './session-lifecycle.js';
export { DEFAULT_MAX_CONCURRENT_DPUS } from './session-record.js';
export type * from './store-types.js';
export { DEFAULT_ENGINE_VERSION } from './work-group-registry.js';

const SESSION_ENDPOINT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export class SessionStore {
  readonly clock: Clock;
  readonly timings: Readonly<LifecycleTimings>;
  private readonly newId: () => string;
  private readonly workGroups = new WorkGroupRegistry();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly calculations: SessionCalculations;
  private readonly lifecycle: SessionLifecycle;
  private readonly sessionTokens = new IdempotencyTokens('StartSession');
  private readonly calculationTokens = new IdempotencyTokens('StartCalculationExecution');
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
    this.calculations = new SessionCalculations(this.timings, this.newId);
    this.lifecycle = new SessionLifecycle(this.timings, this.calculations.records);
  }

  // ---------------------------------------------------------------- work groups

  /** Creates the work group, or returns the existing one unchanged. */
  createWorkGroup(name: string, settings: WorkGroupSettings = {}): WorkGroupView {
    return this.workGroups.create(name, settings, this.clock.now());
  }

  hasWorkGroup(name: string): boolean {
    return this.workGroups.has(name);
  }

  getWorkGroup(name: string): WorkGroupView | undefined {
    return this.workGroups.get(name);
  }

  workGroupNames(): string[] {
    return this.workGroups.names();
  }

  /** Work groups in ListWorkGroups order (GUESS: by name), after `afterName`, at most `limit`. */
  listWorkGroupsPage(afterName: string | undefined, limit: number): { workGroups: WorkGroupView[]; hasMore: boolean } {
    return this.workGroups.page(afterName, limit);
  }

  // ---------------------------------------------------------------- scheduled activity

  /** Adds a schedule of activity (the living demo); it runs lazily as the clock passes it. */
  addScheduledActivity(activity: ScheduledActivity): void {
    this.activities.push(activity);
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
    const calculation = this.calculations.enqueue(session, at, parameters, this.lifecycle);
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
    const ended = state === 'TERMINATED' || state === 'FAILED';
    const record = buildSessionRecord({
      sessionId,
      workGroup,
      description: seed.description,
      notebookVersion: seed.notebookVersion,
      engineVersion:
        typeof seed.engineVersion === 'string'
          ? { selected: seed.engineVersion, effective: seed.engineVersion }
          : (seed.engineVersion ?? { selected: workGroup.engineVersion, effective: workGroup.engineVersion }),
      engineConfiguration: seed.engineConfiguration,
      executionRole: seed.executionRole,
      workingDirectory: seed.workingDirectory,
      sessionIdleTimeoutInMinutes: idleMinutes,
      encryptionConfiguration: seed.encryptionConfiguration,
      monitoringConfiguration: seed.monitoringConfiguration,
      tags: seed.tags,
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
    });
    this.insertSession(record);
    return sessionView(record);
  }

  /**
   * Inserts a calculation as given, for tests and the demo: it ran (or runs) from `runningAt`
   * for `runningMs`. One still running at now holds its session BUSY.
   */
  addCalculation(seed: CalculationSeed): CalculationView {
    const session = this.requireSession(seed.sessionId);
    const calculation = this.calculations.add(session, seed, this.clock.now());
    return calculationView(calculation, this.clock.now());
  }

  /**
   * Forces a session into a state at the clock's now, e.g. FAILED or DEGRADED, which no
   * operation produces. A calculation running in it fails unless the new state is BUSY.
   */
  setSessionState(sessionId: string, state: SessionState, reason?: string): SessionView {
    const record = this.requireSession(sessionId);
    const now = this.clock.now();
    if (state !== 'BUSY') this.lifecycle.stopActiveCalculations(record, now);
    this.lifecycle.enterState(record, state, now, reason);
    return sessionView(record);
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
    return sessionView(record);
  }

  /** A session as the read operations answer it: ResourceNotFoundException when there is none. */
  readSession(sessionId: string): SessionView {
    this.catchUp();
    const record = this.requireSession(sessionId);
    this.advance(record);
    return sessionView(record);
  }

  /** Sessions of a work group matching a state (default: the active states), at now. */
  countSessions(workGroup: string, stateFilter?: SessionState): number {
    this.catchUp();
    const entry = this.workGroups.entry(workGroup);
    if (!entry) return 0;
    let count = 0;
    for (const record of entry.sessionsInListOrder) {
      this.advance(record);
      if (matchesFilter(record, stateFilter)) count += 1;
    }
    return count;
  }

  listSessionsPage(query: ListSessionsQuery): ListSessionsPage {
    this.catchUp();
    const entry = this.workGroups.entry(query.workGroup);
    if (!entry) throw workGroupNotFound(query.workGroup);
    const { page, nextPosition } = pageOfSessions(entry.sessionsInListOrder, query, (record) => this.advance(record));
    return { sessions: page.map(sessionView), nextPosition };
  }

  getCalculation(calculationExecutionId: string): CalculationView | undefined {
    this.catchUp();
    const calculation = this.calculations.get(calculationExecutionId);
    if (!calculation) return undefined;
    const session = this.sessions.get(calculation.sessionId);
    if (session) this.advance(session);
    return calculationView(calculation, this.clock.now());
  }

  /** ListCalculationExecutions: newest first, optionally one state, after a keyset position. */
  listCalculationsPage(query: ListCalculationsQuery): ListCalculationsPage {
    this.catchUp();
    const session = this.requireSession(query.sessionId);
    this.advance(session);
    return this.calculations.page(session, query, this.clock.now());
  }

  // ---------------------------------------------------------------- operations

  startSession(parameters: StartSessionParameters): { session: SessionView; retried: boolean } {
    this.catchUp();
    const workGroupEntry = this.workGroups.entry(parameters.workGroup);
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
    const previousId = this.sessionTokens.previous(clientRequestToken, fingerprint);
    if (previousId !== undefined) {
      const session = this.getSession(previousId);
      if (session) return { session, retried: true };
    }
    const now = this.clock.now();
    const workGroup = workGroupEntry.view;
    const idleMinutes = parameters.sessionIdleTimeoutInMinutes ?? this.timings.defaultIdleTimeoutMinutes;
    const record = buildSessionRecord({
      sessionId: this.newId(),
      workGroup,
      description: parameters.description,
      notebookVersion: parameters.notebookVersion,
      engineVersion: { selected: workGroup.engineVersion, effective: workGroup.engineVersion },
      engineConfiguration: parameters.engineConfiguration,
      executionRole: parameters.executionRole,
      workingDirectory: undefined,
      sessionIdleTimeoutInMinutes: idleMinutes,
      encryptionConfiguration: undefined,
      monitoringConfiguration: parameters.monitoringConfiguration,
      tags: parameters.tags,
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
    });
    this.insertSession(record);
    this.sessionTokens.remember(clientRequestToken, fingerprint, record.sessionId);
    return { session: sessionView(record), retried: false };
  }

  /** Returns the session's state right after the call (TERMINATING, or the unchanged inactive state). */
  terminateSession(sessionId: string): SessionState {
    this.catchUp();
    const record = this.requireSession(sessionId);
    this.advance(record);
    if (INACTIVE_SESSION_STATES.has(record.state)) return record.state;
    const now = this.clock.now();
    this.lifecycle.stopActiveCalculations(record, now);
    record.pinned = false;
    this.lifecycle.enterState(record, 'TERMINATING', now, TERMINATED_BY_REQUEST_REASON);
    return record.state;
  }

  startCalculation(parameters: StartCalculationParameters): CalculationView {
    this.catchUp();
    const session = this.requireSession(parameters.sessionId);
    this.advance(session);
    const { clientRequestToken, ...identifying } = parameters;
    const fingerprint = stableStringify(identifying);
    const previousId = this.calculationTokens.previous(clientRequestToken, fingerprint);
    if (previousId !== undefined) {
      const existing = this.calculations.get(previousId);
      if (existing) return calculationView(existing, this.clock.now());
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
    const calculation = this.calculations.enqueue(
      session,
      this.clock.now(),
      { description: parameters.description, codeBlock: parameters.codeBlock, runningMs: this.timings.calculationMs },
      this.lifecycle,
    );
    this.calculationTokens.remember(clientRequestToken, fingerprint, calculation.calculationExecutionId);
    return calculationView(calculation, this.clock.now());
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
    return this.calculations.stop(calculation, this.clock.now());
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

  // ---------------------------------------------------------------- internals

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

  private advance(record: SessionRecord, until: number = this.clock.now()): void {
    this.lifecycle.advance(record, until);
  }

  private requireSession(sessionId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (!record) throw sessionNotFound(sessionId);
    return record;
  }

  private insertSession(record: SessionRecord): void {
    const entry = this.workGroups.entry(record.workGroup);
    if (!entry) throw new AthenaError('InternalServerException', 'work group vanished');
    insertInListOrder(entry.sessionsInListOrder, record);
    this.sessions.set(record.sessionId, record);
  }
}
