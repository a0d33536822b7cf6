import { workGroupNotFound } from '../athena-error.js';
import { RequestValidator } from '../request-validator.js';
import { SESSION_STATES } from '../session-model.js';
import { toWireSessionSummary } from '../wire-shapes.js';
import { WORK_GROUP_RULES } from './common-rules.js';
import type { AthenaOperation } from './operation.js';

/** GUESS: AWS does not document the default page size; this uses the maximum. */
export const DEFAULT_LIST_SESSIONS_MAX_RESULTS = 100;

export const listSessionsOperation: AthenaOperation = {
  name: 'ListSessions',
  handle(input, { store, nextTokens }) {
    const validator = new RequestValidator(input);
    const workGroup = validator.string('WorkGroup', WORK_GROUP_RULES) as string;
    const stateFilter = validator.enumValue('StateFilter', SESSION_STATES);
    const maxResults = validator.integer('MaxResults', { min: 1, max: 100 });
    const nextToken = validator.string('NextToken', { maxLength: 2048 });
    validator.throwIfInvalid();

    if (!store.hasWorkGroup(workGroup)) throw workGroupNotFound(workGroup);
    const scope = { workGroup, stateFilter };
    // An empty NextToken reads as "no token", as it does for AWS CLI-style callers.
    const after = nextToken ? nextTokens.decode(nextToken, scope) : undefined;
    const page = store.listSessionsPage({
      workGroup,
      stateFilter,
      after,
      limit: maxResults ?? DEFAULT_LIST_SESSIONS_MAX_RESULTS,
    });
    return {
      Sessions: page.sessions.map(toWireSessionSummary),
      NextToken: page.nextPosition ? nextTokens.encode(scope, page.nextPosition) : undefined,
    };
  },
};
