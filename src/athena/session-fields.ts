// Which upstream answer carries each field of a session, in one table. The schema's resolvers take
// their source from it, the entry points decide from it whether a selection needs GetSession, the
// caching port keeps what it marks immutable, and the cost rule counts from it. A new member of
// SessionDetails does not compile until it has a row here. (Fields answered by calls of their own,
// a session's calculations and endpoint, are not GetSession fields: SESSION_CALL_FIELDS names them.)
import type { AthenaOperation, SessionDetails } from './port.js';

export interface FieldSource {
  /** A ListSessions row carries it (the work group: the list's own argument). */
  readonly listRow: boolean;
  /** GetSessionStatus answers it. */
  readonly statusCall: boolean;
  /** GetSession answers it: every field here. */
  readonly detailCall: true;
  /** It never changes while the session exists, so a cache may keep it for the session's life. */
  readonly immutable: boolean;
}

export const SESSION_FIELD_SOURCES = {
  sessionId: { listRow: true, statusCall: true, detailCall: true, immutable: true },
  workGroup: { listRow: true, statusCall: false, detailCall: true, immutable: true },
  description: { listRow: true, statusCall: false, detailCall: true, immutable: true },
  notebookVersion: { listRow: true, statusCall: false, detailCall: true, immutable: true },
  engineVersion: { listRow: true, statusCall: false, detailCall: true, immutable: true },
  status: { listRow: true, statusCall: true, detailCall: true, immutable: false },
  engineConfiguration: { listRow: false, statusCall: false, detailCall: true, immutable: true },
  sessionConfiguration: { listRow: false, statusCall: false, detailCall: true, immutable: true },
  statistics: { listRow: false, statusCall: false, detailCall: true, immutable: false },
} as const satisfies Record<keyof SessionDetails, FieldSource>;

export type SessionField = keyof typeof SESSION_FIELD_SOURCES;

/** Fields of the schema's `Session` that no answer above carries: each costs a call of its own, made only when selected. */
export const SESSION_CALL_FIELDS = {
  calculations: 'ListCalculationExecutions',
  endpoint: 'GetSessionEndpoint',
} as const satisfies Record<string, AthenaOperation>;

type FieldsWhere<Property extends 'listRow' | 'statusCall' | 'immutable'> = {
  [Field in SessionField]: (typeof SESSION_FIELD_SOURCES)[Field][Property] extends true ? Field : never;
}[SessionField];

export type ImmutableSessionField = FieldsWhere<'immutable'>;

/** The part of GetSession that cannot change while the session exists. */
export type ImmutableSessionFields = Pick<SessionDetails, ImmutableSessionField>;

const FIELDS = Object.keys(SESSION_FIELD_SOURCES) as SessionField[];

export const IMMUTABLE_SESSION_FIELDS: readonly ImmutableSessionField[] = FIELDS.filter(
  (field): field is ImmutableSessionField => SESSION_FIELD_SOURCES[field].immutable,
);

/** Fields GetSessionStatus cannot answer: selecting any of them on one session costs its GetSession. */
export const DETAIL_CALL_FIELDS: ReadonlySet<string> = new Set(
  FIELDS.filter((field) => !SESSION_FIELD_SOURCES[field].statusCall),
);

export function immutableFieldsOf(details: SessionDetails): ImmutableSessionFields {
  const fields: Partial<ImmutableSessionFields> = {};
  for (const field of IMMUTABLE_SESSION_FIELDS) (fields as Record<string, unknown>)[field] = details[field];
  return fields as ImmutableSessionFields;
}
