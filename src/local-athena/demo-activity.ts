import { DemoRandom } from './demo-random.js';
import type { ScheduledActivity, SessionStore } from './session-store.js';

/**
 * The living demo's schedule: new sessions keep starting in a work group (CREATING -> CREATED
 * -> IDLE, a few calculations that hold them BUSY, then the idle timeout terminates them), and
 * one watched session (the one GraphiQL's live-status tab opens on) runs a calculation every
 * minute or two. Nothing runs on a timer: the store asks for what fell due before it answers,
 * and everything is drawn from seeded PRNG streams, so a ManualClock replays it exactly,
 * however the clock is stepped.
 */

const SECOND_MS = 1_000;

/** Timings of the schedule (the seeded sessions' own timings are in demo-seed.ts). */
export const DEMO_ACTIVITY_TIMINGS = Object.freeze({
  /** A new session starts this long after the previous one (uniform). */
  sessionIntervalMs: [20 * SECOND_MS, 90 * SECOND_MS],
  /** The first new session starts this long after seeding. */
  firstSessionMs: [5 * SECOND_MS, 20 * SECOND_MS],
  creatingMs: [8 * SECOND_MS, 50 * SECOND_MS],
  createdMs: [3 * SECOND_MS, 15 * SECOND_MS],
  /** A new session's SessionIdleTimeoutInMinutes (the API's minimum is 1). */
  idleTimeoutMinutes: [1, 3],
  /** Calculations per new session. */
  calculations: [1, 3],
  /** From IDLE (or the previous calculation's end) to the next submission. */
  calculationGapMs: [5 * SECOND_MS, 45 * SECOND_MS],
  calculationRunningMs: [5 * SECOND_MS, 150 * SECOND_MS],
  /** The watched session's first calculation is submitted this long after seeding. */
  watchedFirstMs: 15 * SECOND_MS,
  watchedRunningMs: [15 * SECOND_MS, 45 * SECOND_MS],
  watchedGapMs: [30 * SECOND_MS, 120 * SECOND_MS],
} as const);

export interface DemoActivityOptions {
  /** When the schedule starts (the seed's now). */
  startAt: number;
  seed: number;
  workGroup: string;
  executionRole: string;
  outputLocation: string;
  /** A session that keeps going BUSY and back (never terminated by the schedule). */
  watchedSessionId?: string | undefined;
  descriptions: readonly string[];
  calculations: readonly { description: string; code: string }[];
}

interface PendingAction {
  at: number;
  /** Insertion order, so actions due at the same millisecond keep a stable order. */
  sequence: number;
  run(store: SessionStore, at: number): void;
}

type Range = readonly [number, number];

export class DemoActivity implements ScheduledActivity {
  private readonly pending: PendingAction[] = [];
  private sequence = 0;
  /** Separate streams: what is drawn must not depend on how the clock was stepped. */
  private readonly sessionRandom: DemoRandom;
  private readonly watchedRandom: DemoRandom;
  private nextSessionAt: number;
  private nextWatchedAt: number;

  constructor(private readonly options: DemoActivityOptions) {
    this.sessionRandom = new DemoRandom(options.seed);
    this.watchedRandom = new DemoRandom(options.seed + 1);
    this.nextSessionAt = options.startAt + this.draw(this.sessionRandom, DEMO_ACTIVITY_TIMINGS.firstSessionMs);
    this.nextWatchedAt = options.startAt + DEMO_ACTIVITY_TIMINGS.watchedFirstMs;
  }

  runDue(store: SessionStore, now: number): void {
    this.plan(now);
    while (this.pending.length > 0 && (this.pending[0] as PendingAction).at <= now) {
      const action = this.pending.shift() as PendingAction;
      action.run(store, action.at);
    }
  }

  /**
   * Plans every session that starts by `now` (with its later calculations) and the watched
   * session's calculations due by then. An action due by `now` always belongs to a session that
   * started by then, so nothing due is missing after this.
   */
  private plan(now: number): void {
    while (this.nextSessionAt <= now) {
      this.planSession(this.nextSessionAt);
      this.nextSessionAt += this.draw(this.sessionRandom, DEMO_ACTIVITY_TIMINGS.sessionIntervalMs);
    }
    const watched = this.options.watchedSessionId;
    if (watched === undefined) return;
    while (this.nextWatchedAt <= now) {
      const random = this.watchedRandom;
      const choice = random.pick(this.options.calculations);
      const runningMs = this.draw(random, DEMO_ACTIVITY_TIMINGS.watchedRunningMs);
      const calculationExecutionId = random.uuid();
      this.schedule(this.nextWatchedAt, (store, at) => {
        store.submitCalculationAt(watched, at, {
          calculationExecutionId,
          description: choice.description,
          codeBlock: choice.code,
          runningMs,
        });
      });
      this.nextWatchedAt += runningMs + this.draw(random, DEMO_ACTIVITY_TIMINGS.watchedGapMs);
    }
  }

  private planSession(startAt: number): void {
    const random = this.sessionRandom;
    const timings = DEMO_ACTIVITY_TIMINGS;
    const sessionId = random.uuid();
    const creatingMs = this.draw(random, timings.creatingMs);
    const createdMs = this.draw(random, timings.createdMs);
    const idleMinutes = this.draw(random, timings.idleTimeoutMinutes);
    const description = random.pick(this.options.descriptions);
    const { workGroup, executionRole, outputLocation } = this.options;
    this.schedule(startAt, (store, at) => {
      store.addSession({
        workGroup,
        sessionId,
        state: 'CREATING',
        description,
        executionRole,
        workingDirectory: `${outputLocation}${sessionId}/`,
        sessionIdleTimeoutInMinutes: idleMinutes,
        tags: [{ key: 'team', value: 'demo' }],
        startDateTime: at,
        stateEnteredAt: at,
        creatingMs,
        createdMs,
      });
    });
    let submitAt = startAt + creatingMs + createdMs;
    const count = this.draw(random, timings.calculations);
    for (let index = 0; index < count; index += 1) {
      submitAt += this.draw(random, timings.calculationGapMs);
      const choice = random.pick(this.options.calculations);
      const runningMs = this.draw(random, timings.calculationRunningMs);
      const calculationExecutionId = random.uuid();
      this.schedule(submitAt, (store, at) => {
        // Skipped (undefined) if the session is no longer IDLE or BUSY by then.
        store.submitCalculationAt(sessionId, at, {
          calculationExecutionId,
          description: choice.description,
          codeBlock: choice.code,
          runningMs,
        });
      });
      submitAt += runningMs;
    }
  }

  private draw(random: DemoRandom, [min, max]: Range): number {
    return random.integer(min, max);
  }

  private schedule(at: number, run: PendingAction['run']): void {
    const action: PendingAction = { at, sequence: this.sequence, run };
    this.sequence += 1;
    let low = 0;
    let high = this.pending.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.pending[middle] as PendingAction;
      if (other.at < at || (other.at === at && other.sequence < action.sequence)) low = middle + 1;
      else high = middle;
    }
    this.pending.splice(low, 0, action);
  }
}
