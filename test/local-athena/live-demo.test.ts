import type { AthenaClient } from '@aws-sdk/client-athena';
import { GetSessionStatusCommand, ListCalculationExecutionsCommand, ListSessionsCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { DEMO_WORK_GROUPS, seedDemoData } from '../../src/local-athena/demo-seed.js';
import type { CalculationView, SessionView } from '../../src/local-athena/session-model.js';
import { SESSION_STATES } from '../../src/local-athena/session-model.js';
import { IDLE_TIMEOUT_REASON, SessionStore } from '../../src/local-athena/session-store.js';
import type { LocalHarness } from './support.js';
import { startHarness } from './support.js';

// The living demo (`npm start`): seeded sessions that move on, new sessions and calculations on
// a seeded schedule, all computed from the clock, so a ManualClock replays it exactly.

const SEEDED_AT = Date.UTC(2025, 4, 20, 8, 30, 0);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

function liveStore(): { store: SessionStore; clock: ManualClock; watchedSessionId: string } {
  const clock = new ManualClock(SEEDED_AT);
  const store = new SessionStore({ clock });
  const { watchedSessionId } = seedDemoData(store, undefined, { live: true });
  if (!watchedSessionId) throw new Error('the live demo names no watched session');
  return { store, clock, watchedSessionId };
}

function allSessions(store: SessionStore, workGroup = 'primary'): SessionView[] {
  return SESSION_STATES.flatMap(
    (state) => store.listSessionsPage({ workGroup, stateFilter: state, limit: 10_000 }).sessions,
  );
}

function calculationsOf(store: SessionStore, sessionId: string): CalculationView[] {
  return store.listCalculationsPage({ sessionId, limit: 10_000 }).calculations;
}

const UNFINISHED = new Set(['CREATING', 'CREATED', 'QUEUED', 'RUNNING', 'CANCELING']);

describe('live demo over the wire', () => {
  let harness: LocalHarness;
  const clock = new ManualClock(SEEDED_AT);

  beforeAll(async () => {
    harness = await startHarness({ seed: 'demo', live: true, clock });
  });
  afterAll(() => harness.close());

  async function activeStates(client: AthenaClient): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSessionsCommand({ WorkGroup: 'primary', MaxResults: 100, NextToken: nextToken }),
      );
      for (const session of page.Sessions ?? []) states.set(session.SessionId!, session.Status!.State!);
      nextToken = page.NextToken;
    } while (nextToken);
    return states;
  }

  it('within 60 s of start, the watched session and at least one calculation change state', async () => {
    const watched = harness.athena.store.listSessionsPage({ workGroup: 'primary', stateFilter: 'IDLE', limit: 1 })
      .sessions[0]!.sessionId;
    const watchedStates = new Set<string>();
    const calculationStates = new Map<string, Set<string>>();
    const before = await activeStates(harness.client);
    for (let elapsed = 0; elapsed <= 60 * SECOND; elapsed += 5 * SECOND) {
      if (elapsed > 0) clock.advance(5 * SECOND);
      const status = await harness.client.send(new GetSessionStatusCommand({ SessionId: watched }));
      watchedStates.add(status.Status!.State!);
      const page = await harness.client.send(new ListCalculationExecutionsCommand({ SessionId: watched }));
      for (const calculation of page.Calculations ?? []) {
        const seen = calculationStates.get(calculation.CalculationExecutionId!) ?? new Set<string>();
        seen.add(calculation.Status!.State!);
        calculationStates.set(calculation.CalculationExecutionId!, seen);
      }
    }
    expect(watchedStates).toContain('IDLE');
    expect(watchedStates).toContain('BUSY');
    expect([...calculationStates.values()].some((states) => states.size > 1)).toBe(true);
    const after = await activeStates(harness.client);
    // Seeded sessions moved on (CREATING -> CREATED -> IDLE, BUSY -> IDLE), and new ones started.
    expect(
      [...before].filter(([id, state]) => after.get(id) !== undefined && after.get(id) !== state).length,
    ).toBeGreaterThan(0);
    expect([...after.keys()].filter((id) => !before.has(id)).length).toBeGreaterThan(0);
    expect(after.size).toBeGreaterThan(250);
  });
});

describe('live demo lifecycle (ManualClock)', () => {
  it('moves a seeded CREATING session through CREATED to IDLE within two minutes, with consistent timestamps', () => {
    const { store, clock } = liveStore();
    const creating = store.listSessionsPage({ workGroup: 'primary', stateFilter: 'CREATING', limit: 100 }).sessions;
    expect(creating.length).toBeGreaterThan(0);
    const seen = new Map(creating.map((session) => [session.sessionId, new Set<string>(['CREATING'])]));
    for (let elapsed = 0; elapsed < 2 * MINUTE; elapsed += SECOND) {
      clock.advance(SECOND);
      for (const session of creating)
        seen.get(session.sessionId)!.add(store.getSession(session.sessionId)!.status.state);
    }
    for (const session of creating) {
      expect([...seen.get(session.sessionId)!]).toEqual(['CREATING', 'CREATED', 'IDLE']);
      const now = store.getSession(session.sessionId)!;
      expect(now.status.startDateTime).toBe(session.status.startDateTime);
      expect(now.status.idleSinceDateTime).toBe(now.status.lastModifiedDateTime);
      expect(now.status.lastModifiedDateTime).toBeGreaterThan(now.status.startDateTime);
      expect(now.status.lastModifiedDateTime).toBeLessThanOrEqual(clock.now());
    }
  });

  it('turns a seeded BUSY session IDLE exactly when its running calculation completes', () => {
    const { store, clock } = liveStore();
    const busy = store.listSessionsPage({ workGroup: 'primary', stateFilter: 'BUSY', limit: 100 }).sessions;
    expect(busy.length).toBeGreaterThan(0);
    clock.advance(16 * MINUTE);
    for (const session of busy) {
      const now = store.getSession(session.sessionId)!;
      expect(now.status.state).toBe('IDLE');
      const last = calculationsOf(store, session.sessionId)[0]!;
      expect(last.state).toBe('COMPLETED');
      expect(now.status.idleSinceDateTime).toBe(last.completionDateTime);
      expect(now.dpuExecutionInMillis).toBeGreaterThan(session.dpuExecutionInMillis);
    }
  });

  it('starts new sessions that run calculations (BUSY and back) and terminate after their idle timeout', () => {
    const { store, clock } = liveStore();
    const seeded = new Set(allSessions(store).map((session) => session.sessionId));
    const history = new Map<string, string[]>();
    for (let elapsed = 0; elapsed < 15 * MINUTE; elapsed += SECOND) {
      clock.advance(SECOND);
      for (const session of store.listSessionsPage({ workGroup: 'primary', limit: 10_000 }).sessions) {
        if (seeded.has(session.sessionId)) continue;
        const states = history.get(session.sessionId) ?? [];
        if (states[states.length - 1] !== session.status.state) states.push(session.status.state);
        history.set(session.sessionId, states);
      }
    }
    expect(history.size).toBeGreaterThan(5);
    const full = [...history].filter(([, states]) => states[0] === 'CREATING' && states.includes('BUSY'));
    expect(full.length).toBeGreaterThan(0);
    const [sessionId, states] = full[0]!;
    expect(states.slice(0, 4)).toEqual(['CREATING', 'CREATED', 'IDLE', 'BUSY']);
    const ended = store.getSession(sessionId)!;
    expect(ended.status.state).toBe('TERMINATED');
    expect(ended.status.stateChangeReason).toBe(IDLE_TIMEOUT_REASON);
    expect(ended.status.endDateTime).toBeDefined();
    const calculations = calculationsOf(store, sessionId);
    expect(calculations.length).toBeGreaterThan(0);
    for (const calculation of calculations) expect(['COMPLETED', 'FAILED']).toContain(calculation.state);
    const lastEnd = Math.max(...calculations.map((calculation) => calculation.completionDateTime!));
    const idleTimeoutMs = ended.sessionConfiguration.sessionIdleTimeoutInMinutes * MINUTE;
    // The idle timeout runs from the last calculation's end; TERMINATING takes the store's terminatingMs.
    expect(ended.status.endDateTime).toBe(lastEnd + idleTimeoutMs + store.timings.terminatingMs);
  });

  it('keeps primary above 250 active sessions, and BUSY exactly while a calculation is unfinished, for three hours', () => {
    const { store, clock } = liveStore();
    for (let elapsed = 0; elapsed <= 3 * 60 * MINUTE; elapsed += 30 * SECOND) {
      if (elapsed > 0) clock.advance(30 * SECOND);
      expect(store.countSessions('primary'), `at +${elapsed / SECOND} s`).toBeGreaterThan(250);
      if (elapsed % (10 * MINUTE) !== 0) continue;
      for (const session of allSessions(store)) {
        const unfinished = calculationsOf(store, session.sessionId).filter((calculation) =>
          UNFINISHED.has(calculation.state),
        );
        const state = session.status.state;
        if (session.status.state === 'BUSY') expect(unfinished.length, session.sessionId).toBeGreaterThan(0);
        else if (state !== 'DEGRADED') expect(unfinished, `${session.sessionId} ${state}`).toEqual([]);
        const ended = state === 'TERMINATED' || state === 'FAILED';
        expect(session.status.endDateTime !== undefined, `${session.sessionId} ${state}`).toBe(ended);
      }
    }
  });

  it('is the same however the clock is stepped', () => {
    const stepped = liveStore();
    const jumped = liveStore();
    for (let elapsed = 0; elapsed < 20 * MINUTE; elapsed += 7 * SECOND) {
      stepped.clock.advance(7 * SECOND);
      stepped.store.countSessions('primary');
    }
    jumped.clock.advance(stepped.clock.now() - jumped.clock.now());
    for (const workGroup of DEMO_WORK_GROUPS) {
      const one = allSessions(stepped.store, workGroup);
      const two = allSessions(jumped.store, workGroup);
      expect(one).toEqual(two);
      for (const session of one) {
        expect(calculationsOf(stepped.store, session.sessionId)).toEqual(
          calculationsOf(jumped.store, session.sessionId),
        );
      }
    }
  });
});

describe('static demo', () => {
  it('keeps a pinned BUSY session consistent: its calculation still runs a day later', () => {
    const clock = new ManualClock(SEEDED_AT);
    const store = new SessionStore({ clock });
    seedDemoData(store);
    const busy = store.listSessionsPage({ workGroup: 'primary', stateFilter: 'BUSY', limit: 100 }).sessions;
    clock.advance(24 * 60 * MINUTE);
    for (const session of busy) {
      expect(store.getSession(session.sessionId)!.status.state).toBe('BUSY');
      expect(calculationsOf(store, session.sessionId)[0]!.state).toBe('RUNNING');
    }
  });
});
