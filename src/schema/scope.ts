// Scope checks of the schema's entry points. Work-group visibility is the viewer's (auth/viewer.ts);
// this is only "may this caller run this kind of operation at all".
import { hasScope, type Scope } from '../auth/viewer.js';
import type { AuditEvent, GatewayContext } from '../context.js';
import { ForbiddenError } from '../errors.js';

export function requireScope(context: GatewayContext, scope: Scope): void {
  if (!hasScope(context.viewer, scope)) {
    throw new ForbiddenError(`This operation needs the ${scope} scope.`);
  }
}

/** A mutation refused for want of scope is still an attempt the audit trail must show. */
export function requireWriteScope(
  context: GatewayContext,
  attempt: Pick<AuditEvent, 'action' | 'sessionId' | 'workGroup'>,
): void {
  if (!hasScope(context.viewer, 'sessions:write')) {
    const clip = (value: string | undefined) => value?.slice(0, 256);
    context.audit?.({
      ...attempt,
      sessionId: clip(attempt.sessionId),
      workGroup: clip(attempt.workGroup),
      subject: context.viewer.subject,
      outcome: 'forbidden',
    });
  }
  requireScope(context, 'sessions:write');
}
