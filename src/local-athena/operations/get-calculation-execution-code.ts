import { calculationNotFound } from '../athena-error.js';
import { stringMember, validateRequest } from '../request-validator.js';
import type { AthenaOperation } from './operation.js';

export const getCalculationExecutionCodeOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetCalculationExecutionCode', input);
    const calculationExecutionId = stringMember(input, 'CalculationExecutionId') as string;
    const calculation = store.getCalculation(calculationExecutionId);
    if (!calculation) throw calculationNotFound(calculationExecutionId);
    return { CodeBlock: calculation.codeBlock };
  },
};
