// The cache policy's own promises, which both ports rely on without checking them each time.
import { describe, expect, it } from 'vitest';
import { keepsFact, READS, scope, WRITES } from '../../src/athena/cache-policy.js';
import { PORT_OPERATIONS } from '../support/port-calls.js';
import { details } from './fake-port.js';

describe('the cache policy', () => {
  it('what a read also answers depends on the same scopes: the fleet files it under the read’s own generations', () => {
    const sessionAnswers = READS.getSession.alsoAnswers(details('s-1'), 's-1');
    expect(sessionAnswers).toHaveLength(1);
    for (const answer of sessionAnswers)
      expect(answer.rule.scopes(answer.input as never)).toEqual(READS.getSession.scopes('s-1'));
    const calculationAnswers = READS.getCalculationExecution.alsoAnswers(
      { calculationExecutionId: 'c-1', sessionId: 's-1', status: { state: 'RUNNING' } },
      'c-1',
    );
    expect(calculationAnswers).toHaveLength(1);
    for (const answer of calculationAnswers)
      expect(answer.rule.scopes(answer.input as never)).toEqual(READS.getCalculationExecution.scopes('c-1'));
  });

  it('list pages are keyed by every input that changes the page', () => {
    const base = { workGroup: 'primary' };
    const keys = new Set(
      [base, { ...base, stateFilter: 'IDLE' as const }, { ...base, maxResults: 10 }, { ...base, nextToken: 't' }].map(
        (input) => READS.listSessions.key(input),
      ),
    );
    expect(keys.size).toBe(4);
    const calculationKeys = new Set(
      [
        { sessionId: 's-1' },
        { sessionId: 's-1', stateFilter: 'COMPLETED' as const },
        { sessionId: 's-1', maxResults: 10 },
        { sessionId: 's-1', nextToken: 't' },
      ].map((input) => READS.listCalculationExecutions.key(input)),
    );
    expect(calculationKeys.size).toBe(4);
    const workGroupKeys = new Set([
      ...[{}, { maxResults: 10 }, { nextToken: 't' }].map((input) => READS.listWorkGroups.key(input)),
      READS.getWorkGroup.key('t'),
    ]);
    expect(workGroupKeys.size).toBe(4);
  });

  it('a terminate of a session whose work group is unknown makes every page stale; a known one, its own', () => {
    expect(WRITES.terminateSession.stale('s-1', {})).toContain(scope.allSessionPages);
    const known = WRITES.terminateSession.stale('s-1', { workGroup: 'analytics', calculations: ['c-1'] });
    expect(known).toEqual([
      scope.session('s-1'),
      scope.workGroupPages('analytics'),
      scope.calculation('c-1'),
      'cl:s-1',
    ]);
  });

  it('every rule names the Athena operation of its port method (in-flight keys and abort errors carry it)', () => {
    for (const [method, rule] of [...Object.entries(READS), ...Object.entries(WRITES)])
      expect(rule.operation).toBe(PORT_OPERATIONS[method as keyof typeof PORT_OPERATIONS]);
  });

  it('with CACHE_TTL_MS=0 only what is never served is kept', () => {
    expect(keepsFact('immutable', 0)).toBe(false);
    expect(keepsFact('calculation-session', 0)).toBe(true);
    expect(keepsFact('immutable', 1)).toBe(true);
  });
});
