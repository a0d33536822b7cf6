import type { CalculationState, CalculationView } from './session-model.js';

/**
 * One calculation and its timeline. Like sessions, a calculation is never advanced by a timer:
 * its state at any time follows from its timestamps. Lifecycle: CREATING -> QUEUED -> RUNNING
 * -> COMPLETED or FAILED; StopCalculationExecution: CANCELING -> CANCELED; its session ending
 * first: FAILED.
 */
export interface CalculationRecord {
  calculationExecutionId: string;
  sessionId: string;
  description: string | undefined;
  codeBlock: string;
  workingDirectory: string;
  submittedAt: number;
  /** CREATING until then, QUEUED after. */
  queuedAt: number;
  runningAt: number;
  completesAt: number;
  /** What it ends as when nothing stops it. */
  outcome: 'COMPLETED' | 'FAILED';
  /** DPUs in use while running: the coordinator plus one executor. */
  dpus: number;
  /** StopCalculationExecution: CANCELING from canceledAt, CANCELED from cancelEndsAt. */
  canceledAt: number | undefined;
  cancelEndsAt: number | undefined;
  /** Its session ended (terminated, failed) while it was active: FAILED from then. */
  stoppedAt: number | undefined;
}

/** GUESS: the texts; AWS's TerminateSession reference says stopped calculations "may display as FAILED". */
export const CALCULATION_STOPPED_REASON = 'Calculation was stopped because its session ended';
export const CALCULATION_FAILED_REASON = 'Calculation failed: the code raised an exception';
export const CALCULATION_CANCELED_REASON = 'Calculation was canceled by a StopCalculationExecution request';

export const TERMINAL_CALCULATION_STATES: ReadonlySet<CalculationState> = new Set<CalculationState>([
  'COMPLETED',
  'FAILED',
  'CANCELED',
]);

/**
 * GUESS: which code fails. A demo needs failures without a Spark engine behind it; code that
 * raises (contains `raise `) ends FAILED, everything else COMPLETED.
 */
export function outcomeOfCode(codeBlock: string): 'COMPLETED' | 'FAILED' {
  return /\braise\s/.test(codeBlock) ? 'FAILED' : 'COMPLETED';
}

/** When the calculation stops holding its session BUSY. */
export function calculationEndsAt(calculation: CalculationRecord): number {
  return calculation.stoppedAt ?? calculation.cancelEndsAt ?? calculation.completesAt;
}

/** DPU time used up to `time`: running time (never past its end) times its DPUs. */
export function calculationDpuMillis(calculation: CalculationRecord, time: number): number {
  const runningUntil = Math.min(
    time,
    calculation.completesAt,
    calculation.canceledAt ?? Number.POSITIVE_INFINITY,
    calculation.stoppedAt ?? Number.POSITIVE_INFINITY,
  );
  return Math.max(0, runningUntil - calculation.runningAt) * calculation.dpus;
}

export function calculationStateAt(calculation: CalculationRecord, now: number): CalculationState {
  if (calculation.stoppedAt !== undefined && now >= calculation.stoppedAt) return 'FAILED';
  if (calculation.canceledAt !== undefined && now >= calculation.canceledAt) {
    return now < (calculation.cancelEndsAt ?? calculation.canceledAt) ? 'CANCELING' : 'CANCELED';
  }
  if (now < calculation.queuedAt) return 'CREATING';
  if (now < calculation.runningAt) return 'QUEUED';
  if (now < calculation.completesAt) return 'RUNNING';
  return calculation.outcome;
}

/** GUESS: the format of Progress is undocumented; a percentage of the running time. */
function progressAt(calculation: CalculationRecord, state: CalculationState, now: number): string | undefined {
  if (state === 'COMPLETED') return '100%';
  if (state !== 'RUNNING') return undefined;
  const share = (now - calculation.runningAt) / Math.max(1, calculation.completesAt - calculation.runningAt);
  return `${Math.min(99, Math.floor(share * 100))}%`;
}

export function calculationView(calculation: CalculationRecord, now: number): CalculationView {
  const state = calculationStateAt(calculation, now);
  let completionDateTime: number | undefined;
  let stateChangeReason: string | undefined;
  switch (state) {
    case 'FAILED':
      if (calculation.stoppedAt !== undefined && now >= calculation.stoppedAt) {
        completionDateTime = calculation.stoppedAt;
        stateChangeReason = CALCULATION_STOPPED_REASON;
      } else {
        completionDateTime = calculation.completesAt;
        stateChangeReason = CALCULATION_FAILED_REASON;
      }
      break;
    case 'COMPLETED':
      completionDateTime = calculation.completesAt;
      break;
    case 'CANCELING':
      stateChangeReason = CALCULATION_CANCELED_REASON;
      break;
    case 'CANCELED':
      completionDateTime = calculation.cancelEndsAt;
      stateChangeReason = CALCULATION_CANCELED_REASON;
      break;
    default:
      break;
  }
  return {
    calculationExecutionId: calculation.calculationExecutionId,
    sessionId: calculation.sessionId,
    description: calculation.description,
    codeBlock: calculation.codeBlock,
    workingDirectory: calculation.workingDirectory,
    state,
    stateChangeReason,
    submissionDateTime: calculation.submittedAt,
    completionDateTime,
    dpuExecutionInMillis: calculationDpuMillis(calculation, now),
    progress: progressAt(calculation, state, now),
    // "populated only if the calculation is completed" (SDK documentation); a failed one has its logs.
    hasResult: state === 'COMPLETED',
    hasLogs: state === 'COMPLETED' || (state === 'FAILED' && calculation.stoppedAt === undefined),
  };
}

/** Newest first: SubmissionDateTime descending, ties by id ascending (GUESS: AWS says only "newest"). */
export function compareCalculationOrder(
  a: { submittedAt: number; calculationExecutionId: string },
  b: { submittedAt: number; calculationExecutionId: string },
): number {
  if (a.submittedAt !== b.submittedAt) return b.submittedAt - a.submittedAt;
  if (a.calculationExecutionId === b.calculationExecutionId) return 0;
  return a.calculationExecutionId < b.calculationExecutionId ? -1 : 1;
}
