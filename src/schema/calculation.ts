// A calculation: code run in a (PySpark engine version 3) session. The type, its entry points
// (`calculation`, `node`, `_entities`) and the choice of the cheapest upstream call per selection,
// read from the table in athena/calculation-fields.ts: status and statistics alone are one
// GetCalculationExecutionStatus; the session, description or result one GetCalculationExecution;
// `code` one GetCalculationExecutionCode, only when selected.
import type { GraphQLResolveInfo } from 'graphql';
import {
  CALCULATION_DETAIL_CALL_FIELDS,
  CALCULATION_FIELD_SOURCES,
  type CalculationField,
  detailFieldsOf,
  listRowFieldsOf,
  type StatusCallFields,
} from '../athena/calculation-fields.js';
import type { Calculation, CalculationSummary } from '../athena/port.js';
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
 * What the gateway knows about a calculation at a point of an operation: the fields of
 * GetCalculationExecution that the answer which brought it here carried (a list row, a status
 * call, the detail call, or startCalculation's input), each as a key even when its value is
 * undefined. A field missing here is fetched by calculationField (once per request).
 */
export interface CalculationRef {
  readonly __typename: 'Calculation';
  readonly calculationId: string;
  readonly known: Partial<Calculation>;
}

export const refFromCalculation = (calculation: Calculation): CalculationRef => ({
  __typename: 'Calculation',
  calculationId: calculation.calculationExecutionId,
  known: detailFieldsOf(calculation),
});

export const refFromCalculationSummary = (summary: CalculationSummary, sessionId: string): CalculationRef => ({
  __typename: 'Calculation',
  calculationId: summary.calculationExecutionId,
  known: listRowFieldsOf(summary, sessionId),
});

/** The calculation's schema fields that any entry point answers without a call of its own: the id is the key. */
const KEY_FIELDS = new Set(['id', '__typename', CALCULATION_FIELD_SOURCES.calculationExecutionId.schemaField]);

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
    if (CALCULATION_DETAIL_CALL_FIELDS.has(name)) details = true;
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
    return code === null ? null : { __typename: 'Calculation', calculationId, known: {} };
  }
  const result: StatusCallFields | null = await context.loaders.loadCalculationStatus(calculationId);
  return result && { __typename: 'Calculation', calculationId, known: result };
}

/** Whether the caller may see a session, by its work group; a session that is gone is not visible. */
export async function sessionIsVisible(context: GatewayContext, sessionId: string | undefined): Promise<boolean> {
  if (!isRestricted(context.viewer)) return true;
  if (sessionId === undefined) return false;
  const fields = await context.loaders.loadImmutableFields(sessionId);
  return fields !== null && allowsWorkGroup(context.viewer, fields.workGroup);
}

/**
 * A field of a calculation from the cheapest source the table allows: what the calculation came
 * with, else this request's GetCalculationExecutionStatus for a field that call answers (it reads a
 * GetCalculationExecution this request already asked for instead), else this request's
 * GetCalculationExecution. Undefined when the calculation no longer exists.
 */
export async function calculationField<Field extends CalculationField>(
  calculation: CalculationRef,
  context: GatewayContext,
  field: Field,
): Promise<Calculation[Field] | undefined> {
  if (Object.hasOwn(calculation.known, field)) return calculation.known[field];
  const loaded: Partial<Calculation> | null = CALCULATION_FIELD_SOURCES[field].statusCall
    ? await context.loaders.loadCalculationStatus(calculation.calculationId)
    : await context.loaders.loadCalculation(calculation.calculationId);
  return loaded?.[field];
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
        const sessionId = await calculationField(calculation, context, 'sessionId');
        return sessionId === undefined ? null : loadSessionRef(context, sessionId, selectsSessionDetails(info));
      },
    }),
    description: t.string({
      description: 'The description of the calculation.',
      resolve: (calculation, _args, context) => calculationField(calculation, context, 'description'),
    }),
    status: t.field({
      type: CalculationStatusObject,
      nullable: false,
      description: 'The status of the calculation.',
      resolve: async (calculation, _args, context) => {
        const status = await calculationField(calculation, context, 'status');
        if (status === undefined) throw new NotFoundError(`Calculation ${calculation.calculationId} no longer exists.`);
        return status;
      },
    }),
    statistics: t.field({
      type: CalculationStatisticsObject,
      description:
        'DPU time and progress (from GetCalculationExecutionStatus, or GetCalculationExecution when the request asks for that anyway).',
      resolve: (calculation, _args, context) => calculationField(calculation, context, 'statistics'),
    }),
    result: t.field({
      type: CalculationResultObject,
      description: 'Where the output of the calculation is stored (from GetCalculationExecution).',
      resolve: (calculation, _args, context) => calculationField(calculation, context, 'result'),
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
