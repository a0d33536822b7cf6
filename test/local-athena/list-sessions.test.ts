import type { ListSessionsCommandInput, SessionSummary } from '@aws-sdk/client-athena';
import { InvalidRequestException, ListSessionsCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { SessionState } from '../../src/local-athena/session-model.js';
import { SESSION_STATES } from '../../src/local-athena/session-model.js';
import type { LocalHarness } from './support.js';
import { rejectionOf, startHarness } from './support.js';

// ListSessions paging over a large work group: every session exactly once, newest first.

const NOW = Date.UTC(2024, 8, 10, 12, 0, 0);
const ACTIVE_COUNT = 300;
const ACTIVE_STATES: SessionState[] = ['IDLE', 'BUSY', 'CREATED', 'CREATING', 'DEGRADED'];
const INACTIVE_STATES: SessionState[] = ['TERMINATED', 'FAILED', 'TERMINATING'];

interface Expected {
  sessionId: string;
  start: number;
  state: SessionState;
}

/** The documented order: StartDateTime descending, ties by SessionId ascending. */
function listOrder(a: Expected, b: Expected): number {
  return b.start - a.start || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}

describe('ListSessions paging', () => {
  let harness: LocalHarness;
  const clock = new ManualClock(NOW);
  const seeded: Expected[] = [];

  beforeAll(async () => {
    harness = await startHarness({ clock });
    const { store } = harness.athena;
    store.createWorkGroup('big');
    store.createWorkGroup('other');
    for (let index = 0; index < ACTIVE_COUNT + 40; index += 1) {
      const state =
        index < ACTIVE_COUNT
          ? (ACTIVE_STATES[index % ACTIVE_STATES.length] as SessionState)
          : (INACTIVE_STATES[index % INACTIVE_STATES.length] as SessionState);
      // Groups of three share a start time, so ties must be broken by id; insertion order is scrambled.
      const start = NOW - 3_600_000 - Math.floor(((index * 7919) % 340) / 3) * 1_000;
      const sessionId = `s-${((index * 104_729) % 100_003).toString(36).padStart(5, '0')}-${index}`;
      store.addSession({ workGroup: 'big', sessionId, state, startDateTime: start, pinned: true });
      seeded.push({ sessionId, start, state });
    }
    store.addSession({ workGroup: 'other', state: 'IDLE' });
  });
  afterAll(() => harness.close());

  async function walk(
    input: ListSessionsCommandInput,
  ): Promise<{ pages: SessionSummary[][]; tokens: (string | undefined)[] }> {
    const pages: SessionSummary[][] = [];
    const tokens: (string | undefined)[] = [];
    let nextToken: string | undefined;
    do {
      const response = await harness.client.send(new ListSessionsCommand({ ...input, NextToken: nextToken }));
      pages.push(response.Sessions ?? []);
      tokens.push(response.NextToken);
      nextToken = response.NextToken;
      if (pages.length > 1_000) throw new Error('paging does not end');
    } while (nextToken);
    return { pages, tokens };
  }

  const expectedActive = () =>
    seeded
      .filter((session) => ACTIVE_STATES.includes(session.state))
      .sort(listOrder)
      .map((session) => session.sessionId);

  it.each([1, 7, 100])(
    'walks all active sessions exactly once, newest first, with MaxResults %i',
    async (maxResults) => {
      const { pages, tokens } = await walk({ WorkGroup: 'big', MaxResults: maxResults });
      const ids = pages.flat().map((summary) => summary.SessionId);
      expect(ids).toHaveLength(ACTIVE_COUNT);
      expect(new Set(ids).size).toBe(ACTIVE_COUNT);
      expect(ids).toEqual(expectedActive());
      expect(pages).toHaveLength(Math.ceil(ACTIVE_COUNT / maxResults));
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(maxResults);
      expect(tokens.at(-1)).toBeUndefined();
      for (const token of tokens.slice(0, -1)) expect(token!.length).toBeLessThanOrEqual(2048);
      const starts = pages.flat().map((summary) => summary.Status!.StartDateTime!.getTime());
      for (let index = 1; index < starts.length; index += 1) {
        expect(starts[index]!).toBeLessThanOrEqual(starts[index - 1]!);
      }
    },
  );

  it('returns 100 sessions per page by default', async () => {
    const response = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'big' }));
    expect(response.Sessions).toHaveLength(100);
    expect(response.NextToken).toBeDefined();
  });

  it('lists only active states by default (CREATING, CREATED, IDLE, BUSY, DEGRADED)', async () => {
    const { pages } = await walk({ WorkGroup: 'big', MaxResults: 100 });
    const states = new Set(pages.flat().map((summary) => summary.Status?.State));
    expect([...states].sort()).toEqual([...ACTIVE_STATES].sort());
  });

  it.each(SESSION_STATES)('filters by StateFilter %s', async (state) => {
    const { pages } = await walk({ WorkGroup: 'big', MaxResults: 13, StateFilter: state });
    const ids = pages.flat().map((summary) => summary.SessionId);
    const expected = seeded
      .filter((session) => session.state === state)
      .sort(listOrder)
      .map((session) => session.sessionId);
    expect(ids).toEqual(expected);
    for (const summary of pages.flat()) expect(summary.Status?.State).toBe(state);
  });

  it('gives no NextToken when a page ends exactly at the end', async () => {
    harness.athena.store.createWorkGroup('fourteen');
    for (let index = 0; index < 14; index += 1) {
      harness.athena.store.addSession({ workGroup: 'fourteen', startDateTime: NOW - index * 1_000 });
    }
    const first = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'fourteen', MaxResults: 7 }));
    expect(first.Sessions).toHaveLength(7);
    expect(first.NextToken).toBeDefined();
    const second = await harness.client.send(
      new ListSessionsCommand({ WorkGroup: 'fourteen', MaxResults: 7, NextToken: first.NextToken }),
    );
    expect(second.Sessions).toHaveLength(7);
    expect(second.NextToken).toBeUndefined();

    const all = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'fourteen', MaxResults: 14 }));
    expect(all.Sessions).toHaveLength(14);
    expect(all.NextToken).toBeUndefined();
  });

  it('is stable while sessions are started during the walk', async () => {
    harness.athena.store.createWorkGroup('growing');
    const original: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      original.push(
        harness.athena.store.addSession({ workGroup: 'growing', startDateTime: NOW - 60_000 - index * 1_000 })
          .sessionId,
      );
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await harness.client.send(
        new ListSessionsCommand({ WorkGroup: 'growing', MaxResults: 7, NextToken: nextToken }),
      );
      seen.push(...(page.Sessions ?? []).map((summary) => summary.SessionId as string));
      nextToken = page.NextToken;
      // Newer sessions arrive between pages; an offset-based token would repeat items.
      for (let extra = 0; extra < 3; extra += 1) {
        clock.advance(1);
        harness.athena.store.addSession({ workGroup: 'growing' });
      }
    } while (nextToken);
    expect(seen).toEqual(original);
  });

  it('rejects a token replayed against another work group', async () => {
    const first = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5 }));
    const error = await rejectionOf(
      harness.client.send(new ListSessionsCommand({ WorkGroup: 'other', MaxResults: 5, NextToken: first.NextToken })),
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
  });

  it('rejects a token replayed with another StateFilter', async () => {
    const first = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5 }));
    const withFilter = await rejectionOf(
      harness.client.send(
        new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5, StateFilter: 'IDLE', NextToken: first.NextToken }),
      ),
    );
    expect(withFilter).toBeInstanceOf(InvalidRequestException);

    const idle = await harness.client.send(
      new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5, StateFilter: 'IDLE' }),
    );
    for (const stateFilter of [undefined, 'BUSY'] as const) {
      const error = await rejectionOf(
        harness.client.send(
          new ListSessionsCommand({
            WorkGroup: 'big',
            MaxResults: 5,
            StateFilter: stateFilter,
            NextToken: idle.NextToken,
          }),
        ),
      );
      expect(error).toBeInstanceOf(InvalidRequestException);
    }
  });

  it('rejects malformed and forged tokens', async () => {
    const first = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5 }));
    const token = first.NextToken as string;
    const [body, signature] = token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, w: 'other' })).toString('base64url');
    for (const bad of [
      'garbage',
      `${body}.`,
      `${forgedBody}.${signature}`,
      `${body}.${signature}x`,
      `${token}.extra`,
    ]) {
      const error = await rejectionOf(
        harness.client.send(new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5, NextToken: bad })),
      );
      expect(error).toBeInstanceOf(InvalidRequestException);
    }
  });

  it('accepts a token with another MaxResults', async () => {
    const first = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 5 }));
    const second = await harness.client.send(
      new ListSessionsCommand({ WorkGroup: 'big', MaxResults: 50, NextToken: first.NextToken }),
    );
    expect(second.Sessions).toHaveLength(50);
    expect(second.Sessions![0]!.SessionId).toBe(expectedActive()[5]);
  });
});
