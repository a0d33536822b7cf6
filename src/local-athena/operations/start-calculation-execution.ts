import { RequestValidator } from '../request-validator.js';
import {
  CLIENT_REQUEST_TOKEN_RULES,
  CODE_BLOCK_MAX_LENGTH,
  DESCRIPTION_RULES,
  SESSION_ID_RULES,
} from './common-rules.js';
import type { AthenaOperation } from './operation.js';

/**
 * Starts a calculation in an IDLE session, which is BUSY until the calculation completes
 * (after the configured queued and running times). Any other state -> InvalidRequestException.
 */
export const startCalculationExecutionOperation: AthenaOperation = {
  name: 'StartCalculationExecution',
  handle(input, { store }) {
    const validator = new RequestValidator(input);
    const sessionId = validator.string('SessionId', SESSION_ID_RULES) as string;
    const description = validator.string('Description', DESCRIPTION_RULES);
    const codeBlock = validator.string('CodeBlock', { maxLength: CODE_BLOCK_MAX_LENGTH });
    const deprecatedConfiguration = validator.structure('CalculationConfiguration');
    const deprecatedCodeBlock = deprecatedConfiguration?.string('CodeBlock', {
      maxLength: CODE_BLOCK_MAX_LENGTH,
    });
    const clientRequestToken = validator.string('ClientRequestToken', CLIENT_REQUEST_TOKEN_RULES);
    const code = codeBlock ?? deprecatedCodeBlock;
    if (validator.isValid && code === undefined) {
      // GUESS: a calculation without code is rejected; AWS marks both members optional.
      validator.addProblem('CodeBlock', null, 'Member must not be null');
    }
    validator.throwIfInvalid();

    const calculation = store.startCalculation({
      sessionId,
      description,
      codeBlock: code as string,
      clientRequestToken,
    });
    return {
      CalculationExecutionId: calculation.calculationExecutionId,
      State: calculation.state,
    };
  },
};
