import { describe, expect, it } from 'vitest';

import {
  compareListOrder,
  firstIndexAfter,
  insertInListOrder,
  matchesFilter,
  pageOfSessions,
} from '../../src/local-athena/session-list-order.js';
import type { SessionState } from '../../src/local-athena/session-model.js';
import type { SessionRecord } from '../../src/local-athena/session-record.js';

function record(sessionId: string, startDateTime: number, state: SessionState = 'IDLE'): SessionRecord {
  return { sessionId, startDateTime, state } as SessionRecord;
}

describe('session list order', () => {
  it('is newest first, ties by id ascending, whatever the insertion order', () => {
    const ordered: SessionRecord[] = [];
    for (const next of [record('b', 10), record('a', 10), record('c', 30), record('d', 20)]) {
      insertInListOrder(ordered, next);
    }
    expect(ordered.map((session) => session.sessionId)).toEqual(['c', 'd', 'a', 'b']);
    expect(compareListOrder(record('a', 10), record('b', 10))).toBeLessThan(0);
    expect(compareListOrder(record('a', 20), record('a', 10))).toBeLessThan(0);
    expect(compareListOrder(record('a', 10), record('a', 10))).toBe(0);
    expect(firstIndexAfter(ordered, { startDateTime: 20, sessionId: 'd' })).toBe(2);
    expect(firstIndexAfter(ordered, { startDateTime: 25, sessionId: 'x' })).toBe(1);
  });

  it('filters the active states by default, one state when asked', () => {
    expect(matchesFilter(record('a', 1, 'DEGRADED'), undefined)).toBe(true);
    expect(matchesFilter(record('a', 1, 'TERMINATED'), undefined)).toBe(false);
    expect(matchesFilter(record('a', 1, 'TERMINATED'), 'TERMINATED')).toBe(true);
  });

  it('pages after a position, advancing each session it reads, with a next position only when a match follows', () => {
    const ordered = [record('a', 50), record('b', 40, 'FAILED'), record('c', 30), record('d', 20)];
    const advanced: string[] = [];
    const advance = (session: SessionRecord) => advanced.push(session.sessionId);
    const first = pageOfSessions(ordered, { workGroup: 'w', limit: 1 }, advance);
    expect(first.page.map((session) => session.sessionId)).toEqual(['a']);
    expect(first.nextPosition).toEqual({ startDateTime: 50, sessionId: 'a' });
    const second = pageOfSessions(ordered, { workGroup: 'w', limit: 2, after: first.nextPosition }, advance);
    expect(second.page.map((session) => session.sessionId)).toEqual(['c', 'd']);
    expect(second.nextPosition).toBeUndefined();
    expect(advanced).toEqual(['a', 'b', 'c', 'b', 'c', 'd']);
  });
});
