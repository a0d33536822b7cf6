// The resilience layer on its own, over a scripted port and a manual clock: what opens and closes
// the breaker, what fails fast, and how the concurrency cap and its queue behave.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/athena/circuit-breaker.js';
import {
  AthenaError,
  type AthenaErrorKind,
  type AthenaOperation,
  type AthenaPort,
  type CallOptions,
  isAthenaError,
} from '../../src/athena/port.js';
import { type ResilienceEvent, ResilientAthenaPort } from '../../src/athena/resilient-port.js';
import { PortFake, portOf } from '../support/port-calls.js';

interface PendingCall {
  operation: AthenaOperation;
  signal: AbortSignal | undefined;
  answer(): void;
  fail(kind: AthenaErrorKind): void;
}

/** Every call waits until the test answers or fails it; an aborted signal rejects it like the SDK does. */
class ScriptedPort extends PortFake {
  readonly pending: PendingCall[] = [];
  started = 0;

  constructor() {
    super();
    Object.assign(
      this,
      portOf(({ operation, options }) => this.#call(operation, options)),
    );
  }

  #call(operation: AthenaOperation, options?: CallOptions): Promise<unknown> {
    this.started += 1;
    return new Promise((resolve, reject) => {
      const signal = options?.signal;
      const call: PendingCall = {
        operation,
        signal,
        answer: () => {
          this.#remove(call);
          resolve({ sessionId: 'x', status: { state: 'IDLE' }, sessions: [], state: 'TERMINATING' });
        },
        fail: (kind) => {
          this.#remove(call);
          reject(new AthenaError(kind, operation, `scripted ${kind}`));
        },
      };
      signal?.addEventListener('abort', () => call.fail('aborted'), { once: true });
      this.pending.push(call);
    });
  }

  #remove(call: PendingCall): void {
    const index = this.pending.indexOf(call);
    if (index >= 0) this.pending.splice(index, 1);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function failureOf(promise: Promise<unknown>): Promise<AthenaError> {
  try {
    await promise;
  } catch (error) {
    if (isAthenaError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function setup(overrides: { concurrency?: number; queueLimit?: number; threshold?: number; openMs?: number } = {}) {
  const inner = new ScriptedPort();
  let now = 0;
  const events: ResilienceEvent[] = [];
  const port = new ResilientAthenaPort(inner, {
    concurrency: overrides.concurrency ?? 10,
    queueLimit: overrides.queueLimit ?? 10,
    breakerFailureThreshold: overrides.threshold ?? 3,
    breakerOpenMs: overrides.openMs ?? 1_000,
    now: () => now,
    onEvent: (event) => events.push(event),
  });
  return { inner, port, events, advance: (ms: number) => (now += ms) };
}

/** Runs one call through the port and fails it upstream with `kind`. */
async function failOnce(inner: ScriptedPort, port: ResilientAthenaPort, kind: AthenaErrorKind): Promise<AthenaError> {
  const call = port.getSessionStatus('s');
  await tick();
  inner.pending.at(-1)!.fail(kind);
  return failureOf(call);
}

describe('circuit breaker', () => {
  it('opens after the threshold of failures in a row, then fails fast without calling Athena', async () => {
    const { inner, port, events } = setup({ threshold: 3 });
    await failOnce(inner, port, 'unavailable');
    await failOnce(inner, port, 'throttled');
    expect(port.breakerState).toBe('closed');
    await failOnce(inner, port, 'unavailable');
    expect(port.breakerState).toBe('open');
    const started = inner.started;
    const error = await failureOf(port.listSessions({ workGroup: 'primary' }));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(/fail fast/);
    expect(inner.started).toBe(started);
    expect(events).toContainEqual({ type: 'breaker', state: 'open', previous: 'closed' });
    expect(events).toContainEqual({ type: 'rejected', operation: 'ListSessions', reason: 'breaker-open' });
  });

  it('a success in between resets the count', async () => {
    const { inner, port } = setup({ threshold: 2 });
    await failOnce(inner, port, 'unavailable');
    const ok = port.getSession('s');
    await tick();
    inner.pending[0]!.answer();
    await ok;
    await failOnce(inner, port, 'unavailable');
    expect(port.breakerState).toBe('closed');
  });

  it.each<AthenaErrorKind>(['not-found', 'invalid-request', 'aborted'])(
    "%s says nothing about Athena's health and never opens it",
    async (kind) => {
      const { inner, port } = setup({ threshold: 2 });
      for (let i = 0; i < 5; i += 1) await failOnce(inner, port, kind);
      expect(port.breakerState).toBe('closed');
    },
  );

  it('a call aborted by its deadline counts as a failure; one whose client left does not', async () => {
    const { inner, port } = setup({ threshold: 2 });
    for (let i = 0; i < 3; i += 1) {
      const controller = new AbortController();
      const call = port.getSession('s', { signal: controller.signal });
      await tick();
      controller.abort(new DOMException('client gone', 'AbortError'));
      expect((await failureOf(call)).kind).toBe('aborted');
    }
    expect(port.breakerState).toBe('closed');
    for (let i = 0; i < 2; i += 1) {
      const controller = new AbortController();
      const call = port.getSession('s', { signal: controller.signal });
      await tick();
      controller.abort(new DOMException('deadline', 'TimeoutError'));
      await failureOf(call);
    }
    expect(port.breakerState).toBe('open');
    expect(inner.pending).toHaveLength(0);
  });

  it('after its pause lets exactly one trial through, and closes when Athena answers', async () => {
    const { inner, port, advance, events } = setup({ threshold: 1, openMs: 1_000 });
    await failOnce(inner, port, 'unavailable');
    advance(999);
    expect(port.breakerState).toBe('open');
    advance(1);
    expect(port.breakerState).toBe('half-open');
    const trial = port.getSessionStatus('s');
    await tick();
    expect(inner.pending).toHaveLength(1);
    // While the trial runs, others fail fast.
    expect((await failureOf(port.getSessionStatus('t'))).kind).toBe('unavailable');
    expect(inner.pending).toHaveLength(1);
    inner.pending[0]!.fail('not-found');
    expect((await failureOf(trial)).kind).toBe('not-found');
    expect(port.breakerState).toBe('closed');
    expect(
      events.filter((event) => event.type === 'breaker').map((event) => event.type === 'breaker' && event.state),
    ).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed trial opens it again for a full pause', async () => {
    const { inner, port, advance } = setup({ threshold: 1, openMs: 1_000 });
    await failOnce(inner, port, 'unavailable');
    advance(1_000);
    await failOnce(inner, port, 'unavailable');
    expect(port.breakerState).toBe('open');
    advance(999);
    expect(port.breakerState).toBe('open');
    advance(1);
    expect(port.breakerState).toBe('half-open');
  });

  it('a trial that is cancelled by its client frees the trial slot without deciding anything', async () => {
    const { inner, port, advance } = setup({ threshold: 1, openMs: 10 });
    await failOnce(inner, port, 'unavailable');
    advance(10);
    const controller = new AbortController();
    const trial = port.getSession('s', { signal: controller.signal });
    await tick();
    controller.abort();
    await failureOf(trial);
    expect(port.breakerState).toBe('half-open');
    const next = port.getSession('s');
    await tick();
    inner.pending[0]!.answer();
    await next;
    expect(port.breakerState).toBe('closed');
  });

  it('rejects nonsense settings', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, openMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: -1 })).toThrow(RangeError);
  });
});

describe('concurrency cap and queue', () => {
  it('never runs more than the cap at once; the rest wait their turn in order', async () => {
    const { inner, port } = setup({ concurrency: 2, queueLimit: 10 });
    const calls = Array.from({ length: 5 }, (_, i) => port.getSession(`s${i}`));
    await tick();
    expect(inner.pending).toHaveLength(2);
    expect(port.inFlight).toBe(2);
    expect(port.queued).toBe(3);
    for (let answered = 0; answered < 5; answered += 1) {
      expect(inner.pending.length).toBeLessThanOrEqual(2);
      inner.pending[0]!.answer();
      await tick();
    }
    await Promise.all(calls);
    expect(inner.started).toBe(5);
    expect(port.inFlight).toBe(0);
    expect(port.queued).toBe(0);
  });

  it('the cap holds while callers start a new call the moment theirs finishes', async () => {
    const { inner, port } = setup({ concurrency: 3, queueLimit: 100 });
    let maxPending = 0;
    let remaining = 40;
    const chain = async (): Promise<void> => {
      while (remaining > 0) {
        remaining -= 1;
        await port.getSession('s');
      }
    };
    const chains = Array.from({ length: 8 }, chain);
    while (remaining > 0 || inner.pending.length > 0) {
      await tick();
      maxPending = Math.max(maxPending, inner.pending.length);
      expect(port.inFlight).toBeLessThanOrEqual(3);
      inner.pending[Math.floor(inner.pending.length / 2)]?.answer();
    }
    await Promise.all(chains);
    expect(maxPending).toBe(3);
    expect(inner.started).toBe(40);
    expect(port.inFlight).toBe(0);
  });

  it('a full queue fails at once with unavailable', async () => {
    const { inner, port, events } = setup({ concurrency: 1, queueLimit: 1 });
    const running = port.getSession('a');
    const waiting = port.getSession('b');
    const error = await failureOf(port.getSession('c'));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(/1 upstream calls running and 1 waiting/);
    expect(events).toContainEqual({ type: 'rejected', operation: 'GetSession', reason: 'queue-full' });
    await tick();
    inner.pending[0]!.answer();
    await running;
    await tick();
    inner.pending[0]!.answer();
    await waiting;
  });

  it('a waiting call whose signal aborts leaves the queue and never reaches Athena', async () => {
    const { inner, port } = setup({ concurrency: 1, queueLimit: 5 });
    const running = port.getSession('a');
    const controller = new AbortController();
    const waiting = port.getSession('b', { signal: controller.signal });
    await tick();
    expect(port.queued).toBe(1);
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    const error = await failureOf(waiting);
    expect(error.kind).toBe('aborted');
    expect(error.message).toMatch(/deadline/);
    expect(port.queued).toBe(0);
    inner.pending[0]!.answer();
    await running;
    expect(inner.started).toBe(1);
    // Waiting in the queue is not Athena's fault.
    expect(port.breakerState).toBe('closed');
  });

  it('a queued call leaves no listener of its own on the signal, whether its turn comes or it aborts', async () => {
    // One signal serves every call of an operation (and a subscription's, many operations): a
    // listener left per queued call would pile up on it for the signal's whole life.
    const { inner, port } = setup({ concurrency: 1, queueLimit: 5 });
    const controller = new AbortController();
    const listeners = () => getEventListeners(controller.signal, 'abort').length;
    const first = port.getSession('a');
    const served = port.getSession('b', { signal: controller.signal });
    const aborted = port.getSession('c', { signal: controller.signal });
    await tick();
    expect(listeners()).toBe(2);
    inner.pending[0]!.answer();
    await first;
    await tick();
    // `served` reached Athena: the only listener for it now is the scripted call's own.
    expect(inner.pending.map((call) => call.signal)).toEqual([controller.signal]);
    expect(listeners()).toBe(2);
    controller.abort();
    expect((await failureOf(aborted)).kind).toBe('aborted');
    expect((await failureOf(served)).kind).toBe('aborted');
    expect(listeners()).toBe(0);
  });

  it('an already aborted signal fails before taking a slot', async () => {
    const { inner, port } = setup();
    const error = await failureOf(port.getSession('a', { signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(inner.started).toBe(0);
  });

  it('calls queued while the breaker opens fail fast when their turn comes', async () => {
    const { inner, port } = setup({ concurrency: 1, queueLimit: 5, threshold: 1 });
    const running = port.getSession('a');
    const waiting = port.getSession('b');
    await tick();
    inner.pending[0]!.fail('unavailable');
    await failureOf(running);
    expect((await failureOf(waiting)).message).toMatch(/fail fast/);
    expect(inner.started).toBe(1);
  });
});

// What a mutation run showed no test above would notice.
describe('fail fast, names and messages', () => {
  it('while open with the concurrency cap full, a new call fails fast instead of waiting for a slot', async () => {
    const inner = new ScriptedPort();
    const events: ResilienceEvent[] = [];
    let during: Promise<unknown> | undefined;
    let queuedMeanwhile: number | undefined;
    const port: ResilientAthenaPort = new ResilientAthenaPort(inner, {
      concurrency: 1,
      queueLimit: 5,
      breakerFailureThreshold: 1,
      breakerOpenMs: 1_000,
      now: () => 0,
      onEvent: (event) => {
        events.push(event);
        // The breaker has just opened; the failed call still holds the only slot.
        if (event.type === 'breaker' && event.state === 'open') {
          during = port.getSession('d').catch((error: unknown) => error);
          queuedMeanwhile = port.queued;
        }
      },
    });
    const running = port.getSession('a');
    await tick();
    inner.pending[0]!.fail('unavailable');
    await failureOf(running);
    expect(queuedMeanwhile).toBe(0);
    const error = await during;
    expect(isAthenaError(error, 'unavailable') && error.message).toMatch(/fail fast/);
    expect(events).toContainEqual({ type: 'rejected', operation: 'GetSession', reason: 'breaker-open' });
    expect(inner.started).toBe(1);
  });

  // A Record, so that the typecheck fails until a new operation has its row here.
  const operations: Record<AthenaOperation, [(port: AthenaPort) => Promise<unknown>, unknown]> = {
    GetSession: [(port) => port.getSession('s-1'), 's-1'],
    GetSessionStatus: [(port) => port.getSessionStatus('s-1'), 's-1'],
    ListSessions: [(port) => port.listSessions({ workGroup: 'primary' }), { workGroup: 'primary' }],
    TerminateSession: [(port) => port.terminateSession('s-1'), 's-1'],
    StartSession: [
      (port) => port.startSession({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } }),
      { workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } },
    ],
    StartCalculationExecution: [
      (port) => port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' }),
      { sessionId: 's-1', codeBlock: 'print(1)' },
    ],
    GetCalculationExecution: [(port) => port.getCalculationExecution('c-1'), 'c-1'],
    GetCalculationExecutionStatus: [(port) => port.getCalculationExecutionStatus('c-1'), 'c-1'],
    GetCalculationExecutionCode: [(port) => port.getCalculationExecutionCode('c-1'), 'c-1'],
    ListCalculationExecutions: [
      (port) => port.listCalculationExecutions({ sessionId: 's-1', maxResults: 5 }),
      { sessionId: 's-1', maxResults: 5 },
    ],
    StopCalculationExecution: [(port) => port.stopCalculationExecution('c-1'), 'c-1'],
    GetSessionEndpoint: [(port) => port.getSessionEndpoint('s-1'), 's-1'],
    ListWorkGroups: [(port) => port.listWorkGroups({ maxResults: 7 }), { maxResults: 7 }],
    GetWorkGroup: [(port) => port.getWorkGroup('primary'), 'primary'],
  };

  /** An inner port whose every call records its argument and resolves with `answer`. */
  const echoing = (seen: unknown[], answer: unknown) =>
    portOf(({ argument }) => {
      seen.push(argument);
      return Promise.resolve(answer);
    });

  it.each(
    Object.entries(operations).map(([operation, [call, argument]]) => [operation as AthenaOperation, call, argument]),
  )('%s passes its argument and answer through, and is named when it is refused', async (operation, call, argument) => {
    const seen: unknown[] = [];
    const answer = { answered: operation };
    const port = new ResilientAthenaPort(echoing(seen, answer), {
      concurrency: 1,
      queueLimit: 0,
      breakerFailureThreshold: 1,
      breakerOpenMs: 1_000,
      now: () => 0,
    });
    await expect(call(port)).resolves.toBe(answer);
    expect(seen).toEqual([argument]);

    const { inner, port: open, events } = setup({ threshold: 1 });
    await failOnce(inner, open, 'unavailable');
    const error = await failureOf(call(open));
    expect(error.operation).toBe(operation);
    expect(error.message).toBe(`${operation} not sent: Athena failed repeatedly, calls fail fast for another 1000 ms`);
    expect(events.at(-1)).toEqual({ type: 'rejected', operation, reason: 'breaker-open' });
  });

  it('getImmutableSession is one GetSession through the same cap and breaker', async () => {
    const seen: unknown[] = [];
    const details = { sessionId: 's-1', workGroup: 'primary', status: { state: 'IDLE' } };
    const port = new ResilientAthenaPort(echoing(seen, details), {
      concurrency: 1,
      queueLimit: 0,
      breakerFailureThreshold: 1,
      breakerOpenMs: 1_000,
      now: () => 0,
    });
    const read = await port.getImmutableSession('s-1');
    expect(read.details).toBe(details);
    expect(read.fields).toMatchObject({ workGroup: 'primary' });
    expect(seen).toEqual(['s-1']);

    const { inner, port: open, events } = setup({ threshold: 1 });
    await failOnce(inner, open, 'unavailable');
    expect((await failureOf(open.getImmutableSession('s-1'))).operation).toBe('GetSession');
    expect(events.at(-1)).toEqual({ type: 'rejected', operation: 'GetSession', reason: 'breaker-open' });
  });

  it('an aborted caller is told why, with the abort reason as the cause, whatever the reason is', async () => {
    const { port } = setup();
    const reason = new Error('client went away');
    const cancelled = await failureOf(port.getSession('a', { signal: AbortSignal.abort(reason) }));
    expect(cancelled.message).toBe('GetSession not sent: the caller cancelled');
    expect(cancelled.cause).toBe(reason);
    const controller = new AbortController();
    controller.abort(null);
    const nullReason = await failureOf(port.getSession('a', { signal: controller.signal }));
    expect(nullReason.message).toBe('GetSession not sent: the caller cancelled');
  });

  it('works without an event listener: opening and refusing do not throw', async () => {
    const inner = new ScriptedPort();
    const port = new ResilientAthenaPort(inner, {
      concurrency: 1,
      queueLimit: 0,
      breakerFailureThreshold: 1,
      breakerOpenMs: 1_000,
    });
    await failOnce(inner, port, 'unavailable');
    expect(port.breakerState).toBe('open');
    expect((await failureOf(port.getSession('s'))).message).toMatch(/fail fast/);
  });

  it('names the setting it refuses; a queue of 0 is allowed', () => {
    const settings = { concurrency: 1, queueLimit: 0, breakerFailureThreshold: 1, breakerOpenMs: 1 };
    const inner = new ScriptedPort();
    expect(() => new ResilientAthenaPort(inner, { ...settings, concurrency: 0 })).toThrow(
      'concurrency must be a positive integer, got 0',
    );
    expect(() => new ResilientAthenaPort(inner, { ...settings, concurrency: 1.5 })).toThrow(
      'concurrency must be a positive integer, got 1.5',
    );
    expect(() => new ResilientAthenaPort(inner, { ...settings, queueLimit: -1 })).toThrow(
      'queueLimit must be a non-negative integer, got -1',
    );
    expect(() => new ResilientAthenaPort(inner, { ...settings, queueLimit: 0.5 })).toThrow(
      'queueLimit must be a non-negative integer, got 0.5',
    );
    expect(() => new ResilientAthenaPort(inner, settings)).not.toThrow();
  });
});
