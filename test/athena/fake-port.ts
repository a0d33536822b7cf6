// An AthenaPort whose calls stay pending until the test settles them, so tests decide exactly what
// is in flight at once, and see the signal each upstream call received.
import {
  AthenaError,
  type AthenaOperation,
  type AthenaPort,
  type Calculation,
  type CalculationPage,
  type CalculationStatusResult,
  type CallOptions,
  immutableViaGetSession,
  type ListCalculationsInput,
  type ListSessionsInput,
  type ListWorkGroupsInput,
  type SessionDetails,
  type SessionEndpoint,
  type SessionPage,
  type SessionStatusResult,
  type StartCalculationInput,
  type StartSessionInput,
  type StopCalculationResult,
  type WorkGroupPage,
  type WorkGroupSummary,
} from '../../src/athena/port.js';

export interface PendingCall {
  operation: AthenaOperation;
  argument: unknown;
  signal: AbortSignal | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class ManualPort implements AthenaPort {
  readonly calls: PendingCall[] = [];

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

  getSession = (sessionId: string, options?: CallOptions) =>
    this.#pending<SessionDetails>('GetSession', sessionId, options);
  getImmutableSession = (sessionId: string, options?: CallOptions) => immutableViaGetSession(this, sessionId, options);
  getSessionStatus = (sessionId: string, options?: CallOptions) =>
    this.#pending<SessionStatusResult>('GetSessionStatus', sessionId, options);
  listSessions = (input: ListSessionsInput, options?: CallOptions) =>
    this.#pending<SessionPage>('ListSessions', input, options);
  terminateSession = (sessionId: string, options?: CallOptions) =>
    this.#pending<{ state: 'TERMINATING' }>('TerminateSession', sessionId, options);
  startSession = (input: StartSessionInput, options?: CallOptions) =>
    this.#pending<{ sessionId: string; state: 'CREATING' }>('StartSession', input, options);
  startCalculationExecution = (input: StartCalculationInput, options?: CallOptions) =>
    this.#pending<{ calculationExecutionId: string; state: 'QUEUED' }>('StartCalculationExecution', input, options);
  getCalculationExecution = (id: string, options?: CallOptions) =>
    this.#pending<Calculation>('GetCalculationExecution', id, options);
  getCalculationExecutionStatus = (id: string, options?: CallOptions) =>
    this.#pending<CalculationStatusResult>('GetCalculationExecutionStatus', id, options);
  getCalculationExecutionCode = (id: string, options?: CallOptions) =>
    this.#pending<string>('GetCalculationExecutionCode', id, options);
  listCalculationExecutions = (input: ListCalculationsInput, options?: CallOptions) =>
    this.#pending<CalculationPage>('ListCalculationExecutions', input, options);
  stopCalculationExecution = (id: string, options?: CallOptions) =>
    this.#pending<StopCalculationResult>('StopCalculationExecution', id, options);
  getSessionEndpoint = (sessionId: string, options?: CallOptions) =>
    this.#pending<SessionEndpoint>('GetSessionEndpoint', sessionId, options);
  listWorkGroups = (input: ListWorkGroupsInput, options?: CallOptions) =>
    this.#pending<WorkGroupPage>('ListWorkGroups', input, options);
  getWorkGroup = (name: string, options?: CallOptions) =>
    this.#pending<WorkGroupSummary>('GetWorkGroup', name, options);
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
