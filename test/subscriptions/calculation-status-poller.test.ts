// The poller is generic over what it polls: the same loop over GetCalculationExecutionStatus,
// with the calculation's own notion of a change and of the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AthenaError,
  type CalculationStatus,
  type CalculationStatusResult,
  type CallOptions,
} from '../../src/athena/port.js';
import {
  CalculationStatusPoller,
  type StatusWatcher,
  sameCalculationStatus,
} from '../../src/subscriptions/status-poller.js';

const INTERVAL_MS = 20;

class ScriptedPort {
  calls = 0;
  status: CalculationStatus = { state: 'QUEUED', submissionDateTime: new Date(1_000) };
  failWith: unknown;

  async getCalculationExecutionStatus(
    calculationExecutionId: string,
    _options?: CallOptions,
  ): Promise<CalculationStatusResult> {
    this.calls += 1;
    if (this.failWith !== undefined) throw this.failWith;
    return { calculationExecutionId, status: { ...this.status } };
  }
}

function recorder() {
  const events: string[] = [];
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const watcher: StatusWatcher<CalculationStatus> = {
    next: (status) => events.push(status.state),
    complete: () => {
      events.push('complete');
      ended();
    },
    error: (error) => {
      events.push(`error:${error instanceof AthenaError ? error.kind : String(error)}`);
      ended();
    },
  };
  return { events, watcher, done };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

let poller: CalculationStatusPoller | undefined;
afterEach(() => poller?.close());

describe('CalculationStatusPoller', () => {
  it('tells every watcher of one calculation each change from one loop, and completes after COMPLETED', async () => {
    const port = new ScriptedPort();
    poller = new CalculationStatusPoller(port, { intervalMs: INTERVAL_MS });
    const watchers = [recorder(), recorder(), recorder()];
    for (const { watcher } of watchers) poller.watch('c-1', { ...port.status }, watcher);
    expect(poller.pollingCount).toBe(1);
    expect(poller.watcherCount('c-1')).toBe(3);
    await until(() => port.calls >= 2);
    port.status = { state: 'RUNNING', submissionDateTime: new Date(1_000) };
    await until(() => watchers.every(({ events }) => events.length === 1));
    port.status = { state: 'COMPLETED', submissionDateTime: new Date(1_000), completionDateTime: new Date(5_000) };
    await Promise.all(watchers.map(({ done }) => done));
    for (const { events } of watchers) expect(events).toEqual(['RUNNING', 'COMPLETED', 'complete']);
    expect(poller.pollingCount).toBe(0);
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELED'] as const)(
    'a watcher that already saw %s completes at once, with no call',
    async (state) => {
      const port = new ScriptedPort();
      poller = new CalculationStatusPoller(port, { intervalMs: INTERVAL_MS });
      const { events, watcher, done } = recorder();
      poller.watch('c-1', { state }, watcher);
      await done;
      expect(events).toEqual(['complete']);
      expect(port.calls).toBe(0);
    },
  );

  it('a calculation that vanishes ends its watchers with the not-found error', async () => {
    const port = new ScriptedPort();
    port.failWith = new AthenaError('not-found', 'GetCalculationExecutionStatus', 'gone');
    poller = new CalculationStatusPoller(port, { intervalMs: INTERVAL_MS });
    const { events, watcher, done } = recorder();
    poller.watch('c-1', { state: 'RUNNING' }, watcher);
    await done;
    expect(events).toEqual(['error:not-found']);
  });

  it('a change is a change of state, reason or either timestamp', () => {
    const base: CalculationStatus = { state: 'RUNNING', submissionDateTime: new Date(1) };
    expect(sameCalculationStatus(base, { ...base, submissionDateTime: new Date(1) })).toBe(true);
    expect(sameCalculationStatus(base, { ...base, state: 'CANCELING' })).toBe(false);
    expect(sameCalculationStatus(base, { ...base, stateChangeReason: 'stopped' })).toBe(false);
    expect(sameCalculationStatus(base, { ...base, completionDateTime: new Date(2) })).toBe(false);
    expect(sameCalculationStatus(base, { ...base, submissionDateTime: new Date(3) })).toBe(false);
  });
});
