import { getArgumentValues, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';
import { allowsWorkGroup } from '../auth/viewer.js';
import { builder } from './builder.js';
import { requireScope } from './session.js';
import { selectedFields } from './selection.js';
import { MAX_PAGE_SIZE, resolveSessionConnection, SessionConnection, validateSessionsArgs, type SessionsArgs } from './session-connection.js';
import { SessionStateEnum } from './session-status.js';
import { validateWorkGroup } from './validation.js';

export interface WorkGroupRef {
  readonly __typename: 'WorkGroup';
  readonly name: string;
}

export const WorkGroupObject = builder.objectRef<WorkGroupRef>('WorkGroup');

/**
 * A work group exists for this caller when it is in the caller's list and Athena lists it. The
 * check is the first ListSessions page, the very call `sessions` makes first, so asking for the
 * work group and its first page costs one call.
 */
export async function loadWorkGroupRef(context: GatewayContext, name: string, info: GraphQLResolveInfo): Promise<WorkGroupRef | null> {
  validateNestedSessionsArgs(context, name, info);
  if (!allowsWorkGroup(context.viewer, name)) return null;
  const page = await context.loaders.loadPage({ workGroup: name, state: undefined, pageToken: undefined });
  return page === null ? null : { __typename: 'WorkGroup', name };
}

/**
 * The existence check is an upstream call, so the arguments of the `sessions` fields below it
 * (a bad cursor, `first` out of range) are checked first: bad input never costs a call.
 */
function validateNestedSessionsArgs(context: GatewayContext, name: string, info: GraphQLResolveInfo): void {
  const sessionsField = (info.schema.getType('WorkGroup') as GraphQLObjectType).getFields().sessions!;
  for (const field of selectedFields(info)) {
    if (field.name.value !== 'sessions') continue;
    const args = getArgumentValues(sessionsField, field, info.variableValues) as Omit<SessionsArgs, 'workGroup'>;
    validateSessionsArgs(context, { ...args, workGroup: name });
  }
}

builder.node(WorkGroupObject, {
  description: 'An Athena work group with Apache Spark enabled: the home of sessions.',
  id: { resolve: (workGroup) => workGroup.name },
  isTypeOf: (value) => (value as { __typename?: unknown }).__typename === 'WorkGroup',
  fields: (t) => ({
    name: t.exposeString('name', { nullable: false, description: 'The work group name.' }),
    sessions: t.field({
      type: SessionConnection,
      nullable: false,
      description: `Sessions of this work group, newest first; the same connection as \`Query.sessions\`.`,
      args: {
        state: t.arg({ type: SessionStateEnum, description: 'Only sessions in this state (active sessions by default).' }),
        first: t.arg.int({ description: `How many sessions, 0 to ${MAX_PAGE_SIZE}.` }),
        after: t.arg.string({ description: 'A cursor from this connection: the page starts after it.' }),
      },
      resolve: (workGroup, args, context) => resolveSessionConnection(context, { ...args, workGroup: workGroup.name }),
    }),
  }),
});

builder.queryField('workGroup', (t) =>
  t.field({
    type: WorkGroupObject,
    description: 'A work group by name; null when it does not exist (or is not yours to see).',
    args: { name: t.arg.string({ required: true, description: 'The work group name, matching [a-zA-Z0-9._-]{1,128}.' }) },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      return loadWorkGroupRef(context, validateWorkGroup(args.name, 'name'), info);
    },
  }),
);
