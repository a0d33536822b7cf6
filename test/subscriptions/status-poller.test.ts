// The shared poll loop on its own, over a scripted port: what it calls, when, and who hears what.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AthenaError,
  type CallOptions,
  type SessionState,
  type SessionStatus,
  type SessionStatusResult,
} from '../../src/athena/port.js';
import { SessionStatusPoller, type StatusWatcher, sameStatus } from '../../src/subscriptions/status-poller.js';

const INTERVAL_MS = 30;

/** A port whose GetSessionStatus answers from a script and counts its calls. */
class ScriptedPort {
  calls = 0;
  aborted = 0;
  status: SessionStatus = { state: 'IDLE', lastModifiedDateTime: new Date(1_000) };
  failWith: unknown;
  /** When set, calls wait for it before answering. */
  gate: Promise<void> | undefined;

  async getSessionStatus(sessionId: string, options?: CallOptions): Promise<SessionStatusResult> {
    this.calls += 1;
    options?.signal?.addEventListener('abort', () => (this.aborted += 1), { once: true });
    if (this.gate) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    return { sessionId, status: { ...this.status } };
  }

  set(state: SessionState, at: number, reason?: string): void {
    this.status = { state, stateChangeReason: reason, lastModifiedDateTime: new Date(at) };
  }
}

/** Records what one watcher was told. */
function recorder() {
  const events: string[] = [];
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const watcher: StatusWatcher = {
    next: (status) => events.push(status.state),
    complete: () => {
      events.push('complete');
      resolveEnded();
    },
    error: (error) => {
      events.push(`error:${error instanceof AthenaError ? error.kind : String(error)}`);
      resolveEnded();
    },
  };
  return { events, watcher, ended };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

let poller: SessionStatusPoller | undefined;
afterEach(() => poller?.close());

describe('SessionStatusPoller', () => {
  it('polls a session once per interval however many watch it, and tells each only about changes', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const watchers = Array.from({ length: 100 }, () => recorder());
    const seen = { ...port.status };
    const unwatch = watchers.map(({ watcher }) => poller!.watch('s-1', seen, watcher));
    expect(poller.pollingSessions).toBe(1);
    expect(poller.watcherCount('s-1')).toBe(100);

    await until(() => port.calls >= 3);
    // Nothing changed: nobody hears anything.
    expect(watchers.every(({ events }) => events.length === 0)).toBe(true);

    port.set('BUSY', 2_000);
    await until(() => watchers.every(({ events }) => events.length === 1));
    const callsAtChange = port.calls;
    expect(watchers.every(({ events }) => events[0] === 'BUSY')).toBe(true);

    // One call per interval in all, not one per watcher (the loop waits a full interval between calls).
    const started = performance.now();
    await sleep(INTERVAL_MS * 4);
    const elapsed = performance.now() - started;
    expect(port.calls - callsAtChange).toBeGreaterThan(0);
    expect(port.calls - callsAtChange).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 1);
    for (const stop of unwatch) stop();
  });

  it('stops polling when the last watcher leaves: no timer left, no further call', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const one = poller.watch('s-1', port.status, recorder().watcher);
    const two = poller.watch('s-1', port.status, recorder().watcher);
    await until(() => port.calls >= 1);
    one();
    await until(() => port.calls >= 2);
    expect(poller.pollingSessions).toBe(1);
    two();
    two(); // a second call does nothing
    expect(poller.pollingSessions).toBe(0);
    const callsAfterLeaving = port.calls;
    await sleep(INTERVAL_MS * 5);
    expect(port.calls).toBe(callsAfterLeaving);
  });

  it('aborts the call in flight when the last watcher leaves during it', async () => {
    const port = new ScriptedPort();
    let open!: () => void;
    port.gate = new Promise((resolve) => (open = resolve));
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const { events, watcher } = recorder();
    const unwatch = poller.watch('s-1', port.status, watcher);
    await until(() => port.calls === 1);
    port.set('BUSY', 2_000);
    unwatch();
    expect(port.aborted).toBe(1);
    open();
    await sleep(INTERVAL_MS * 3);
    // The late answer reaches nobody and starts nothing.
    expect(events).toEqual([]);
    expect(port.calls).toBe(1);
  });

  it('never has two calls in flight for one session, however slow the upstream', async () => {
    const port = new ScriptedPort();
    let open!: () => void;
    port.gate = new Promise((resolve) => (open = resolve));
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    poller.watch('s-1', port.status, recorder().watcher);
    await sleep(INTERVAL_MS * 5);
    expect(port.calls).toBe(1);
    port.gate = undefined;
    open();
    await until(() => port.calls >= 2);
  });

  it('completes every watcher after TERMINATED, with the final status first, and stops', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const a = recorder();
    const b = recorder();
    poller.watch('s-1', port.status, a.watcher);
    poller.watch('s-1', port.status, b.watcher);
    port.set('TERMINATING', 2_000);
    await until(() => a.events.length === 1);
    port.set('TERMINATED', 3_000, 'Session was terminated by a TerminateSession request');
    await Promise.all([a.ended, b.ended]);
    expect(a.events).toEqual(['TERMINATING', 'TERMINATED', 'complete']);
    expect(b.events).toEqual(['TERMINATING', 'TERMINATED', 'complete']);
    expect(poller.pollingSessions).toBe(0);
    const calls = port.calls;
    await sleep(INTERVAL_MS * 3);
    expect(port.calls).toBe(calls);
  });

  it('tells a late watcher only what differs from what it already has', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const early = recorder();
    poller.watch('s-1', port.status, early.watcher);
    port.set('BUSY', 2_000);
    await until(() => early.events.length === 1);
    // Joins with the status it loaded itself, already BUSY: the loop's next BUSY is no news to it.
    const late = recorder();
    poller.watch('s-1', { ...port.status }, late.watcher);
    const calls = port.calls;
    await until(() => port.calls >= calls + 2);
    expect(late.events).toEqual([]);
    port.set('IDLE', 3_000);
    await until(() => late.events.length === 1 && early.events.length === 2);
    expect(late.events).toEqual(['IDLE']);
    expect(early.events).toEqual(['BUSY', 'IDLE']);
  });

  it('a change of reason or timestamp alone is a change', () => {
    const base: SessionStatus = { state: 'IDLE', stateChangeReason: undefined, idleSinceDateTime: new Date(5) };
    expect(sameStatus(base, { ...base, idleSinceDateTime: new Date(5) })).toBe(true);
    expect(sameStatus(base, { ...base, idleSinceDateTime: new Date(6) })).toBe(false);
    expect(sameStatus(base, { ...base, stateChangeReason: 'x' })).toBe(false);
    expect(sameStatus(base, { ...base, endDateTime: new Date(1) })).toBe(false);
    expect(sameStatus(base, { ...base, state: 'BUSY' })).toBe(false);
  });

  it('retries a failed poll quietly, and gives up with the error after too many failures in a row', async () => {
    const port = new ScriptedPort();
    const failures: number[] = [];
    poller = new SessionStatusPoller(port, {
      intervalMs: INTERVAL_MS,
      maxConsecutiveFailures: 3,
      onPollError: (_id, _error, consecutive) => failures.push(consecutive),
    });
    const { events, watcher, ended } = recorder();
    poller.watch('s-1', port.status, watcher);
    port.failWith = new AthenaError('unavailable', 'GetSessionStatus', 'boom');
    await until(() => failures.length === 2);
    expect(events).toEqual([]);
    // A success in between resets the count.
    port.failWith = undefined;
    port.set('BUSY', 2_000);
    await until(() => events.length === 1);
    port.failWith = new AthenaError('throttled', 'GetSessionStatus', 'slow down');
    await ended;
    expect(events).toEqual(['BUSY', 'error:throttled']);
    expect(failures).toEqual([1, 2, 1, 2, 3]);
    expect(poller.pollingSessions).toBe(0);
  });

  it('ends at once with the error when the session no longer exists', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS, maxConsecutiveFailures: 10 });
    const { events, watcher, ended } = recorder();
    poller.watch('s-1', port.status, watcher);
    port.failWith = new AthenaError('not-found', 'GetSessionStatus', 'Session s-1 not found');
    await ended;
    expect(events).toEqual(['error:not-found']);
    expect(port.calls).toBe(1);
  });

  it('a watcher that throws does not keep the others from hearing', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    poller.watch('s-1', port.status, {
      next: () => {
        throw new Error('bad watcher');
      },
      complete: () => {},
      error: () => {},
    });
    const good = recorder();
    poller.watch('s-1', port.status, good.watcher);
    port.set('BUSY', 2_000);
    await until(() => good.events.length === 1);
    port.set('BUSY', 3_000);
    await until(() => good.events.length === 2);
  });

  it('close() completes every watcher and stops every loop; later watches complete at once', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const a = recorder();
    const b = recorder();
    poller.watch('s-1', port.status, a.watcher);
    poller.watch('s-2', port.status, b.watcher);
    expect(poller.pollingSessions).toBe(2);
    poller.close();
    await Promise.all([a.ended, b.ended]);
    expect(poller.pollingSessions).toBe(0);
    const late = recorder();
    poller.watch('s-3', port.status, late.watcher);
    await late.ended;
    expect(late.events).toEqual(['complete']);
    const calls = port.calls;
    await sleep(INTERVAL_MS * 3);
    expect(port.calls).toBe(calls);
  });

  it('a watch that starts from a final status completes without polling', async () => {
    const port = new ScriptedPort();
    poller = new SessionStatusPoller(port, { intervalMs: INTERVAL_MS });
    const { events, watcher, ended } = recorder();
    poller.watch('s-1', { state: 'FAILED' }, watcher);
    await ended;
    expect(events).toEqual(['complete']);
    expect(poller.pollingSessions).toBe(0);
    expect(port.calls).toBe(0);
  });

  it('refuses an interval that would spin', () => {
    expect(() => new SessionStatusPoller(new ScriptedPort(), { intervalMs: 0 })).toThrow(RangeError);
  });
});
