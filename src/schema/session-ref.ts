// What the schema holds for a session, and the loading strategy: which upstream call answers an
// entry point's selection and each field, read from the table in athena/session-fields.ts.
import type { GraphQLResolveInfo } from 'graphql';
import type { SessionDetails, SessionStatus, SessionSummary } from '../athena/port.js';
import { DETAIL_CALL_FIELDS, SESSION_FIELD_SOURCES, type SessionField } from '../athena/session-fields.js';
import { allowsWorkGroup, isRestricted } from '../auth/viewer.js';
import type { GatewayContext } from '../context.js';
import { selectedFieldNames } from './selection.js';

/**
 * What the gateway knows about a session at a point of an operation. Every entry point fills
 * `status`; the rest is filled from whichever upstream answer brought the session here, and
 * detail fields fetch GetSession (once per request) only when they are missing.
 */
export interface SessionRef {
  readonly __typename: 'Session';
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly workGroup?: string | undefined;
  readonly summary?: SessionSummary | undefined;
  readonly details?: SessionDetails | undefined;
  /** What startSession's input said, before any GetSession. */
  readonly started?: { description?: string | undefined } | undefined;
}

export const refFromDetails = (details: SessionDetails): SessionRef => ({
  __typename: 'Session',
  sessionId: details.sessionId,
  status: details.status,
  workGroup: details.workGroup,
  details,
});

export const refFromSummary = (summary: SessionSummary, workGroup: string): SessionRef => ({
  __typename: 'Session',
  sessionId: summary.sessionId,
  status: summary.status,
  workGroup,
  summary,
});

/** Whether the selection on a session holds a field that GetSessionStatus cannot answer. */
export function selectsSessionDetails(info: GraphQLResolveInfo): boolean {
  for (const name of selectedFieldNames(info)) if (DETAIL_CALL_FIELDS.has(name)) return true;
  return false;
}

/**
 * Loads a session for an entry point (session, node, nodes, payloads, entities) with the cheapest
 * call that answers the selection: GetSessionStatus for status only, GetSession for anything more,
 * and GetSession for callers limited to some work groups, whose session's work group must be
 * checked first. A session the caller may not see is null, exactly like a missing one.
 */
export async function loadSessionRef(
  context: GatewayContext,
  sessionId: string,
  needsDetails: boolean,
): Promise<SessionRef | null> {
  if (needsDetails || isRestricted(context.viewer)) {
    const details = await context.loaders.loadDetails(sessionId);
    if (details === null || !allowsWorkGroup(context.viewer, details.workGroup)) return null;
    return refFromDetails(details);
  }
  const result = await context.loaders.loadStatus(sessionId);
  return result && { __typename: 'Session', sessionId, status: result.status };
}

/**
 * A GetSession field of a session, from the cheapest source the table allows: the GetSession this
 * session came with, else the port's immutable fields (which a cache may answer without a call) for
 * a field that never changes, else this request's GetSession.
 */
export async function sessionField<Field extends SessionField>(
  session: SessionRef,
  context: GatewayContext,
  field: Field,
): Promise<SessionDetails[Field] | undefined> {
  if (session.details) return session.details[field];
  const loaded: Partial<SessionDetails> | null = SESSION_FIELD_SOURCES[field].immutable
    ? await context.loaders.loadImmutableFields(session.sessionId)
    : await context.loaders.loadDetails(session.sessionId);
  return loaded?.[field];
}

/** A field a ListSessions row carries comes from the row, or from startSession's input, before any call. */
export async function listRowField(
  session: SessionRef,
  context: GatewayContext,
  field: 'description' | 'notebookVersion',
): Promise<string | undefined> {
  if (SESSION_FIELD_SOURCES[field].listRow && session.summary) return session.summary[field];
  if (field === 'description' && session.started) return session.started.description;
  return sessionField(session, context, field);
}
