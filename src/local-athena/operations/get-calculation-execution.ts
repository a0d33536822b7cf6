import { calculationNotFound } from '../athena-error.js';
import { stringMember, validateRequest } from '../request-validator.js';
import { toWireCalculation } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getCalculationExecutionOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetCalculationExecution', input);
    const calculationExecutionId = stringMember(input, 'CalculationExecutionId') as string;
    const calculation = store.getCalculation(calculationExecutionId);
    if (!calculation) throw calculationNotFound(calculationExecutionId);
    return toWireCalculation(calculation);
  },
};
