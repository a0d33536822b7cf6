// Every AthenaPort call, by Athena operation name, in one table: the test ports that count, hold or
// fake calls are built from it, so a new port operation is one row here, not a method in each fake.
import {
  type AthenaOperation,
  type AthenaPort,
  type CallOptions,
  immutableViaGetSession,
} from '../../src/athena/port.js';

/** The port's methods that are one Athena call each (getImmutableSession is made of GetSession). */
type CallMethod = Exclude<keyof AthenaPort, 'getImmutableSession'>;

/** The build fails until a new port method has its row. */
export const PORT_OPERATIONS = {
  getSession: 'GetSession',
  getSessionStatus: 'GetSessionStatus',
  listSessions: 'ListSessions',
  terminateSession: 'TerminateSession',
  startSession: 'StartSession',
  startCalculationExecution: 'StartCalculationExecution',
  getCalculationExecution: 'GetCalculationExecution',
  getCalculationExecutionStatus: 'GetCalculationExecutionStatus',
  getCalculationExecutionCode: 'GetCalculationExecutionCode',
  listCalculationExecutions: 'ListCalculationExecutions',
  stopCalculationExecution: 'StopCalculationExecution',
  getSessionEndpoint: 'GetSessionEndpoint',
  listWorkGroups: 'ListWorkGroups',
  getWorkGroup: 'GetWorkGroup',
} as const satisfies Record<CallMethod, AthenaOperation>;

export interface PortCall {
  method: CallMethod;
  operation: AthenaOperation;
  /** The call's one argument: an id, a name or an input object. */
  argument: unknown;
  options: CallOptions | undefined;
}

/** A port whose every call is `handle(call)`; getImmutableSession is one GetSession, as for a port that keeps nothing. */
export function portOf(handle: (call: PortCall) => Promise<unknown>): AthenaPort {
  const port: Record<string, unknown> = {};
  for (const [method, operation] of Object.entries(PORT_OPERATIONS) as [CallMethod, AthenaOperation][])
    port[method] = (argument: unknown, options?: CallOptions) => handle({ method, operation, argument, options });
  const typed = port as unknown as AthenaPort;
  port.getImmutableSession = (sessionId: string, options?: CallOptions) =>
    immutableViaGetSession(typed, sessionId, options);
  return typed;
}

/** Every call of `inner` goes through `around`, which makes it with `call()` (or not). */
export function interceptPort(
  inner: AthenaPort,
  around: (operation: AthenaOperation, call: () => Promise<unknown>) => Promise<unknown>,
): AthenaPort {
  return portOf(({ method, operation, argument, options }) =>
    around(operation, () =>
      (inner[method] as (argument: unknown, options?: CallOptions) => Promise<unknown>).call(inner, argument, options),
    ),
  );
}

/**
 * A base class for fakes whose port methods are installed in their constructor (from `portOf`):
 * instances are AthenaPorts to the compiler.
 */
export const PortFake = Object as unknown as new () => AthenaPort;
