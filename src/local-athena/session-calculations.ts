import type { CalculationRecord } from './calculation-record.js';
import {
  calculationEndsAt,
  calculationStateAt,
  calculationView,
  compareCalculationOrder,
  outcomeOfCode,
  TERMINAL_CALCULATION_STATES,
} from './calculation-record.js';
import type { SessionLifecycle } from './session-lifecycle.js';
import type { CalculationState, LifecycleTimings } from './session-model.js';
import type { SessionRecord } from './session-record.js';
import type {
  CalculationSeed,
  ListCalculationsPage,
  ListCalculationsQuery,
  SubmitCalculationParameters,
} from './store-types.js';
import { toMillis } from './store-types.js';

/**
 * The calculations of every session: each kept by id and in its session's list order (newest
 * first). The store brings the session up to date before it asks anything here.
 */
export class SessionCalculations {
  private readonly byId = new Map<string, CalculationRecord>();

  constructor(
    private readonly timings: Readonly<LifecycleTimings>,
    private readonly newId: () => string,
  ) {}

  /** For the lifecycle, which settles a session's active calculations when it leaves BUSY. */
  get records(): ReadonlyMap<string, CalculationRecord> {
    return this.byId;
  }

  get(calculationExecutionId: string): CalculationRecord | undefined {
    return this.byId.get(calculationExecutionId);
  }

  has(calculationExecutionId: string): boolean {
    return this.byId.has(calculationExecutionId);
  }

  /**
   * A new calculation in an IDLE or BUSY session at `at`: it queues behind those still running,
   * and the session is BUSY until it ends.
   */
  enqueue(
    session: SessionRecord,
    at: number,
    parameters: SubmitCalculationParameters,
    lifecycle: SessionLifecycle,
  ): CalculationRecord {
    const calculationExecutionId = parameters.calculationExecutionId ?? this.newId();
    const queuedAt = at + this.timings.calculationCreatingMs;
    // A busy session runs one calculation at a time: a new one waits for those ahead of it.
    const runningAt = Math.max(
      queuedAt + this.timings.calculationQueuedMs,
      ...lifecycle.activeCalculations(session).map(calculationEndsAt),
    );
    const calculation = this.newRecord(session, calculationExecutionId, {
      description: parameters.description,
      codeBlock: parameters.codeBlock,
      submittedAt: at,
      queuedAt,
      runningAt,
      completesAt: runningAt + parameters.runningMs,
      outcome: outcomeOfCode(parameters.codeBlock),
    });
    this.insert(session, calculation);
    session.pinned = false;
    session.activeCalculationIds.push(calculationExecutionId);
    if (session.state === 'IDLE') lifecycle.enterState(session, 'BUSY', at, undefined);
    return calculation;
  }

  /**
   * Inserts a calculation as given, for tests and the demo: it ran (or runs) from its running
   * time for `runningMs`. One still running at `now` holds a BUSY session BUSY.
   */
  add(session: SessionRecord, seed: CalculationSeed, now: number): CalculationRecord {
    const calculationExecutionId = seed.calculationExecutionId ?? this.newId();
    if (this.byId.has(calculationExecutionId)) {
      throw new Error(`addCalculation: calculation ${calculationExecutionId} already exists`);
    }
    const submittedAt = toMillis(seed.submittedAt);
    const runningAt =
      submittedAt + (seed.waitMs ?? this.timings.calculationCreatingMs + this.timings.calculationQueuedMs);
    const calculation = this.newRecord(session, calculationExecutionId, {
      description: seed.description,
      codeBlock: seed.codeBlock,
      submittedAt,
      queuedAt: Math.min(runningAt, submittedAt + this.timings.calculationCreatingMs),
      runningAt,
      completesAt: runningAt + seed.runningMs,
      outcome: seed.outcome ?? outcomeOfCode(seed.codeBlock),
    });
    this.insert(session, calculation);
    if (session.state === 'BUSY' && calculation.completesAt > now) {
      session.activeCalculationIds.push(calculationExecutionId);
    }
    return calculation;
  }

  /**
   * StopCalculationExecution: CANCELING, then CANCELED. A calculation in a terminal state (or
   * already CANCELING) "succeeds but has no effect". Returns the state right after the call.
   */
  stop(calculation: CalculationRecord, now: number): CalculationState {
    const state = calculationStateAt(calculation, now);
    if (TERMINAL_CALCULATION_STATES.has(state) || state === 'CANCELING') return state;
    calculation.canceledAt = now;
    calculation.cancelEndsAt = now + this.timings.calculationCancelingMs;
    return calculationStateAt(calculation, now);
  }

  /** ListCalculationExecutions: newest first, optionally one state, after a keyset position. */
  page(session: SessionRecord, query: ListCalculationsQuery, now: number): ListCalculationsPage {
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

  private newRecord(
    session: SessionRecord,
    calculationExecutionId: string,
    timeline: Pick<
      CalculationRecord,
      'description' | 'codeBlock' | 'submittedAt' | 'queuedAt' | 'runningAt' | 'completesAt' | 'outcome'
    >,
  ): CalculationRecord {
    return {
      calculationExecutionId,
      sessionId: session.sessionId,
      description: timeline.description,
      codeBlock: timeline.codeBlock,
      workingDirectory: `${session.sessionConfiguration.workingDirectory}calculations/${calculationExecutionId}/`,
      submittedAt: timeline.submittedAt,
      queuedAt: timeline.queuedAt,
      runningAt: timeline.runningAt,
      completesAt: timeline.completesAt,
      outcome: timeline.outcome,
      dpus: session.engineConfiguration.coordinatorDpuSize + session.engineConfiguration.defaultExecutorDpuSize,
      canceledAt: undefined,
      cancelEndsAt: undefined,
      stoppedAt: undefined,
    };
  }

  private insert(session: SessionRecord, calculation: CalculationRecord): void {
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
    this.byId.set(calculation.calculationExecutionId, calculation);
  }
}
