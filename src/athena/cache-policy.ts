// What may be cached across requests and what each write makes stale, in one table that both
// the in-process caching port (src/athena/caching-port.ts) and the fleet port
// (src/fleet/fleet-port.ts) read. The ports only decide how they store (an LRU in memory, or Redis
// with generations); which cache a read goes to, its key, what else its answer answers, what never
// changes and what a write makes stale are decided here.
//
// A scope names something a write can make stale. Every cached answer (and every call in flight)
// depends on the scopes of its read rule; a write drops every answer that depends on one of the
// scopes it returns. A "whole" scope (every list page, every calculation's state) lets a write
// that does not know which work group or which calculations it touches make them all stale.
import type {
  AthenaOperation,
  Calculation,
  CalculationPage,
  CalculationStatusResult,
  ListCalculationsInput,
  ListSessionsInput,
  ListWorkGroupsInput,
  SessionDetails,
  SessionPage,
  SessionStatusResult,
  StartCalculationInput,
  StartCalculationResult,
  StartSessionInput,
  WorkGroupPage,
  WorkGroupSummary,
} from './port.js';
import { immutableFieldsOf } from './session-fields.js';

export type CacheName =
  | 'details'
  | 'status'
  | 'list'
  | 'immutable'
  | 'calculation-details'
  | 'calculation-status'
  | 'calculation-list'
  | 'calculation-code'
  | 'workGroups';

/**
 * What a port learns from an answer and keeps for long, because it never changes: a session's
 * immutable fields (served to clients, and they tell the session's work group) and which session a
 * calculation belongs to (never served; it tells what a stop makes stale).
 */
export type FactName = 'immutable' | 'calculation-session';

/**
 * Whether a port keeps a fact. CACHE_TTL_MS=0 turns off everything served from memory, immutable
 * fields included; a fact that is never served stays, so that a write still makes stale what it
 * changes (a stop, the status of its calculation's session).
 */
export function keepsFact(fact: FactName, ttlMs: number): boolean {
  return ttlMs > 0 || fact === 'calculation-session';
}

export const scope = {
  session: (sessionId: string) => `s:${sessionId}`,
  workGroupPages: (workGroup: string) => `wg:${workGroup}`,
  allSessionPages: 'lists',
  calculation: (calculationExecutionId: string) => `c:${calculationExecutionId}`,
  /** Every calculation's status and details: a calculation read does not know its session before its call. */
  allCalculationStates: 'calculations',
  calculationPages: (sessionId: string) => `cl:${sessionId}`,
  allCalculationPages: 'calculation-lists',
} as const;

export interface Fact {
  name: FactName;
  key: string;
  value: unknown;
}

/**
 * Another read this answer answers too (a GetSession answers GetSessionStatus). It must depend on
 * the same scopes as the read: the fleet files it under the read's own generations.
 */
export interface AlsoAnswer {
  rule: ReadRule<never, unknown>;
  input: unknown;
  value: unknown;
}

export interface ReadRule<Input, Value> {
  operation: AthenaOperation;
  cache: CacheName;
  key: (input: Input) => string;
  /** What the answer depends on; none: no write of the gateway changes it, it only ages out. */
  scopes: (input: Input) => readonly string[];
  /** It never changes: kept for long (still not at all when CACHE_TTL_MS is 0), and no write drops it. */
  immutable?: true;
  alsoAnswers?: (value: Value, input: Input) => readonly AlsoAnswer[];
  learns?: (value: Value, input: Input) => readonly Fact[];
}

function also<Input, Value>(rule: ReadRule<Input, Value>, input: Input, value: Value): AlsoAnswer {
  return { rule: rule as ReadRule<never, unknown>, input, value };
}

const byId = (sessionId: string) => sessionId;
/** A list page: whose list it is, and every input that changes the page. */
const pageKey = (
  list: string,
  input: { stateFilter?: string | undefined; maxResults?: number | undefined; nextToken?: string | undefined },
) => JSON.stringify([list, input.stateFilter ?? '', input.maxResults ?? '', input.nextToken ?? '']);
const sessionScopes = (sessionId: string) => [scope.session(sessionId)];
const calculationScopes = (calculationExecutionId: string) => [
  scope.calculation(calculationExecutionId),
  scope.allCalculationStates,
];

const getSessionStatus: ReadRule<string, SessionStatusResult> = {
  operation: 'GetSessionStatus',
  cache: 'status',
  key: byId,
  scopes: sessionScopes,
};

const getCalculationExecutionStatus: ReadRule<string, CalculationStatusResult> = {
  operation: 'GetCalculationExecutionStatus',
  cache: 'calculation-status',
  key: byId,
  scopes: calculationScopes,
};

/** Every cached read. GetSessionEndpoint is absent on purpose: its answer carries a token for its caller only. */
export const READS = {
  getSessionStatus,
  getSession: {
    operation: 'GetSession',
    cache: 'details',
    key: byId,
    scopes: sessionScopes,
    alsoAnswers: (details, sessionId) => [
      also(getSessionStatus, sessionId, { sessionId, status: details.status } satisfies SessionStatusResult),
    ],
    learns: (details, sessionId) => [{ name: 'immutable', key: sessionId, value: immutableFieldsOf(details) }],
  } satisfies ReadRule<string, SessionDetails>,
  listSessions: {
    operation: 'ListSessions',
    cache: 'list',
    key: (input) => pageKey(input.workGroup, input),
    scopes: (input) => [scope.workGroupPages(input.workGroup), scope.allSessionPages],
  } satisfies ReadRule<ListSessionsInput, SessionPage>,
  getCalculationExecutionStatus,
  getCalculationExecution: {
    operation: 'GetCalculationExecution',
    cache: 'calculation-details',
    key: byId,
    scopes: calculationScopes,
    alsoAnswers: ({ status, statistics }, calculationExecutionId) => [
      also(getCalculationExecutionStatus, calculationExecutionId, {
        calculationExecutionId,
        status,
        statistics,
      } satisfies CalculationStatusResult),
    ],
    learns: (calculation, calculationExecutionId) =>
      calculation.sessionId === undefined
        ? []
        : [{ name: 'calculation-session', key: calculationExecutionId, value: calculation.sessionId }],
  } satisfies ReadRule<string, Calculation>,
  getCalculationExecutionCode: {
    operation: 'GetCalculationExecutionCode',
    cache: 'calculation-code',
    key: byId,
    scopes: () => [],
    immutable: true,
  } satisfies ReadRule<string, string>,
  listCalculationExecutions: {
    operation: 'ListCalculationExecutions',
    cache: 'calculation-list',
    key: (input) => pageKey(input.sessionId, input),
    scopes: (input) => [scope.calculationPages(input.sessionId), scope.allCalculationPages],
    learns: (page, input) =>
      page.calculations.map((calculation) => ({
        name: 'calculation-session' as const,
        key: calculation.calculationExecutionId,
        value: input.sessionId,
      })),
  } satisfies ReadRule<ListCalculationsInput, CalculationPage>,
  // A work group's state and description can change, but not through this gateway.
  listWorkGroups: {
    operation: 'ListWorkGroups',
    cache: 'workGroups',
    key: (input) => pageKey('work-groups', input),
    scopes: () => [],
  } satisfies ReadRule<ListWorkGroupsInput, WorkGroupPage>,
  getWorkGroup: {
    operation: 'GetWorkGroup',
    cache: 'workGroups',
    key: (name) => JSON.stringify(['get', name]),
    scopes: () => [],
  } satisfies ReadRule<string, WorkGroupSummary>,
};

/** What a port knows when a write is sent; each port finds out in its own store. */
export interface Known {
  /** The work group of the session the write changes. */
  workGroup?: string | undefined;
  /** The session of the calculation the write changes. */
  sessionId?: string | undefined;
  /** The calculations of that session, when the port can list them; else every calculation's state is stale. */
  calculations?: readonly string[] | undefined;
}

export interface WriteRule<Input, Result> {
  operation: AthenaOperation;
  /** The session whose work group and calculations `known` describes, when the input names it. */
  session?: (input: Input) => string;
  /** The calculation whose session `known` describes, when the input names it. */
  calculation?: (input: Input) => string;
  /**
   * Stale before the call is sent too, not only once it answered (or failed): nothing fetched
   * earlier is served while it is on its way, and nothing read while Athena processed it survives.
   */
  before: boolean;
  stale: (input: Input, known: Known) => readonly string[];
  learns?: (result: Result, input: Input) => readonly Fact[];
}

/** A session's state, its work group's pages (every work group's when unknown), its calculations' states and its calculation pages. */
function sessionChanged(sessionId: string, known: Known): string[] {
  return [
    scope.session(sessionId),
    known.workGroup === undefined ? scope.allSessionPages : scope.workGroupPages(known.workGroup),
    ...(known.calculations?.map(scope.calculation) ?? [scope.allCalculationStates]),
    scope.calculationPages(sessionId),
  ];
}

export const WRITES = {
  // A terminate stops the session's calculations too.
  terminateSession: {
    operation: 'TerminateSession',
    session: (sessionId) => sessionId,
    before: true,
    stale: sessionChanged,
  } satisfies WriteRule<string, unknown>,
  // The new session belongs in its work group's pages from now on.
  startSession: {
    operation: 'StartSession',
    before: false,
    stale: (input) => [scope.workGroupPages(input.workGroup)],
  } satisfies WriteRule<StartSessionInput, unknown>,
  // A calculation makes an idle session busy, and belongs in its session's list from now on.
  startCalculationExecution: {
    operation: 'StartCalculationExecution',
    session: (input) => input.sessionId,
    before: false,
    stale: (input, known) => sessionChanged(input.sessionId, known),
    learns: (started, input) => [
      { name: 'calculation-session', key: started.calculationExecutionId, value: input.sessionId },
    ],
  } satisfies WriteRule<StartCalculationInput, StartCalculationResult>,
  // A stop frees the session for the next calculation: its state changes too. When the session is
  // unknown, every session's calculation pages are stale.
  stopCalculationExecution: {
    operation: 'StopCalculationExecution',
    calculation: (calculationExecutionId) => calculationExecutionId,
    before: true,
    stale: (calculationExecutionId, known) => [
      scope.calculation(calculationExecutionId),
      ...(known.sessionId === undefined ? [scope.allCalculationPages] : sessionChanged(known.sessionId, known)),
    ],
  } satisfies WriteRule<string, unknown>,
};
