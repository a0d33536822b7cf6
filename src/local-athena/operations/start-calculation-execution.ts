import { violations } from '../../athena-model/index.js';
import { stringMember, structureMember, throwIfViolations } from '../request-validator.js';
import type { AthenaOperation } from './operation.js';

/**
 * Starts a calculation in an IDLE session, which is BUSY until the calculation completes
 * (after the configured queued and running times). Any other state -> InvalidRequestException.
 */
export const startCalculationExecutionOperation: AthenaOperation = {
  handle(input, { store }) {
    const found = violations('StartCalculationExecutionRequest', input);
    const deprecatedConfiguration = structureMember(input, 'CalculationConfiguration');
    const code =
      stringMember(input, 'CodeBlock') ??
      (deprecatedConfiguration && stringMember(deprecatedConfiguration, 'CodeBlock'));
    if (found.length === 0 && code === undefined) {
      // GUESS: a calculation without code is refused, though the model marks both members optional.
      found.push({ path: 'codeBlock', value: null, constraint: 'Member must not be null' });
    }
    throwIfViolations(found);

    const calculation = store.startCalculation({
      sessionId: stringMember(input, 'SessionId') as string,
      description: stringMember(input, 'Description'),
      codeBlock: code as string,
      clientRequestToken: stringMember(input, 'ClientRequestToken'),
    });
    return {
      CalculationExecutionId: calculation.calculationExecutionId,
      State: calculation.state,
    };
  },
};
