// `Session.calculations`: a Relay connection over ListCalculationExecutions (newest first), laid
// over its NextToken paging the way `sessions` is over ListSessions: full upstream pages, so a
// position inside a page is stable, and a GraphQL page may span upstream pages. Its cursors are
// the sessions' codec with a scope of their own (see calculationCursorScope).
import {
  BREAK,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLError,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { CalculationState } from '../athena/port.js';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../security/limits.js';
import { builder } from './builder.js';
import { CalculationObject, type CalculationRef, refFromCalculationSummary } from './calculation.js';
import { CalculationStateEnum } from './calculation-status.js';
import type { CursorPosition } from './cursors.js';
import { requireScope } from './scope.js';
import { SessionObject } from './session.js';
import { validateIntRange } from './validation.js';

export const CalculationConnection = builder.connectionObject(
  {
    type: CalculationObject,
    name: 'CalculationConnection',
    description: 'A page of calculations of one session, newest first, as Athena lists them.',
  },
  { name: 'CalculationEdge' },
);

interface ConnectionResult {
  edges: { cursor: string; node: CalculationRef }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * The codec binds a cursor to a work group and a state filter. A calculation cursor's "work group"
 * is this scope: it contains a space, which no work group name can, so a session cursor is never
 * taken for a calculation cursor, nor a cursor of one session's calculations for another's.
 */
const calculationCursorScope = (sessionId: string) => `calculations of ${sessionId}`;

interface CalculationPosition {
  pageToken: string | undefined;
  index: number;
  calculationId: string | undefined;
}

function encodeCursor(
  context: GatewayContext,
  sessionId: string,
  state: CalculationState | undefined,
  position: CalculationPosition,
): string {
  return context.cursors.encode({
    workGroup: calculationCursorScope(sessionId),
    // The codec compares the state filter as a string; calculation states are strings too.
    state: state as CursorPosition['state'],
    pageToken: position.pageToken,
    index: position.index,
    sessionId: position.calculationId,
  });
}

function decodeCursor(
  context: GatewayContext,
  sessionId: string,
  state: CalculationState | undefined,
  cursor: string,
): CalculationPosition {
  try {
    const position = context.cursors.decode(cursor, {
      workGroup: calculationCursorScope(sessionId),
      state: state as CursorPosition['state'],
    });
    return { pageToken: position.pageToken, index: position.index, calculationId: position.sessionId };
  } catch (error) {
    if (!(error instanceof BadUserInputError)) throw error;
    throw invalidCursor();
  }
}

const invalidCursor = () =>
  new BadUserInputError(
    "The cursor is invalid: use a cursor from this session's calculations with the same state filter, unchanged.",
    'after',
  );

export interface CalculationsArgs {
  state?: CalculationState | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

const validateFirst = (first: number | null | undefined) =>
  validateIntRange(first, 'first', 0, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;

/**
 * `calculations` sits below a session, whose own upstream call runs first; so that a bad `first`
 * or `after` never costs that call, every `calculations` field of an operation has them checked
 * before the operation executes: `first` in range, and `after` a calculations cursor signed here
 * for the field's state filter and, under `session(sessionId:)`, for that session. (Under a
 * session reached another way, whether the cursor is this session's is checked by the field,
 * before its own call.)
 */
export function calculationsArgumentError(args: ExecutionArgs): GraphQLError | undefined {
  // Most operations select no `calculations` at all: they skip the walk with type information below.
  if (!selectsCalculations(args.document)) return undefined;
  const operation = getOperationAST(args.document, args.operationName);
  if (operation === null || operation === undefined) return undefined;
  const coerced = getVariableValues(
    args.schema,
    operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
  );
  // Bad variables are graphql-js's to report, in its own words.
  if (coerced.errors !== undefined) return undefined;
  const context = args.contextValue as GatewayContext | undefined;
  const typeInfo = new TypeInfo(args.schema);
  // The sessionId of each enclosing root `session` field (null for any other field), innermost last.
  const sessions: (string | null)[] = [];
  let error: GraphQLError | undefined;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const field = typeInfo.getFieldDef();
          const parent = typeInfo.getParentType()?.name;
          if (error !== undefined || field === null || field === undefined) {
            sessions.push(null);
            return;
          }
          const values = () => getArgumentValues(field, node, coerced.coerced);
          if (node.name.value === 'session' && parent === 'Query') {
            const { sessionId } = values() as { sessionId?: unknown };
            sessions.push(typeof sessionId === 'string' ? sessionId : null);
            return;
          }
          sessions.push(null);
          if (node.name.value !== 'calculations' || parent !== 'Session') return;
          try {
            const { first, after, state } = values() as CalculationsArgs;
            validateFirst(first);
            if (after !== null && after !== undefined && context?.cursors !== undefined) {
              checkCursor(context, after, state ?? undefined, sessions.at(-2) ?? null);
            }
          } catch (caught) {
            if (!(caught instanceof BadUserInputError)) throw caught;
            error = caught;
          }
        },
        leave() {
          sessions.pop();
        },
      },
    }),
  );
  return error;
}

/** What can be known of a calculations cursor before the session is: signed here, for calculations, with this state filter (and this session, when known). */
function checkCursor(
  context: GatewayContext,
  cursor: string,
  state: CalculationState | undefined,
  sessionId: string | null,
): void {
  if (sessionId !== null) {
    decodeCursor(context, sessionId, state, cursor);
    return;
  }
  const position = context.cursors.decodeAnyScope(cursor);
  if (
    position === undefined ||
    !position.workGroup.startsWith(calculationCursorScope('')) ||
    (position.state ?? '') !== (state ?? '')
  ) {
    throw invalidCursor();
  }
}

// Keyed by the parsed document, which yoga's parse cache hands out again for the same text; held
// weakly, so nothing outlives that cache's own bound.
const documentsSelectingCalculations = new WeakMap<DocumentNode, boolean>();

/** Whether any field of the document (fragments included) is named `calculations`: once per document. */
function selectsCalculations(document: DocumentNode): boolean {
  let known = documentsSelectingCalculations.get(document);
  if (known === undefined) {
    known = false;
    visit(document, {
      Field(node) {
        if (node.name.value !== 'calculations') return undefined;
        known = true;
        return BREAK;
      },
    });
    documentsSelectingCalculations.set(document, known);
  }
  return known;
}

/** Runs calculationsArgumentError before execution: the operation answers BAD_USER_INPUT with no upstream call. */
export function useCalculationsArgumentCheck<Context extends Record<string, unknown>>(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = calculationsArgumentError(args);
      if (error !== undefined) setResultAndStopExecution({ errors: [error] });
    },
  };
}

export async function resolveCalculationConnection(
  context: GatewayContext,
  sessionId: string,
  args: CalculationsArgs,
): Promise<ConnectionResult> {
  requireScope(context, 'sessions:read');
  const state = args.state ?? undefined;
  const first = validateFirst(args.first);
  const start: CalculationPosition =
    args.after === null || args.after === undefined
      ? { pageToken: undefined, index: -1, calculationId: undefined }
      : decodeCursor(context, sessionId, state, args.after);

  const edges: ConnectionResult['edges'] = [];
  let pageToken = start.pageToken;
  let page = await context.loaders.loadCalculationPage({ sessionId, state, pageToken });
  // The session went away between its own call and this one: it has no calculations to show.
  if (page === null) return connection(edges, false);
  let index = resumeIndex(page.calculations, start) + 1;
  for (;;) {
    for (; index < page.calculations.length && edges.length < first; index += 1) {
      const summary = page.calculations[index]!;
      // The last row of an upstream page points at the next page, so resuming there costs one call, not two.
      const position: CalculationPosition =
        index === page.calculations.length - 1 && page.nextToken !== undefined
          ? { pageToken: page.nextToken, index: -1, calculationId: undefined }
          : { pageToken, index, calculationId: summary.calculationExecutionId };
      edges.push({
        cursor: encodeCursor(context, sessionId, state, position),
        node: refFromCalculationSummary(summary, sessionId),
      });
    }
    const moreInPage = index < page.calculations.length;
    if (edges.length >= first || moreInPage || page.nextToken === undefined) {
      return connection(edges, moreInPage || page.nextToken !== undefined);
    }
    pageToken = page.nextToken;
    const next = await context.loaders.loadCalculationPage({ sessionId, state, pageToken });
    if (next === null) return connection(edges, false);
    page = next;
    index = 0;
  }
}

/** After the calculation the cursor names if it is still in the page (new ones shift the first page), else after the index. */
function resumeIndex(
  calculations: readonly { calculationExecutionId: string }[],
  position: CalculationPosition,
): number {
  if (position.calculationId !== undefined) {
    const found = calculations.findIndex(
      (calculation) => calculation.calculationExecutionId === position.calculationId,
    );
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

builder.objectField(SessionObject, 'calculations', (t) =>
  t.field({
    type: CalculationConnection,
    nullable: false,
    description:
      'Calculations of this session, newest first (one ListCalculationExecutions per 100). ' +
      `Pages hold \`first\` calculations (0 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}); follow \`pageInfo.endCursor\` with \`after\` while \`hasNextPage\`.`,
    args: {
      state: t.arg({ type: CalculationStateEnum, description: 'Only calculations in this state.' }),
      first: t.arg.int({ description: `How many calculations, 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
      after: t.arg.string({
        description: "A cursor from this session's calculations (same state): the page starts after it.",
      }),
    },
    resolve: (session, args, context) => resolveCalculationConnection(context, session.sessionId, args),
  }),
);
