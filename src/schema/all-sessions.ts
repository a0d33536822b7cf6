// `allSessions`: one Relay connection, newest first by startDateTime, over the sessions of several
// work groups. Athena lists sessions one work group at a time (ListSessions, newest first), so this
// is a k-way merge of those lists: each work group is a lane with its own upstream position.
//
// The cursor is signed and holds every lane's position and the start time of its next row (its
// head), so a later page reads a work group only when its rows are due: a lane whose head is newer
// than every other lane's gets read (its upstream page again: from the list cache within
// CACHE_TTL_MS, else from Athena), a lane whose rows ran out at the end of an upstream page reads
// its next page to learn its head, and every other lane costs nothing. The first page reads one
// ListSessions per work group, at once.
import type { SessionState, SessionSummary } from '../athena/port.js';
import { allowsWorkGroup } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_ALL_SESSIONS_CURSOR_LENGTH,
  MAX_MERGED_WORK_GROUPS,
  MAX_PAGE_SIZE,
} from '../security/limits.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { SessionConnection } from './session-connection.js';
import { refFromSummary, type SessionRef } from './session-ref.js';
import { SessionStateEnum } from './session-status.js';
import { validateIntRange, validateWorkGroup } from './validation.js';
import { isVisibleWorkGroup, seesNoWorkGroup } from './work-group.js';

const CURSOR_KIND = 'all1';
/** The sort key of a row without a start time: newest, as a session Athena is still starting. */
const NO_START_TIME = Number.MAX_SAFE_INTEGER;

/** Where one work group's list stands, between requests (in the cursor). */
interface LanePosition {
  workGroup: string;
  /** The NextToken of the upstream page holding the next row; undefined for the first page. */
  pageToken: string | undefined;
  /** Index of the last row taken from that page; -1 when none was. */
  index: number;
  /** The session of that row, so a resume lands right when new sessions shifted the page. */
  sessionId: string | undefined;
  /** The start time (ms) of the next row; null when it is not known without a call. */
  head: number | null;
  /** No rows left. */
  done: boolean;
}

/** A lane within one request: its position, and its upstream page once read. */
interface Lane extends LanePosition {
  rows?: readonly SessionSummary[] | undefined;
  nextToken?: string | undefined;
}

interface AllSessionsArgs {
  workGroups?: readonly string[] | null | undefined;
  state?: SessionState | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

interface ValidArgs {
  /** Sorted and without repeats; undefined: every Spark work group the caller may see. */
  named: string[] | undefined;
  state: SessionState | undefined;
  first: number;
  /** The lanes the cursor carries; undefined on the first page. */
  lanes: LanePosition[] | undefined;
}

/** Every argument rule, checked before the first upstream call. */
function validateArgs(context: GatewayContext, args: AllSessionsArgs): ValidArgs {
  let named: string[] | undefined;
  if (args.workGroups !== null && args.workGroups !== undefined) {
    if (args.workGroups.length > MAX_MERGED_WORK_GROUPS) {
      throw new BadUserInputError(`workGroups takes at most ${MAX_MERGED_WORK_GROUPS} names.`, 'workGroups');
    }
    named = [...new Set(args.workGroups.map((name, i) => validateWorkGroup(name, `workGroups[${i}]`)))].sort();
  }
  const state = args.state ?? undefined;
  const first = validateIntRange(args.first, 'first', 0, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const lanes =
    args.after === null || args.after === undefined ? undefined : decodeCursor(context, args.after, named, state);
  return { named, state, first, lanes };
}

function encodeCursor(
  context: GatewayContext,
  named: string[] | undefined,
  state: SessionState | undefined,
  lanes: readonly LanePosition[],
): string {
  return context.cursors.seal(CURSOR_KIND, [
    named ?? null,
    state ?? '',
    lanes.map((lane) => [
      lane.workGroup,
      lane.pageToken ?? '',
      lane.index,
      lane.sessionId ?? '',
      lane.head,
      lane.done ? 1 : 0,
    ]),
  ]);
}

/** A cursor issued for exactly these arguments (the same names, or the default; the same state). */
function decodeCursor(
  context: GatewayContext,
  cursor: string,
  named: string[] | undefined,
  state: SessionState | undefined,
): LanePosition[] {
  const invalid = () =>
    new BadUserInputError('The cursor is invalid: use a cursor from this connection, unchanged.', 'after');
  const fields = context.cursors.open(CURSOR_KIND, cursor, MAX_ALL_SESSIONS_CURSOR_LENGTH);
  if (fields?.length !== 3) throw invalid();
  const [cursorNamed, cursorState, lanes] = fields;
  if (cursorNamed !== null && !(Array.isArray(cursorNamed) && cursorNamed.every((name) => typeof name === 'string')))
    throw invalid();
  if (typeof cursorState !== 'string' || !Array.isArray(lanes) || lanes.length > MAX_MERGED_WORK_GROUPS)
    throw invalid();
  if (JSON.stringify(cursorNamed) !== JSON.stringify(named ?? null) || cursorState !== (state ?? '')) {
    throw new BadUserInputError(
      'The cursor belongs to a different workGroups list or state filter than this query.',
      'after',
    );
  }
  return lanes.map((lane: unknown) => {
    if (!Array.isArray(lane) || lane.length !== 6) throw invalid();
    const [workGroup, pageToken, index, sessionId, head, done] = lane as unknown[];
    if (typeof workGroup !== 'string' || typeof pageToken !== 'string' || typeof sessionId !== 'string')
      throw invalid();
    if (typeof index !== 'number' || !Number.isInteger(index) || index < -1) throw invalid();
    if (head !== null && !(typeof head === 'number' && Number.isSafeInteger(head))) throw invalid();
    if (done !== 0 && done !== 1) throw invalid();
    return {
      workGroup,
      pageToken: pageToken === '' ? undefined : pageToken,
      index,
      sessionId: sessionId === '' ? undefined : sessionId,
      head,
      done: done === 1,
    };
  });
}

/** The work groups of a first page: the named ones, or every Spark work group the caller may see. */
async function firstLanes(context: GatewayContext, named: string[] | undefined): Promise<LanePosition[]> {
  let names = named;
  if (names === undefined) {
    names = [];
    if (seesNoWorkGroup(context.viewer)) return [];
    let pageToken: string | undefined;
    do {
      const page = await context.loaders.loadWorkGroupPage(pageToken);
      for (const row of page.workGroups) if (isVisibleWorkGroup(context.viewer, row)) names.push(row.name);
      pageToken = page.nextToken;
    } while (pageToken !== undefined);
    if (names.length > MAX_MERGED_WORK_GROUPS) {
      throw new BadUserInputError(
        `You may see ${names.length} Spark work groups, more than the ${MAX_MERGED_WORK_GROUPS} one page can merge: name at most ${MAX_MERGED_WORK_GROUPS} in workGroups.`,
        'workGroups',
      );
    }
    names.sort();
  }
  return names.map((workGroup) => ({
    workGroup,
    pageToken: undefined,
    index: -1,
    sessionId: undefined,
    head: null,
    done: false,
  }));
}

const startTimeOf = (row: SessionSummary): number => row.status.startDateTime?.getTime() ?? NO_START_TIME;

/** Reads the lane's upstream page and finds its place in it; a missing work group ends the lane. */
async function read(context: GatewayContext, lane: Lane, state: SessionState | undefined): Promise<void> {
  const page = await context.loaders.loadPage({ workGroup: lane.workGroup, state, pageToken: lane.pageToken });
  if (page === null) {
    Object.assign(lane, { head: null, done: true });
    return;
  }
  lane.rows = page.sessions;
  lane.nextToken = page.nextToken;
  if (lane.sessionId !== undefined) {
    const found = page.sessions.findIndex((session) => session.sessionId === lane.sessionId);
    if (found >= 0) lane.index = found;
  }
  settle(lane, page.sessions);
}

/** After a read or a take: the lane's head, or its move to the next upstream page, or its end. */
function settle(lane: Lane, rows: readonly SessionSummary[]): void {
  const next = rows[lane.index + 1];
  if (next !== undefined) {
    lane.head = startTimeOf(next);
  } else if (lane.nextToken !== undefined) {
    Object.assign(lane, {
      pageToken: lane.nextToken,
      index: -1,
      sessionId: undefined,
      head: null,
      rows: undefined,
      nextToken: undefined,
    });
  } else {
    Object.assign(lane, { head: null, done: true, rows: undefined });
  }
}

const positionOf = (lane: Lane): LanePosition => ({
  workGroup: lane.workGroup,
  pageToken: lane.pageToken,
  index: lane.index,
  sessionId: lane.sessionId,
  head: lane.head,
  done: lane.done,
});

interface Edge {
  readonly cursor: string;
  readonly node: SessionRef;
}

async function resolveAllSessions(context: GatewayContext, args: AllSessionsArgs) {
  requireScope(context, 'sessions:read');
  const { named, state, first, lanes: fromCursor } = validateArgs(context, args);
  // Checked on every page: a cursor carries no right to a work group the caller has lost (or
  // never had: a named work group outside the caller's list is left out, exactly like a missing one).
  const lanes: Lane[] = (fromCursor ?? (await firstLanes(context, named))).filter((lane) =>
    allowsWorkGroup(context.viewer, lane.workGroup),
  );

  // `first: 0` reads what a first page would, so that hasNextPage is true only when rows exist.
  if (first === 0)
    await Promise.all(
      lanes.filter((lane) => !lane.done && lane.head === null).map((lane) => read(context, lane, state)),
    );
  const edges: Edge[] = [];
  const cursorAt = (positions: LanePosition[]) => {
    // Encoded when read: a client that selects only pageInfo signs one cursor, not one per edge.
    let cursor: string | undefined;
    return () => (cursor ??= encodeCursor(context, named, state, positions));
  };
  while (edges.length < first) {
    // Lanes whose next row is unknown (first page, or rows that ran out) are read together.
    const unknown = lanes.filter((lane) => !lane.done && lane.head === null);
    if (unknown.length > 0) await Promise.all(unknown.map((lane) => read(context, lane, state)));
    let newest: Lane | undefined;
    for (const lane of lanes) {
      // Ties go to the first lane in name order, so the merge is the same on every page and replica.
      if (!lane.done && lane.head !== null && (newest === undefined || lane.head > newest.head!)) newest = lane;
    }
    if (newest === undefined) break;
    if (newest.rows === undefined) {
      // Its head came from the cursor: read its page now that its rows are due.
      await read(context, newest, state);
      continue;
    }
    const row = newest.rows[newest.index + 1]!;
    newest.index += 1;
    newest.sessionId = row.sessionId;
    settle(newest, newest.rows);
    const cursor = cursorAt(lanes.map(positionOf));
    edges.push({
      get cursor() {
        return cursor();
      },
      node: refFromSummary(row, newest.workGroup),
    });
  }
  const end = edges.at(-1);
  return {
    edges,
    pageInfo: {
      hasNextPage: lanes.some((lane) => !lane.done),
      hasPreviousPage: false,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return end?.cursor ?? null;
      },
    },
  };
}

builder.queryField('allSessions', (t) =>
  t.field({
    type: SessionConnection,
    nullable: false,
    description:
      'Sessions across work groups, newest first by start time: active ones unless `state` says otherwise. ' +
      `\`workGroups\` names at most ${MAX_MERGED_WORK_GROUPS}; without it, every Spark work group you may see (at most ${MAX_MERGED_WORK_GROUPS}). ` +
      'A named work group that does not exist or is not yours to see is left out, with no error. ' +
      `Pages hold \`first\` sessions (0 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}); follow \`pageInfo.endCursor\` with \`after\` while \`hasNextPage\`.`,
    args: {
      workGroups: t.arg.stringList({
        description: `Work group names (each matching [a-zA-Z0-9._-]{1,128}), at most ${MAX_MERGED_WORK_GROUPS}.`,
      }),
      state: t.arg({
        type: SessionStateEnum,
        description: 'Only sessions in this state (Athena lists active sessions by default).',
      }),
      first: t.arg.int({ description: `How many sessions, 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
      after: t.arg.string({
        description: 'A cursor from this connection (same workGroups and state): the page starts after it.',
      }),
    },
    resolve: (_root, args, context) => resolveAllSessions(context, args),
  }),
);
