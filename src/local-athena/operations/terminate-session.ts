import { stringMember, validateRequest } from '../request-validator.js';
import type { AthenaOperation } from './operation.js';

/**
 * Returns the state right after the call: TERMINATING for a session it stops (GUESS: the
 * reference only says the response holds "the state of the session"), or the unchanged state
 * of an already inactive session (TERMINATING, TERMINATED, FAILED), on which it "succeeds but
 * has no effect".
 */
export const terminateSessionOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('TerminateSession', input);
    return { State: store.terminateSession(stringMember(input, 'SessionId') as string) };
  },
};
