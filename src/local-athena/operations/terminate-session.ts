import { RequestValidator } from '../request-validator.js';
import { SESSION_ID_RULES } from './common-rules.js';
import type { AthenaOperation } from './operation.js';

/**
 * Returns the state right after the call: TERMINATING for a session it stops (GUESS: the
 * reference only says the response holds "the state of the session"), or the unchanged state
 * of an already inactive session (TERMINATING, TERMINATED, FAILED), on which it "succeeds but
 * has no effect".
 */
export const terminateSessionOperation: AthenaOperation = {
  name: 'TerminateSession',
  handle(input, { store }) {
    const validator = new RequestValidator(input);
    const sessionId = validator.string('SessionId', SESSION_ID_RULES);
    validator.throwIfInvalid();
    return { State: store.terminateSession(sessionId as string) };
  },
};
