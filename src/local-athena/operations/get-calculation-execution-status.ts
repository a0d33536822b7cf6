import { calculationNotFound } from '../athena-error.js';
import { stringMember, validateRequest } from '../request-validator.js';
import { toWireCalculationStatistics, toWireCalculationStatus } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getCalculationExecutionStatusOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetCalculationExecutionStatus', input);
    const calculationExecutionId = stringMember(input, 'CalculationExecutionId') as string;
    const calculation = store.getCalculation(calculationExecutionId);
    if (!calculation) throw calculationNotFound(calculationExecutionId);
    return { Status: toWireCalculationStatus(calculation), Statistics: toWireCalculationStatistics(calculation) };
  },
};
