import { workGroupNotFound } from '../athena-error.js';
import { numberMember, stringMember, validateRequest } from '../request-validator.js';
import type { SessionState } from '../session-model.js';
import { toWireSessionSummary } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

/** GUESS: AWS does not document the default page size; this uses the maximum. */
export const DEFAULT_LIST_SESSIONS_MAX_RESULTS = 100;

export const listSessionsOperation: AthenaOperation = {
  handle(input, { store, nextTokens }) {
    validateRequest('ListSessions', input);
    const workGroup = stringMember(input, 'WorkGroup') as string;
    const stateFilter = stringMember(input, 'StateFilter') as SessionState | undefined;
    const maxResults = numberMember(input, 'MaxResults');
    const nextToken = stringMember(input, 'NextToken');

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
