/**
 * Time source of the local Athena service. Every lifecycle transition is computed from
 * timestamps against `now()`, so swapping in a `ManualClock` makes the whole service
 * deterministic: tests move time forward instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
};

export class ManualClock implements Clock {
  private currentMs: number;

  constructor(startMs: number = Date.UTC(2024, 0, 15, 12, 0, 0)) {
    this.currentMs = startMs;
  }

  now(): number {
    return this.currentMs;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      // Sessions only ever move forward; going back would make lazily computed states disagree.
      throw new RangeError(`ManualClock.advance needs a finite, non-negative duration, got ${ms}`);
    }
    this.currentMs += ms;
    return this.currentMs;
  }

  set(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`ManualClock.set needs a finite time, got ${ms}`);
    this.currentMs = ms;
    return this.currentMs;
  }
}
