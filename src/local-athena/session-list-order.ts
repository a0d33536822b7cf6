import type { SessionState } from './session-model.js';
import { ACTIVE_SESSION_STATES } from './session-model.js';
import type { SessionRecord } from './session-record.js';
import type { ListSessionsQuery, SessionPosition } from './store-types.js';

/**
 * ListSessions' order and paging: StartDateTime descending, then SessionId ascending (GUESS: AWS
 * says only "newer sessions are listed first"). A work group keeps its sessions sorted this way,
 * so a page is a binary search plus a scan, and a position is all a NextToken needs.
 */

export function compareListOrder(a: SessionPosition, b: SessionPosition): number {
  if (a.startDateTime !== b.startDateTime) return b.startDateTime - a.startDateTime;
  if (a.sessionId === b.sessionId) return 0;
  return a.sessionId < b.sessionId ? -1 : 1;
}

/** Index of the first session that comes after `position` in list order. */
export function firstIndexAfter(ordered: readonly SessionRecord[], position: SessionPosition): number {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const record = ordered[middle];
    if (record && compareListOrder(record, position) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function insertInListOrder(ordered: SessionRecord[], record: SessionRecord): void {
  ordered.splice(firstIndexAfter(ordered, record), 0, record);
}

/** Without a filter: the active states. */
export function matchesFilter(record: SessionRecord, stateFilter: SessionState | undefined): boolean {
  return stateFilter === undefined ? ACTIVE_SESSION_STATES.has(record.state) : record.state === stateFilter;
}

/**
 * One page of `ordered` after the query's position. `advance` brings each session up to now
 * before it is filtered, so a page shows states as they are.
 */
export function pageOfSessions(
  ordered: readonly SessionRecord[],
  query: ListSessionsQuery,
  advance: (record: SessionRecord) => void,
): { page: SessionRecord[]; nextPosition: SessionPosition | undefined } {
  let index = query.after ? firstIndexAfter(ordered, query.after) : 0;
  const page: SessionRecord[] = [];
  let hasMore = false;
  for (; index < ordered.length; index += 1) {
    const record = ordered[index];
    if (!record) break;
    advance(record);
    if (!matchesFilter(record, query.stateFilter)) continue;
    if (page.length === query.limit) {
      // Only a further match proves there is a next page; a page that ends exactly at the end gets no token.
      hasMore = true;
      break;
    }
    page.push(record);
  }
  const last = page[page.length - 1];
  return {
    page,
    nextPosition: hasMore && last ? { startDateTime: last.startDateTime, sessionId: last.sessionId } : undefined,
  };
}
