// The `sessions` connection: a Relay connection laid over ListSessions' NextToken paging. The
// gateway always asks for full upstream pages (UPSTREAM_PAGE_SIZE), so a position inside a page is
// stable, and a GraphQL page may span several upstream pages.
import type { SessionState } from '../athena/port.js';
import { allowsWorkGroup } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../security/limits.js';
import { builder } from './builder.js';
import type { CursorPosition } from './cursors.js';
import { requireScope } from './scope.js';
import { SessionObject } from './session.js';
import { refFromSummary, type SessionRef } from './session-ref.js';
import { SessionStateEnum } from './session-status.js';
import { validateIntRange, validateWorkGroup } from './validation.js';

export const SessionConnection = builder.connectionObject(
  {
    type: SessionObject,
    name: 'SessionConnection',
    description: 'A page of sessions, newest first, as Athena lists them.',
  },
  { name: 'SessionEdge' },
);

interface ConnectionResult {
  edges: { cursor: string; node: SessionRef }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const EMPTY: ConnectionResult = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

export interface SessionsArgs {
  workGroup: string;
  state?: SessionState | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

export interface ValidSessionsArgs {
  workGroup: string;
  state: SessionState | undefined;
  first: number;
  start: CursorPosition;
}

/** Every argument rule of the connection; callers run it before their first upstream call. */
export function validateSessionsArgs(context: GatewayContext, args: SessionsArgs): ValidSessionsArgs {
  const workGroup = validateWorkGroup(args.workGroup);
  const state = args.state ?? undefined;
  const first = validateIntRange(args.first, 'first', 0, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const start: CursorPosition =
    args.after === null || args.after === undefined
      ? { workGroup, state, pageToken: undefined, index: -1, sessionId: undefined }
      : context.cursors.decode(args.after, { workGroup, state });
  return { workGroup, state, first, start };
}

export async function resolveSessionConnection(context: GatewayContext, args: SessionsArgs): Promise<ConnectionResult> {
  requireScope(context, 'sessions:read');
  const { workGroup, state, first, start } = validateSessionsArgs(context, args);
  // A work group outside the caller's list looks exactly like one that does not exist.
  if (!allowsWorkGroup(context.viewer, workGroup)) return EMPTY;

  const edges: ConnectionResult['edges'] = [];
  let pageToken = start.pageToken;
  let page = await context.loaders.loadPage({ workGroup, state, pageToken });
  if (page === null) return EMPTY;
  let index = resumeIndex(page.sessions, start) + 1;
  for (;;) {
    for (; index < page.sessions.length && edges.length < first; index += 1) {
      const summary = page.sessions[index]!;
      // The last row of an upstream page points at the next page, so resuming there costs one call, not two.
      const position: CursorPosition =
        index === page.sessions.length - 1 && page.nextToken !== undefined
          ? { workGroup, state, pageToken: page.nextToken, index: -1, sessionId: undefined }
          : { workGroup, state, pageToken, index, sessionId: summary.sessionId };
      edges.push({ cursor: context.cursors.encode(position), node: refFromSummary(summary, workGroup) });
    }
    const moreInPage = index < page.sessions.length;
    if (edges.length >= first || moreInPage || page.nextToken === undefined) {
      return connection(edges, moreInPage || page.nextToken !== undefined);
    }
    pageToken = page.nextToken;
    const next = await context.loaders.loadPage({ workGroup, state, pageToken });
    if (next === null) return connection(edges, false);
    page = next;
    index = 0;
  }
}

/**
 * Where to continue in a page: after the session the cursor names if it is still in the page
 * (sessions started meanwhile shift the first page), else after the remembered index.
 */
function resumeIndex(sessions: readonly { sessionId: string }[], position: CursorPosition): number {
  if (position.sessionId !== undefined) {
    const found = sessions.findIndex((session) => session.sessionId === position.sessionId);
    if (found >= 0) return found;
  }
  return position.index;
}

function connection(edges: ConnectionResult['edges'], hasNextPage: boolean): ConnectionResult {
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

builder.queryField('sessions', (t) =>
  t.field({
    type: SessionConnection,
    nullable: false,
    description:
      'Sessions of a work group, newest first, active ones unless `state` says otherwise. ' +
      `Pages hold \`first\` sessions (0 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}); follow \`pageInfo.endCursor\` with \`after\` while \`hasNextPage\`. ` +
      'A work group that does not exist gives an empty connection.',
    args: {
      workGroup: t.arg.string({ required: true, description: 'The work group, matching [a-zA-Z0-9._-]{1,128}.' }),
      state: t.arg({
        type: SessionStateEnum,
        description: 'Only sessions in this state (Athena lists active sessions by default).',
      }),
      first: t.arg.int({ description: `How many sessions, 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
      after: t.arg.string({
        description: 'A cursor from this connection (same workGroup and state): the page starts after it.',
      }),
    },
    resolve: (_root, args, context) => resolveSessionConnection(context, args),
  }),
);
