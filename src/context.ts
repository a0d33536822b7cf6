// What every resolver receives. Built fresh per request by the server.
import type { AthenaPort } from './athena/port.js';
import type { Viewer } from './auth/viewer.js';
import type { CursorCodec } from './schema/cursors.js';
import type { Loaders } from './schema/loaders.js';
import type { CalculationStatusPoller, SessionStatusPoller } from './subscriptions/status-poller.js';

export interface GatewayContext {
  readonly port: AthenaPort;
  readonly loaders: Loaders;
  readonly viewer: Viewer;
  readonly cursors: CursorCodec;
  /** Aborts this request's upstream calls when the client leaves or the deadline passes. */
  readonly signal?: AbortSignal | undefined;
  /** Audit trail for start and terminate; the server writes it to the log. */
  readonly audit?: ((event: AuditEvent) => void) | undefined;
  /** Shared by every request of one gateway: one upstream poll loop per watched session. */
  readonly statusPoller: SessionStatusPoller;
  /** The same for calculations: one upstream poll loop per watched calculation. */
  readonly calculationStatusPoller: CalculationStatusPoller;
}

export interface AuditEvent {
  action: 'startSession' | 'terminateSession' | 'startCalculation' | 'stopCalculation';
  subject: string | undefined;
  sessionId: string | undefined;
  workGroup: string | undefined;
  /** For startCalculation and stopCalculation. */
  calculationId?: string | undefined;
  /** `forbidden`: the caller lacked sessions:write, so nothing was asked of Athena. */
  outcome: 'ok' | 'not-found' | 'error' | 'forbidden';
}
