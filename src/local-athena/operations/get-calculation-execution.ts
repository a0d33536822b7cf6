import { calculationNotFound } from '../athena-error.js';
import { RequestValidator } from '../request-validator.js';
import { toWireCalculation } from '../wire-shapes.js';
import { CALCULATION_EXECUTION_ID_RULES } from './common-rules.js';
import type { AthenaOperation } from './operation.js';

export const getCalculationExecutionOperation: AthenaOperation = {
  name: 'GetCalculationExecution',
  handle(input, { store }) {
    const validator = new RequestValidator(input);
    const calculationExecutionId = validator.string(
      'CalculationExecutionId',
      CALCULATION_EXECUTION_ID_RULES,
    ) as string;
    validator.throwIfInvalid();
    const calculation = store.getCalculation(calculationExecutionId);
    if (!calculation) throw calculationNotFound(calculationExecutionId);
    return toWireCalculation(calculation);
  },
};
