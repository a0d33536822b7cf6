import type { CalculationRecord } from './calculation-record.js';
import { calculationDpuMillis, calculationEndsAt } from './calculation-record.js';
import type { LifecycleTimings, SessionState } from './session-model.js';
import type { SessionRecord } from './session-record.js';

/**
 * How a session moves on by itself: CREATING -> CREATED -> IDLE, BUSY -> IDLE when its
 * calculations end, IDLE -> TERMINATING after the idle timeout, TERMINATING -> TERMINATED.
 * Nothing runs on a timer: `advance` replays what fell due whenever the session is read, so a
 * ManualClock drives it deterministically.
 */

export const IDLE_TIMEOUT_REASON = 'Session was terminated due to idle timeout';
export const TERMINATED_BY_REQUEST_REASON = 'Session was terminated by a TerminateSession request';
export const DEFAULT_FAILED_REASON = 'Session failed: the Spark driver exited unexpectedly';
export const DEFAULT_DEGRADED_REASON = 'Session has no healthy coordinators';

interface PendingTransition {
  at: number;
  state: SessionState;
  reason?: string | undefined;
}

const MAX_TRANSITIONS_PER_ADVANCE = 16;

export class SessionLifecycle {
  constructor(
    private readonly timings: Readonly<LifecycleTimings>,
    private readonly calculations: ReadonlyMap<string, CalculationRecord>,
  ) {}

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

  /** Replays every transition due up to `now`, each at the time it fell due. */
  advance(record: SessionRecord, now: number): void {
    for (let step = 0; step < MAX_TRANSITIONS_PER_ADVANCE; step += 1) {
      const transition = this.nextTransition(record);
      if (!transition || transition.at > now) return;
      if (record.state === 'BUSY') this.settleActiveCalculations(record);
      this.enterState(record, transition.state, transition.at, transition.reason);
    }
  }

  enterState(record: SessionRecord, state: SessionState, at: number, reason: string | undefined): void {
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

  activeCalculations(record: SessionRecord): CalculationRecord[] {
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
  stopActiveCalculations(record: SessionRecord, at: number): void {
    for (const calculation of this.activeCalculations(record)) {
      if (at < calculationEndsAt(calculation)) calculation.stoppedAt = at;
      record.dpuExecutionInMillis += calculationDpuMillis(calculation, at);
    }
    record.activeCalculationIds = [];
  }
}
