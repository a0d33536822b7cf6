// Which upstream answer carries each field of a calculation, in one table, as session-fields.ts is
// for sessions. The schema's resolvers take their source from it, the entry points decide from it
// which call a selection needs, and the cost rule counts from it. A new member of Calculation does
// not compile until it has a row here.
import type { AthenaOperation, Calculation, CalculationStatusResult, CalculationSummary } from './port.js';

export interface CalculationFieldSource {
  /** The field of the schema's `Calculation` that shows it; null when the schema does not show it. */
  readonly schemaField: string | null;
  /** A ListCalculationExecutions row carries it (the session id: the list's own argument). */
  readonly listRow: boolean;
  /** GetCalculationExecutionStatus answers it. */
  readonly statusCall: boolean;
  /** GetCalculationExecution answers it: every field here. */
  readonly detailCall: true;
}

export const CALCULATION_FIELD_SOURCES = {
  calculationExecutionId: { schemaField: 'calculationId', listRow: true, statusCall: true, detailCall: true },
  sessionId: { schemaField: 'session', listRow: true, statusCall: false, detailCall: true },
  description: { schemaField: 'description', listRow: true, statusCall: false, detailCall: true },
  workingDirectory: { schemaField: null, listRow: false, statusCall: false, detailCall: true },
  status: { schemaField: 'status', listRow: true, statusCall: true, detailCall: true },
  statistics: { schemaField: 'statistics', listRow: false, statusCall: true, detailCall: true },
  result: { schemaField: 'result', listRow: false, statusCall: false, detailCall: true },
} as const satisfies Record<keyof Calculation, CalculationFieldSource>;

/**
 * Fields of the schema's `Calculation` that no answer above carries: each costs a call of its own,
 * made only when selected.
 */
export const CALCULATION_CALL_FIELDS = {
  code: 'GetCalculationExecutionCode',
} as const satisfies Record<string, AthenaOperation>;

export type CalculationField = keyof typeof CALCULATION_FIELD_SOURCES;

type FieldsWhere<Property extends 'listRow' | 'statusCall'> = {
  [Field in CalculationField]: (typeof CALCULATION_FIELD_SOURCES)[Field][Property] extends true ? Field : never;
}[CalculationField];

/** What GetCalculationExecutionStatus answers; the type fails to check if the table claims more than it has. */
export type StatusCallFields = Pick<CalculationStatusResult, FieldsWhere<'statusCall'>>;
/** What a ListCalculationExecutions row answers, with the session id the list was asked for. */
export type ListRowFields = Pick<CalculationSummary, Exclude<FieldsWhere<'listRow'>, 'sessionId'>> & {
  sessionId: string;
};

const FIELDS = Object.keys(CALCULATION_FIELD_SOURCES) as CalculationField[];

/** The schema's fields of a calculation that its list row, status call or detail call answers. */
export const CALCULATION_SCHEMA_FIELDS: ReadonlyMap<string, CalculationField> = new Map(
  FIELDS.flatMap((field) => {
    const schemaField = CALCULATION_FIELD_SOURCES[field].schemaField;
    return schemaField === null ? [] : [[schemaField, field] as const];
  }),
);

/** Schema fields that GetCalculationExecutionStatus cannot answer: selecting any of them costs GetCalculationExecution. */
export const CALCULATION_DETAIL_CALL_FIELDS: ReadonlySet<string> = new Set(
  [...CALCULATION_SCHEMA_FIELDS].flatMap(([schemaField, field]) =>
    CALCULATION_FIELD_SOURCES[field].statusCall ? [] : [schemaField],
  ),
);

const STATUS_CALL_FIELDS = FIELDS.filter((field) => CALCULATION_FIELD_SOURCES[field].statusCall);
const LIST_ROW_FIELDS = FIELDS.filter((field) => CALCULATION_FIELD_SOURCES[field].listRow);

function pick(fields: readonly CalculationField[], from: Partial<Calculation>): Partial<Calculation> {
  const picked: Partial<Calculation> = {};
  for (const field of fields) (picked as Record<string, unknown>)[field] = from[field];
  return picked;
}

/** The part of GetCalculationExecution that GetCalculationExecutionStatus would have answered. */
export const statusFieldsOf = (calculation: Calculation): StatusCallFields =>
  pick(STATUS_CALL_FIELDS, calculation) as StatusCallFields;

/** What a ListCalculationExecutions row of this session tells of a calculation. */
export const listRowFieldsOf = (summary: CalculationSummary, sessionId: string): ListRowFields =>
  pick(LIST_ROW_FIELDS, { ...summary, sessionId }) as ListRowFields;

/** Every field of GetCalculationExecution, present as a key even when the answer left it out. */
export const detailFieldsOf = (calculation: Calculation): Calculation => pick(FIELDS, calculation) as Calculation;
