import { numberMember, stringMember, validateRequest } from '../request-validator.js';
import { toWireWorkGroupSummary } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

/** GUESS: AWS does not document the default page size; this uses the maximum (50). */
export const DEFAULT_LIST_WORK_GROUPS_MAX_RESULTS = 50;

/**
 * Every work group, SQL and Spark, ENABLED and DISABLED, as AWS lists them. GUESS: the order
 * (by name); the NextToken is the last name returned, so a walk never skips or repeats one.
 */
export const listWorkGroupsOperation: AthenaOperation = {
  handle(input, { store, nextTokens }) {
    validateRequest('ListWorkGroups', input);
    const nextToken = stringMember(input, 'NextToken');
    const after = nextToken === undefined ? undefined : nextTokens.decodeWorkGroupPosition(nextToken);
    const page = store.listWorkGroupsPage(
      after,
      numberMember(input, 'MaxResults') ?? DEFAULT_LIST_WORK_GROUPS_MAX_RESULTS,
    );
    const last = page.workGroups[page.workGroups.length - 1];
    return {
      WorkGroups: page.workGroups.map(toWireWorkGroupSummary),
      NextToken: page.hasMore && last ? nextTokens.encodeWorkGroupPosition(last.name) : undefined,
    };
  },
};
