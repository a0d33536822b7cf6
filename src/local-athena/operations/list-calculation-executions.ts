import { numberMember, stringMember, validateRequest } from '../request-validator.js';
import type { CalculationState } from '../session-model.js';
import { toWireCalculationSummary } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

/** GUESS: AWS does not document the default page size; this uses the maximum. */
export const DEFAULT_LIST_CALCULATIONS_MAX_RESULTS = 100;

/** Newest first; the NextToken is a keyset position bound to the session and StateFilter. */
export const listCalculationExecutionsOperation: AthenaOperation = {
  handle(input, { store, nextTokens }) {
    validateRequest('ListCalculationExecutions', input);
    const sessionId = stringMember(input, 'SessionId') as string;
    const stateFilter = stringMember(input, 'StateFilter') as CalculationState | undefined;
    const nextToken = stringMember(input, 'NextToken');
    const scope = { sessionId, stateFilter };
    const after = nextToken ? nextTokens.decodeCalculationPosition(nextToken, scope) : undefined;
    const page = store.listCalculationsPage({
      sessionId,
      stateFilter,
      after,
      limit: numberMember(input, 'MaxResults') ?? DEFAULT_LIST_CALCULATIONS_MAX_RESULTS,
    });
    return {
      Calculations: page.calculations.map(toWireCalculationSummary),
      NextToken: page.nextPosition ? nextTokens.encodeCalculationPosition(scope, page.nextPosition) : undefined,
    };
  },
};
