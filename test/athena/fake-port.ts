// An AthenaPort whose calls stay pending until the test settles them, so tests decide exactly what
// is in flight at once, and see the signal each upstream call received.
import {
  AthenaError,
  type AthenaOperation,
  type CallOptions,
  type SessionDetails,
  type SessionPage,
  type SessionStatusResult,
} from '../../src/athena/port.js';
import { PortFake, portOf } from '../support/port-calls.js';

export interface PendingCall {
  operation: AthenaOperation;
  argument: unknown;
  signal: AbortSignal | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class ManualPort extends PortFake {
  readonly calls: PendingCall[] = [];

  constructor() {
    super();
    Object.assign(
      this,
      portOf(({ operation, argument, options }) => this.#pending(operation, argument, options)),
    );
  }

  /** Calls made so far, by operation. */
  count(operation?: AthenaOperation): number {
    return this.calls.filter((call) => operation === undefined || call.operation === operation).length;
  }

  /** The most recent call of an operation. */
  last(operation: AthenaOperation): PendingCall {
    const call = this.calls.findLast((pending) => pending.operation === operation);
    if (call === undefined) throw new Error(`no ${operation} call was made`);
    return call;
  }

  #pending<T>(operation: AthenaOperation, argument: unknown, options?: CallOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const signal = options?.signal;
      signal?.addEventListener('abort', () => reject(new AthenaError('aborted', operation, 'aborted')), { once: true });
      this.calls.push({ operation, argument, signal, resolve: resolve as (value: unknown) => void, reject });
    });
  }
}

export const details = (
  sessionId: string,
  state: SessionDetails['status']['state'] = 'IDLE',
  workGroup = 'primary',
): SessionDetails => ({
  sessionId,
  workGroup,
  description: `session ${sessionId}`,
  engineVersion: 'PySpark engine version 3',
  engineConfiguration: { maxConcurrentDpus: 20, sparkProperties: { 'spark.executor.memory': '4g' } },
  sessionConfiguration: { executionRole: 'arn:aws:iam::123456789012:role/spark' },
  status: { state },
  statistics: { dpuExecutionInMillis: 1000 },
});

export const status = (
  sessionId: string,
  state: SessionStatusResult['status']['state'] = 'IDLE',
): SessionStatusResult => ({
  sessionId,
  status: { state },
});

export const page = (...sessionIds: string[]): SessionPage => ({
  sessions: sessionIds.map((sessionId) => ({ sessionId, status: { state: 'IDLE' } })),
});

/** Lets pending promise callbacks run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ManualClock {
  constructor(private nowMs = 1_000) {}
  readonly now = () => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}
