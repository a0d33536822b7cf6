// `allSessions`: one Relay connection, newest first by startDateTime, over the sessions of several
// work groups. Athena lists sessions one work group at a time (ListSessions, newest first), so this
// is a k-way merge of those lists: each work group is a lane with its own upstream position.
//
// A lane reads only what the page still needs (MaxResults = the rows still missing), and the rows
// it read but the page did not take are its buffer. The end cursor carries every lane's
// buffer (signed, within MAX_ALL_SESSIONS_CURSOR_LENGTH) and the NextToken after it, so the next
// page reads a work group only when its buffered rows ran out: with no cache at all, `first: 20`
// over 5 work groups costs at most 5 ListSessions for the first page and, per later page, one per
// work group whose buffer ran out. The buffered rows are served as they were read.
//
// Every other edge's cursor, and an end cursor whose buffers would not fit, keeps a lane's position
// instead of its rows (the upstream page by its NextToken and MaxResults, how far it was taken,
// the start time of its next row): resuming there reads that page again when its rows are due.
import type { SessionPage, SessionState, SessionSummary } from '../athena/port.js';
import { allowsWorkGroup } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_ALL_SESSIONS_CURSOR_LENGTH,
  MAX_MERGED_WORK_GROUPS,
  MAX_PAGE_SIZE,
  UPSTREAM_PAGE_SIZE,
} from '../security/limits.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { SessionConnection } from './session-connection.js';
import { refFromSummary, type SessionRef } from './session-ref.js';
import { SessionStateEnum } from './session-status.js';
import { validateIntRange, validateWorkGroup } from './validation.js';
import { isVisibleWorkGroup, seesNoWorkGroup } from './work-group.js';

/** Defined with every other limit in security/limits.ts; exported here too for the modules and tests that read it from its connection. */
export { MAX_MERGED_WORK_GROUPS };

const CURSOR_KIND = 'all2';
/** The sort key of a row without a start time: newest, as a session Athena is still starting. */
const NO_START_TIME = Number.MAX_SAFE_INTEGER;

/** Where one work group's list stands, between requests (in the cursor). */
interface LanePosition {
  workGroup: string;
  /** The NextToken that read the lane's current upstream page; undefined for its first page. */
  pageToken: string | undefined;
  /** The MaxResults of that read, so a read again gives the same rows. */
  pageSize: number;
  /** Rows of that page already taken. */
  taken: number;
  /** The session of the last row taken, so a read again lands right when new sessions shifted the page. */
  sessionId: string | undefined;
  /** The NextToken after the current page; undefined when it was the last (or is not read yet). */
  nextToken: string | undefined;
  /** The rows of the page not yet taken; undefined when the cursor holds only the position. */
  buffer: SessionSummary[] | undefined;
  /** The start time (ms) of the next row; null when it is not known without a call. */
  head: number | null;
  /** No rows left. */
  done: boolean;
}

type Lane = LanePosition;

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

type CompactRow = [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
];

const time = (date: Date | undefined) => date?.getTime() ?? null;
const date = (ms: unknown) => (typeof ms === 'number' ? new Date(ms) : undefined);
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** A list row as the cursor carries it: every member of a ListSessions row, in a fixed order. */
function compactRow(row: SessionSummary): CompactRow {
  return [
    row.sessionId,
    row.description ?? null,
    row.engineVersion?.selectedEngineVersion ?? null,
    row.engineVersion?.effectiveEngineVersion ?? null,
    row.notebookVersion ?? null,
    row.status.state,
    row.status.stateChangeReason ?? null,
    time(row.status.startDateTime),
    time(row.status.lastModifiedDateTime),
    time(row.status.endDateTime),
    time(row.status.idleSinceDateTime),
  ];
}

function expandRow(value: unknown): SessionSummary | undefined {
  if (!Array.isArray(value) || value.length !== 11) return undefined;
  const [sessionId, description, selected, effective, notebookVersion, state, reason, ...times] = value as unknown[];
  if (typeof sessionId !== 'string' || typeof state !== 'string') return undefined;
  if (!times.every((ms) => ms === null || (typeof ms === 'number' && Number.isSafeInteger(ms)))) return undefined;
  const [start, lastModified, end, idleSince] = times;
  return {
    sessionId,
    description: text(description),
    engineVersion:
      selected === null && effective === null
        ? undefined
        : { selectedEngineVersion: text(selected), effectiveEngineVersion: text(effective) },
    notebookVersion: text(notebookVersion),
    status: {
      state: state as SessionState,
      stateChangeReason: text(reason),
      startDateTime: date(start),
      lastModifiedDateTime: date(lastModified),
      endDateTime: date(end),
      idleSinceDateTime: date(idleSince),
    },
  };
}

const encodeLane = (lane: LanePosition, withBuffer: boolean) => [
  lane.workGroup,
  lane.pageToken ?? '',
  lane.pageSize,
  lane.taken,
  lane.sessionId ?? '',
  lane.nextToken ?? '',
  lane.head,
  withBuffer && lane.buffer !== undefined ? lane.buffer.map(compactRow) : null,
  lane.done ? 1 : 0,
];

/**
 * Signs the lanes' positions; with `withBuffers`, their buffered rows too, as many lanes' as fit
 * in MAX_ALL_SESSIONS_CURSOR_LENGTH (the largest buffers are left out first).
 */
function encodeCursor(
  context: GatewayContext,
  named: string[] | undefined,
  state: SessionState | undefined,
  lanes: readonly LanePosition[],
  withBuffers: boolean,
): string {
  const seal = (carried: ReadonlySet<LanePosition>) =>
    context.cursors.seal(CURSOR_KIND, [
      named ?? null,
      state ?? '',
      lanes.map((lane) => encodeLane(lane, carried.has(lane))),
    ]);
  const carried = new Set(withBuffers ? lanes.filter((lane) => (lane.buffer?.length ?? 0) > 0) : []);
  let cursor = seal(carried);
  while (cursor.length > MAX_ALL_SESSIONS_CURSOR_LENGTH && carried.size > 0) {
    let largest: LanePosition | undefined;
    for (const lane of carried)
      if (largest === undefined || lane.buffer!.length > largest.buffer!.length) largest = lane;
    carried.delete(largest!);
    cursor = seal(carried);
  }
  return cursor;
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
    if (!Array.isArray(lane) || lane.length !== 9) throw invalid();
    const [workGroup, pageToken, pageSize, taken, sessionId, nextToken, head, rows, done] = lane as unknown[];
    if (
      typeof workGroup !== 'string' ||
      typeof pageToken !== 'string' ||
      typeof sessionId !== 'string' ||
      typeof nextToken !== 'string'
    )
      throw invalid();
    if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > UPSTREAM_PAGE_SIZE)
      throw invalid();
    if (typeof taken !== 'number' || !Number.isInteger(taken) || taken < 0 || taken > pageSize) throw invalid();
    if (head !== null && !(typeof head === 'number' && Number.isSafeInteger(head))) throw invalid();
    if (done !== 0 && done !== 1) throw invalid();
    let buffer: SessionSummary[] | undefined;
    if (rows !== null) {
      if (!Array.isArray(rows) || rows.length > pageSize - taken) throw invalid();
      buffer = rows.map((row) => expandRow(row) ?? invalidRow(invalid));
    }
    return {
      workGroup,
      pageToken: pageToken === '' ? undefined : pageToken,
      pageSize,
      taken,
      sessionId: sessionId === '' ? undefined : sessionId,
      nextToken: nextToken === '' ? undefined : nextToken,
      buffer,
      head,
      done: done === 1,
    };
  });
}

const invalidRow = (invalid: () => BadUserInputError): never => {
  throw invalid();
};

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
    pageSize: UPSTREAM_PAGE_SIZE,
    taken: 0,
    sessionId: undefined,
    nextToken: undefined,
    buffer: undefined,
    head: null,
    done: false,
  }));
}

const startTimeOf = (row: SessionSummary): number => row.status.startDateTime?.getTime() ?? NO_START_TIME;

/** Reads the lane's next upstream page, `size` rows (what the page still needs). */
async function readNext(context: GatewayContext, lane: Lane, state: SessionState | undefined, size: number) {
  const pageToken = lane.nextToken;
  const page = await context.loaders.loadPage({ workGroup: lane.workGroup, state, pageToken, maxResults: size });
  Object.assign(lane, { pageToken, pageSize: size, taken: 0, sessionId: undefined });
  fill(lane, page, 0);
}

/** Reads the lane's current page again (its rows were left out of the cursor) and finds its place. */
async function readAgain(context: GatewayContext, lane: Lane, state: SessionState | undefined) {
  const page = await context.loaders.loadPage({
    workGroup: lane.workGroup,
    state,
    pageToken: lane.pageToken,
    maxResults: lane.pageSize,
  });
  let taken = lane.taken;
  if (page !== null && lane.sessionId !== undefined) {
    const found = page.sessions.findIndex((session) => session.sessionId === lane.sessionId);
    if (found >= 0) taken = found + 1;
  }
  lane.taken = taken;
  fill(lane, page, taken);
}

/** The page's rows from `from` on become the lane's buffer; a missing work group ends the lane. */
function fill(lane: Lane, page: SessionPage | null, from: number): void {
  if (page === null) {
    Object.assign(lane, { buffer: [], nextToken: undefined, head: null, done: true });
    return;
  }
  lane.buffer = page.sessions.slice(from);
  lane.nextToken = page.nextToken;
  settle(lane);
}

/** After a read or a take: the lane's head, or its wait for the next upstream page, or its end. */
function settle(lane: Lane): void {
  const next = lane.buffer?.[0];
  if (next !== undefined) lane.head = startTimeOf(next);
  else if (lane.nextToken !== undefined) lane.head = null;
  else Object.assign(lane, { head: null, done: true });
}

/** A lane whose next row is not known: it needs its next upstream page. */
const needsPage = (lane: Lane) => !lane.done && lane.head === null;

const snapshot = (lane: Lane): LanePosition => ({ ...lane });

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

  // `first: 0` reads one row per lane, so that hasNextPage is true only when rows exist.
  if (first === 0) await Promise.all(lanes.filter(needsPage).map((lane) => readNext(context, lane, state, 1)));
  const edges: Edge[] = [];
  while (edges.length < first) {
    // Lanes whose next row is unknown (first page, or buffered rows that ran out) are read
    // together, each for as many rows as the page still needs.
    const unknown = lanes.filter(needsPage);
    const size = first - edges.length;
    if (unknown.length > 0) await Promise.all(unknown.map((lane) => readNext(context, lane, state, size)));
    let newest: Lane | undefined;
    for (const lane of lanes) {
      // Ties go to the first lane in name order, so the merge is the same on every page and replica.
      if (!lane.done && lane.head !== null && (newest === undefined || lane.head > newest.head!)) newest = lane;
    }
    if (newest === undefined) break;
    if (newest.buffer === undefined) {
      // Its head came from a cursor without its rows: read its page again now that they are due.
      await readAgain(context, newest, state);
      continue;
    }
    const [row, ...rest] = newest.buffer as [SessionSummary, ...SessionSummary[]];
    Object.assign(newest, { buffer: rest, taken: newest.taken + 1, sessionId: row.sessionId });
    settle(newest);
    const positions = lanes.map(snapshot);
    const index = edges.length;
    let cursor: string | undefined;
    edges.push({
      // Encoded when read (a client that selects only pageInfo signs one cursor, not one per edge).
      // The last edge's cursor, which is the end cursor clients page on, carries the buffered rows;
      // the others only positions, so selecting every edge's cursor stays small.
      get cursor() {
        cursor ??= encodeCursor(context, named, state, positions, index === edges.length - 1);
        return cursor;
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
