import { stringMember, validateRequest } from '../request-validator.js';
import { toWireSessionStatus } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getSessionStatusOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetSessionStatus', input);
    const session = store.readSession(stringMember(input, 'SessionId') as string);
    return { SessionId: session.sessionId, Status: toWireSessionStatus(session.status) };
  },
};
