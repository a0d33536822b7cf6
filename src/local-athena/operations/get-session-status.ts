import { RequestValidator } from '../request-validator.js';
import { toWireSessionStatus } from '../wire-shapes.js';
import { SESSION_ID_RULES } from './common-rules.js';
import type { AthenaOperation } from './operation.js';

export const getSessionStatusOperation: AthenaOperation = {
  name: 'GetSessionStatus',
  handle(input, { store }) {
    const validator = new RequestValidator(input);
    const sessionId = validator.string('SessionId', SESSION_ID_RULES);
    validator.throwIfInvalid();
    const session = store.readSession(sessionId as string);
    return { SessionId: session.sessionId, Status: toWireSessionStatus(session.status) };
  },
};
