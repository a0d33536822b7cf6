import { type GraphQLObjectType, type GraphQLResolveInfo, getArgumentValues } from 'graphql';
import { isSparkEngine, type WORK_GROUP_STATES, type WorkGroupPage, type WorkGroupSummary } from '../athena/port.js';
import { allowsWorkGroup, type Viewer } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_WORK_GROUP_CURSOR_LENGTH } from '../security/limits.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { selectedFieldNames, selectedFields } from './selection.js';
import { EngineVersionObject } from './session-configuration.js';
import {
  resolveSessionConnection,
  SessionConnection,
  type SessionsArgs,
  validateSessionsArgs,
} from './session-connection.js';
import { SessionStateEnum } from './session-status.js';
import { validateIntRange, validateWorkGroup } from './validation.js';

export interface WorkGroupRef {
  readonly __typename: 'WorkGroup';
  readonly name: string;
  /** The ListWorkGroups row or GetWorkGroup answer that brought the work group here, when one did. */
  readonly summary?: WorkGroupSummary | undefined;
}

export const WorkGroupObject = builder.objectRef<WorkGroupRef>('WorkGroup');

/** Fields that only ListWorkGroups or GetWorkGroup can answer. */
const WORK_GROUP_DETAIL_FIELDS = new Set(['state', 'description', 'creationDateTime', 'engineVersion']);

/** What a caller sees of a listed work group: the Spark ones in its `workgroups` claim. */
export function isVisibleWorkGroup(viewer: Viewer, workGroup: WorkGroupSummary): boolean {
  return isSparkEngine(workGroup.engineVersion) && allowsWorkGroup(viewer, workGroup.name);
}

/** A caller whose claim names no work group sees none: no call can show it one. */
export function seesNoWorkGroup(viewer: Viewer): boolean {
  return viewer.workGroups !== '*' && viewer.workGroups.size === 0;
}

/**
 * A work group exists for this caller when it is in the caller's list and Athena knows it as a
 * Spark work group (a SQL work group has no sessions: it reads as null, like a missing one). With
 * a field only GetWorkGroup answers selected, GetWorkGroup is the check. Otherwise it is the first
 * ListSessions page, the very call `sessions` makes first, so asking for the work group and its
 * first page costs one call; only when that page is empty, which a new Spark work group's and a
 * SQL work group's both are, does GetWorkGroup tell them apart.
 */
export async function loadWorkGroupRef(
  context: GatewayContext,
  name: string,
  info: GraphQLResolveInfo,
): Promise<WorkGroupRef | null> {
  validateNestedSessionsArgs(context, name, info);
  if (!allowsWorkGroup(context.viewer, name)) return null;
  if ([...selectedFieldNames(info)].some((field) => WORK_GROUP_DETAIL_FIELDS.has(field)))
    return loadSparkWorkGroup(context, name);
  const page = await context.loaders.loadPage({ workGroup: name, state: undefined, pageToken: undefined });
  if (page === null) return null;
  return page.sessions.length > 0 ? { __typename: 'WorkGroup', name } : loadSparkWorkGroup(context, name);
}

async function loadSparkWorkGroup(context: GatewayContext, name: string): Promise<WorkGroupRef | null> {
  const summary = await context.loaders.loadWorkGroup(name);
  return summary === null || !isSparkEngine(summary.engineVersion) ? null : { __typename: 'WorkGroup', name, summary };
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

/** The list row, else GetWorkGroup (once per work group per request). */
async function summaryOf(workGroup: WorkGroupRef, context: GatewayContext): Promise<WorkGroupSummary | null> {
  return workGroup.summary ?? context.loaders.loadWorkGroup(workGroup.name);
}

const WorkGroupStateEnum = builder.enumType('WorkGroupState', {
  description: 'Whether a work group accepts new work.',
  values: {
    ENABLED: { value: 'ENABLED', description: 'The work group accepts new sessions and queries.' },
    DISABLED: { value: 'DISABLED', description: 'The work group accepts no new work.' },
  } satisfies Record<(typeof WORK_GROUP_STATES)[number], { value: string; description: string }>,
});

builder.node(WorkGroupObject, {
  description: 'An Athena work group with Apache Spark enabled: the home of sessions.',
  id: { resolve: (workGroup) => workGroup.name },
  isTypeOf: (value) => (value as { __typename?: unknown }).__typename === 'WorkGroup',
  fields: (t) => ({
    name: t.exposeString('name', { nullable: false, description: 'The work group name.' }),
    state: t.field({
      type: WorkGroupStateEnum,
      description: 'ENABLED or DISABLED (from the ListWorkGroups row, else GetWorkGroup).',
      resolve: async (workGroup, _args, context) => (await summaryOf(workGroup, context))?.state,
    }),
    description: t.string({
      description: 'The work group description (from the ListWorkGroups row, else GetWorkGroup).',
      resolve: async (workGroup, _args, context) => (await summaryOf(workGroup, context))?.description,
    }),
    creationDateTime: t.field({
      type: 'DateTime',
      description: 'When the work group was created (from the ListWorkGroups row, else GetWorkGroup).',
      resolve: async (workGroup, _args, context) => (await summaryOf(workGroup, context))?.creationTime,
    }),
    engineVersion: t.field({
      type: EngineVersionObject,
      description:
        'The engine version of the work group: `PySpark engine version 3` or `Apache Spark version 3.5` (from the ListWorkGroups row, else GetWorkGroup).',
      resolve: async (workGroup, _args, context) => (await summaryOf(workGroup, context))?.engineVersion,
    }),
    sessions: t.field({
      type: SessionConnection,
      nullable: false,
      description: `Sessions of this work group, newest first; the same connection as \`Query.sessions\`.`,
      args: {
        state: t.arg({
          type: SessionStateEnum,
          description: 'Only sessions in this state (active sessions by default).',
        }),
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
    description:
      'A Spark work group by name; null when it does not exist, is not yours to see, or runs a SQL engine (no sessions there).',
    args: {
      name: t.arg.string({ required: true, description: 'The work group name, matching [a-zA-Z0-9._-]{1,128}.' }),
    },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      return loadWorkGroupRef(context, validateWorkGroup(args.name, 'name'), info);
    },
  }),
);

// workGroups: a Relay connection over ListWorkGroups' NextToken paging, like `sessions` over
// ListSessions, keeping only the rows the caller may see (Spark engines, its `workgroups` claim).

export const WorkGroupConnection = builder.connectionObject(
  {
    type: WorkGroupObject,
    name: 'WorkGroupConnection',
    description: 'A page of Spark work groups, in the order Athena lists them.',
  },
  { name: 'WorkGroupEdge' },
);

interface WorkGroupPosition {
  /** The NextToken that fetched the upstream page; undefined for the first page. */
  pageToken: string | undefined;
  /** Index of the edge in that page; -1 means "before the page's first row". */
  index: number;
  /** The work group at that index, so a resume lands right when work groups were created meanwhile. */
  name: string | undefined;
}

const WORK_GROUP_CURSOR = 'wg1';

function encodeWorkGroupCursor(context: GatewayContext, position: WorkGroupPosition): string {
  return context.cursors.seal(WORK_GROUP_CURSOR, [position.pageToken ?? '', position.index, position.name ?? '']);
}

function decodeWorkGroupCursor(context: GatewayContext, cursor: string): WorkGroupPosition {
  const fields = context.cursors.open(WORK_GROUP_CURSOR, cursor, MAX_WORK_GROUP_CURSOR_LENGTH);
  const [pageToken, index, name] = fields ?? [];
  if (
    fields?.length !== 3 ||
    typeof pageToken !== 'string' ||
    typeof name !== 'string' ||
    typeof index !== 'number' ||
    !Number.isInteger(index) ||
    index < -1
  ) {
    throw new BadUserInputError('The cursor is invalid: use a cursor from this connection, unchanged.', 'after');
  }
  return { pageToken: pageToken === '' ? undefined : pageToken, index, name: name === '' ? undefined : name };
}

interface WorkGroupConnectionResult {
  edges: { cursor: string; node: WorkGroupRef }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Fills the page from as many upstream pages as it takes: rows the caller may not see (SQL work
 * groups, work groups outside its claim) take no place in it. Athena's quota of work groups per
 * account (1,000 by default) bounds that walk to 20 calls.
 */
async function resolveWorkGroupConnection(
  context: GatewayContext,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Promise<WorkGroupConnectionResult> {
  requireScope(context, 'sessions:read');
  const first = validateIntRange(args.first, 'first', 0, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const start: WorkGroupPosition =
    args.after === null || args.after === undefined
      ? { pageToken: undefined, index: -1, name: undefined }
      : decodeWorkGroupCursor(context, args.after);

  const edges: WorkGroupConnectionResult['edges'] = [];
  if (seesNoWorkGroup(context.viewer))
    return { edges, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
  const visible = (row: WorkGroupSummary) => isVisibleWorkGroup(context.viewer, row);
  let pageToken = start.pageToken;
  let page: WorkGroupPage = await context.loaders.loadWorkGroupPage(pageToken);
  let index = resumeIndex(page.workGroups, start) + 1;
  for (;;) {
    for (; index < page.workGroups.length && edges.length < first; index += 1) {
      const row = page.workGroups[index]!;
      if (!visible(row)) continue;
      // The last row of an upstream page points at the next page, so resuming there costs one call, not two.
      const position: WorkGroupPosition =
        index === page.workGroups.length - 1 && page.nextToken !== undefined
          ? { pageToken: page.nextToken, index: -1, name: undefined }
          : { pageToken, index, name: row.name };
      edges.push({
        cursor: encodeWorkGroupCursor(context, position),
        node: { __typename: 'WorkGroup', name: row.name, summary: row },
      });
    }
    const moreInPage = page.workGroups.slice(index).some(visible);
    if (edges.length >= first || page.nextToken === undefined) {
      return {
        edges,
        pageInfo: {
          hasNextPage: moreInPage || page.nextToken !== undefined,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    }
    pageToken = page.nextToken;
    page = await context.loaders.loadWorkGroupPage(pageToken);
    index = 0;
  }
}

function resumeIndex(rows: readonly WorkGroupSummary[], position: WorkGroupPosition): number {
  if (position.name !== undefined) {
    const found = rows.findIndex((row) => row.name === position.name);
    if (found >= 0) return found;
  }
  return position.index;
}

builder.queryField('workGroups', (t) =>
  t.field({
    type: WorkGroupConnection,
    nullable: false,
    description:
      'The Spark-enabled work groups you may see, in the order Athena lists them (SQL work groups are left out). ' +
      `Pages hold \`first\` work groups (0 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}); follow \`pageInfo.endCursor\` with \`after\` while \`hasNextPage\`.`,
    args: {
      first: t.arg.int({ description: `How many work groups, 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
      after: t.arg.string({ description: 'A cursor from this connection: the page starts after it.' }),
    },
    resolve: (_root, args, context) => resolveWorkGroupConnection(context, args),
  }),
);
