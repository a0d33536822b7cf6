import { stringMember, validateRequest } from '../request-validator.js';
import { toWireSessionDetails } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getSessionOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetSession', input);
    const session = store.readSession(stringMember(input, 'SessionId') as string);
    return toWireSessionDetails(session);
  },
};
