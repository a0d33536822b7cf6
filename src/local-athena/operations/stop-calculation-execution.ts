import { stringMember, validateRequest } from '../request-validator.js';
import type { AthenaOperation } from './operation.js';

/**
 * Answers the state right after the call: CANCELING for a calculation it stops (GUESS: the
 * reference only says cancellation is best effort), or the unchanged state of one already
 * COMPLETED, FAILED, CANCELED or CANCELING, on which it "succeeds but has no effect".
 */
export const stopCalculationExecutionOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('StopCalculationExecution', input);
    return { State: store.stopCalculation(stringMember(input, 'CalculationExecutionId') as string) };
  },
};
