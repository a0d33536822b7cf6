// The breaker on its own, on a clock that does not start at 0 (so that `now - openedAt` and
// `now + openedAt` differ): when it fails fast, for how long, what a permit may report and how
// often, and what stragglers admitted before it opened may and may not change.
import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../src/athena/circuit-breaker.js';

const START = 1_000_000;

function setup(failureThreshold = 2, openMs = 1_000) {
  let now = START;
  const changes: [BreakerState, BreakerState][] = [];
  const breaker = new CircuitBreaker({
    failureThreshold,
    openMs,
    now: () => now,
    onStateChange: (state, previous) => changes.push([state, previous]),
  });
  const fail = (times = 1) => {
    for (let i = 0; i < times; i += 1) breaker.tryAcquire()!.failure();
  };
  return { breaker, changes, fail, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('stays open for openMs from the moment it opened, however late on the clock that is', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    advance(5_000);
    fail();
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.retryAfterMs).toBe(1_000);
    advance(400);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.retryAfterMs).toBe(600);
    expect(breaker.state).toBe('open');
    advance(599);
    expect(breaker.retryAfterMs).toBe(1);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfterMs).toBe(0);
    advance(10_000);
    expect(breaker.retryAfterMs).toBe(0); // never negative
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('retryAfterMs is 0 while closed and while a trial runs', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    expect(breaker.retryAfterMs).toBe(0);
    fail();
    advance(1_000);
    const trial = breaker.tryAcquire();
    expect(trial).toBeDefined();
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfterMs).toBe(0);
  });

  it('reports each change once, with the state it left', () => {
    const { breaker, changes, fail, advance } = setup(2, 100);
    breaker.tryAcquire()!.success(); // closed stays closed: no change
    fail(2);
    advance(100);
    breaker.tryAcquire()!.success();
    expect(changes).toEqual([
      ['open', 'closed'],
      ['half-open', 'open'],
      ['closed', 'half-open'],
    ]);
  });

  it('a permit reports once: a second report, of any kind, is ignored', () => {
    const { breaker } = setup(2);
    const permit = breaker.tryAcquire()!;
    permit.failure();
    permit.failure();
    permit.success();
    expect(breaker.state).toBe('closed');
    breaker.tryAcquire()!.failure(); // the second failure in a row
    expect(breaker.state).toBe('open');
  });

  it('a straggler admitted while closed, failing during the trial, neither reopens it nor frees the trial slot', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    const straggler = breaker.tryAcquire()!;
    fail();
    advance(1_000);
    const trial = breaker.tryAcquire()!;
    expect(trial).toBeDefined();
    straggler.failure();
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBeUndefined(); // the trial is still the only one
    trial.success();
    expect(breaker.state).toBe('closed');
  });

  it('a straggler that is released during the trial does not free the trial slot', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    const straggler = breaker.tryAcquire()!;
    fail();
    advance(1_000);
    expect(breaker.tryAcquire()).toBeDefined();
    straggler.release();
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it('stragglers failing while it is open do not push the reopening further out', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    const stragglers = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    fail();
    advance(500);
    for (const straggler of stragglers) straggler.failure();
    expect(breaker.retryAfterMs).toBe(500);
    advance(500);
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('a trial that fails after a straggler’s success closed the breaker counts as one failure, not a reopening', () => {
    const { breaker, fail, advance } = setup(2, 1_000);
    const straggler = breaker.tryAcquire()!;
    fail(2);
    advance(1_000);
    const trial = breaker.tryAcquire()!;
    straggler.success(); // Athena answered after all
    expect(breaker.state).toBe('closed');
    trial.failure();
    expect(breaker.state).toBe('closed');
  });

  it('a straggler’s success closes it at once, and there is nothing left to wait for', () => {
    const { breaker, fail, advance } = setup(1, 1_000);
    const straggler = breaker.tryAcquire()!;
    fail();
    advance(100);
    expect(breaker.retryAfterMs).toBe(900);
    straggler.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.retryAfterMs).toBe(0);
  });

  it('works without a state listener and on its own monotonic clock', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 });
    breaker.tryAcquire()!.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.retryAfterMs).toBeGreaterThan(59_000);
    const instant = new CircuitBreaker({ failureThreshold: 1, openMs: 0 });
    instant.tryAcquire()!.failure();
    expect(instant.state).toBe('half-open');
    instant.tryAcquire()!.success();
    expect(instant.state).toBe('closed');
  });

  it('names the setting it refuses', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, openMs: 1 })).toThrow(
      'failureThreshold must be a positive integer, got 0',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 1.5, openMs: 1 })).toThrow(
      'failureThreshold must be a positive integer, got 1.5',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: -1 })).toThrow(
      'openMs must be a non-negative number, got -1',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: Number.POSITIVE_INFINITY })).toThrow(
      'openMs must be a non-negative number, got Infinity',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: 0 })).not.toThrow();
  });
});
