// A calculation: code run in a (PySpark engine version 3) session. The type, its entry points
// (`calculation`, `node`, `_entities`) and the choice of the cheapest upstream call per selection:
// status and statistics alone are one GetCalculationExecutionStatus; the session, description or
// result one GetCalculationExecution; `code` one GetCalculationExecutionCode, only when selected.
import type { GraphQLResolveInfo } from 'graphql';
import type { Calculation, CalculationStatistics, CalculationStatus, CalculationSummary } from '../athena/port.js';
import { allowsWorkGroup, isRestricted } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { builder } from './builder.js';
import { CalculationResultObject, CalculationStatisticsObject, CalculationStatusObject } from './calculation-status.js';
import { requireScope } from './scope.js';
import { selectedFieldNames } from './selection.js';
import { SessionObject } from './session.js';
import { loadSessionRef, selectsSessionDetails } from './session-ref.js';
import { validateCalculationId } from './validation.js';

/**
 * What the gateway knows about a calculation at a point of an operation, filled from whichever
 * upstream answer brought it here; fields fetch what is missing (once per request).
 */
export interface CalculationRef {
  readonly __typename: 'Calculation';
  readonly calculationId: string;
  /** Missing only when the entry point needed nothing but the code. */
  readonly status?: CalculationStatus | undefined;
  /** The session it runs in, when the answer that brought it here said so. */
  readonly sessionId?: string | undefined;
  /** GetCalculationExecutionStatus's statistics, when that call brought it here. */
  readonly statistics?: { value: CalculationStatistics | undefined } | undefined;
  readonly summary?: CalculationSummary | undefined;
  readonly details?: Calculation | undefined;
  /** What startCalculation's input said. */
  readonly started?: { description?: string | undefined } | undefined;
}

export const refFromCalculation = (calculation: Calculation): CalculationRef => ({
  __typename: 'Calculation',
  calculationId: calculation.calculationExecutionId,
  status: calculation.status,
  sessionId: calculation.sessionId,
  details: calculation,
});

export const refFromCalculationSummary = (summary: CalculationSummary, sessionId: string): CalculationRef => ({
  __typename: 'Calculation',
  calculationId: summary.calculationExecutionId,
  status: summary.status,
  sessionId,
  summary,
});

/** Fields that GetCalculationExecutionStatus cannot answer. */
const DETAIL_FIELDS = new Set(['session', 'description', 'result']);
/** Fields any entry point answers without a call of its own: the id is the key. */
const KEY_FIELDS = new Set(['id', 'calculationId', '__typename']);

export interface CalculationSelection {
  /** Needs GetCalculationExecution. */
  details: boolean;
  /** Selects nothing but the key and `code`: the code call alone tells whether it exists. */
  codeOnly: boolean;
}

export function calculationSelection(info: GraphQLResolveInfo): CalculationSelection {
  const names = selectedFieldNames(info);
  let details = false;
  let codeOnly = names.has('code');
  for (const name of names) {
    if (DETAIL_FIELDS.has(name)) details = true;
    if (name !== 'code' && !KEY_FIELDS.has(name)) codeOnly = false;
  }
  return { details, codeOnly };
}

/**
 * Loads a calculation for an entry point with the cheapest call that answers the selection. A
 * caller limited to some work groups must have the calculation's session checked first: that
 * takes GetCalculationExecution (the only answer that names the session) and the session's work
 * group (from the cache of immutable fields, else one GetSession). A calculation the caller may not
 * see is null, exactly like a missing one.
 */
export async function loadCalculationRef(
  context: GatewayContext,
  calculationId: string,
  selection: CalculationSelection,
): Promise<CalculationRef | null> {
  if (selection.details || isRestricted(context.viewer)) {
    const calculation = await context.loaders.loadCalculation(calculationId);
    if (calculation === null) return null;
    if (isRestricted(context.viewer) && !(await sessionIsVisible(context, calculation.sessionId))) return null;
    return refFromCalculation(calculation);
  }
  if (selection.codeOnly) {
    const code = await context.loaders.loadCalculationCode(calculationId);
    return code === null ? null : { __typename: 'Calculation', calculationId };
  }
  const result = await context.loaders.loadCalculationStatus(calculationId);
  return (
    result && {
      __typename: 'Calculation',
      calculationId,
      status: result.status,
      statistics: { value: result.statistics },
    }
  );
}

/** Whether the caller may see a session, by its work group; a session that is gone is not visible. */
export async function sessionIsVisible(context: GatewayContext, sessionId: string | undefined): Promise<boolean> {
  if (!isRestricted(context.viewer)) return true;
  if (sessionId === undefined) return false;
  const fields = await context.loaders.loadImmutableFields(sessionId);
  return fields !== null && allowsWorkGroup(context.viewer, fields.workGroup);
}

async function detailsOf(calculation: CalculationRef, context: GatewayContext): Promise<Calculation | null> {
  return calculation.details ?? context.loaders.loadCalculation(calculation.calculationId);
}

export const CalculationObject = builder.objectRef<CalculationRef>('Calculation');

builder.node(CalculationObject, {
  description:
    'A calculation: a block of code run in a session (PySpark engine version 3; Spark 3.5 sessions run code through ' +
    'Spark Connect instead, see `Session.endpoint`).',
  id: { resolve: (calculation) => calculation.calculationId },
  isTypeOf: (value) => (value as { __typename?: unknown }).__typename === 'Calculation',
  fields: (t) => ({
    calculationId: t.exposeString('calculationId', { nullable: false, description: 'The calculation execution UUID.' }),
    session: t.field({
      type: SessionObject,
      description: 'The session the calculation runs in (from GetCalculationExecution unless already known).',
      resolve: async (calculation, _args, context, info) => {
        const sessionId = calculation.sessionId ?? (await detailsOf(calculation, context))?.sessionId;
        return sessionId === undefined ? null : loadSessionRef(context, sessionId, selectsSessionDetails(info));
      },
    }),
    description: t.string({
      description: 'The description of the calculation.',
      resolve: async (calculation, _args, context) => {
        if (calculation.summary) return calculation.summary.description;
        if (calculation.started) return calculation.started.description;
        return (await detailsOf(calculation, context))?.description;
      },
    }),
    status: t.field({
      type: CalculationStatusObject,
      nullable: false,
      description: 'The status of the calculation.',
      resolve: async (calculation, _args, context) => {
        if (calculation.status) return calculation.status;
        const result = await context.loaders.loadCalculationStatus(calculation.calculationId);
        if (result === null) throw new NotFoundError(`Calculation ${calculation.calculationId} no longer exists.`);
        return result.status;
      },
    }),
    statistics: t.field({
      type: CalculationStatisticsObject,
      description:
        'DPU time and progress (from GetCalculationExecutionStatus, or GetCalculationExecution when the request asks for that anyway).',
      resolve: async (calculation, _args, context) => {
        if (calculation.details) return calculation.details.statistics;
        if (calculation.statistics) return calculation.statistics.value;
        return (await context.loaders.loadCalculationStatus(calculation.calculationId))?.statistics;
      },
    }),
    result: t.field({
      type: CalculationResultObject,
      description: 'Where the output of the calculation is stored (from GetCalculationExecution).',
      resolve: async (calculation, _args, context) => (await detailsOf(calculation, context))?.result,
    }),
    code: t.string({
      description: 'The code the calculation runs (from GetCalculationExecutionCode, fetched only when selected).',
      resolve: (calculation, _args, context) => context.loaders.loadCalculationCode(calculation.calculationId),
    }),
  }),
});

builder.queryField('calculation', (t) =>
  t.field({
    type: CalculationObject,
    description:
      'One calculation by its id; null, with no error, when there is no such calculation (or it is not yours to see).',
    args: {
      calculationId: t.arg.string({
        required: true,
        description: 'The calculation execution id (1 to 36 characters).',
      }),
    },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      return loadCalculationRef(context, validateCalculationId(args.calculationId), calculationSelection(info));
    },
  }),
);
