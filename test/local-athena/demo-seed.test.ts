import type { AthenaClient, SessionState, SessionSummary } from '@aws-sdk/client-athena';
import { GetSessionCommand, ListSessionsCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { DEMO_WORK_GROUPS, seedDemoData } from '../../src/local-athena/demo-seed.js';
import { SESSION_STATES } from '../../src/local-athena/session-model.js';
import { SessionStore } from '../../src/local-athena/session-store.js';
import type { LocalHarness } from './support.js';
import { startHarness } from './support.js';

// The demo data behind `npm start`: its shape, determinism, and that it stays demo-able.

async function listAll(client: AthenaClient, workGroup: string, stateFilter?: SessionState): Promise<SessionSummary[]> {
  const sessions: SessionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSessionsCommand({
        WorkGroup: workGroup,
        StateFilter: stateFilter,
        MaxResults: 100,
        NextToken: nextToken,
      }),
    );
    sessions.push(...(page.Sessions ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return sessions;
}

describe('demo seed', () => {
  let harness: LocalHarness;
  const clock = new ManualClock(Date.UTC(2025, 4, 20, 8, 30, 0));

  beforeAll(async () => {
    harness = await startHarness({ seed: 'demo', clock });
  });
  afterAll(() => harness.close());

  it('creates the documented work groups; sandbox is empty', async () => {
    expect([...DEMO_WORK_GROUPS]).toEqual([
      'primary',
      'analytics',
      'ml-experiments',
      'sandbox',
      'sql-reporting',
      'legacy-etl',
    ]);
    for (const workGroup of DEMO_WORK_GROUPS) expect(harness.athena.store.hasWorkGroup(workGroup)).toBe(true);
    expect(await listAll(harness.client, 'sandbox')).toEqual([]);
    expect((await listAll(harness.client, 'analytics')).length).toBeGreaterThanOrEqual(24);
    expect((await listAll(harness.client, 'ml-experiments')).length).toBeGreaterThanOrEqual(4);
  });

  it('gives primary more than 250 active sessions', async () => {
    const active = await listAll(harness.client, 'primary');
    expect(active.length).toBeGreaterThan(250);
    expect(new Set(active.map((session) => session.SessionId)).size).toBe(active.length);
  });

  it('has every state in primary, and DEGRADED and BUSY in ml-experiments', async () => {
    for (const state of SESSION_STATES) {
      expect((await listAll(harness.client, 'primary', state)).length, state).toBeGreaterThan(0);
    }
    expect((await listAll(harness.client, 'ml-experiments', 'DEGRADED')).length).toBeGreaterThan(0);
    expect((await listAll(harness.client, 'ml-experiments', 'BUSY')).length).toBeGreaterThan(0);
  });

  it('has realistic details: descriptions, Spark properties, roles, s3 working directories, timestamps in the past', async () => {
    const summaries = await listAll(harness.client, 'primary');
    expect(summaries.filter((summary) => summary.Description).length).toBeGreaterThan(200);
    const details = await harness.client.send(new GetSessionCommand({ SessionId: summaries[10]!.SessionId }));
    expect(details.WorkGroup).toBe('primary');
    expect(details.EngineConfiguration?.MaxConcurrentDpus).toBeGreaterThanOrEqual(2);
    expect(details.EngineConfiguration?.AdditionalConfigs).toBeDefined();
    expect(details.SessionConfiguration?.ExecutionRole).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(details.SessionConfiguration?.WorkingDirectory).toMatch(/^s3:\/\/.+\/$/);
    const withSparkProperties = summaries.slice(0, 30);
    let sparkPropertyCount = 0;
    for (const summary of withSparkProperties) {
      const session = await harness.client.send(new GetSessionCommand({ SessionId: summary.SessionId }));
      sparkPropertyCount += Object.keys(session.EngineConfiguration?.SparkProperties ?? {}).length;
      expect(session.Status!.StartDateTime!.getTime()).toBeLessThanOrEqual(clock.now());
      expect(session.Status!.StartDateTime!.getTime()).toBeGreaterThan(clock.now() - 8 * 86_400_000);
    }
    expect(sparkPropertyCount).toBeGreaterThan(0);
  });

  it('keeps active sessions active for 24 hours', async () => {
    const before = await listAll(harness.client, 'primary');
    clock.advance(24 * 3_600_000 + 1);
    const after = await listAll(harness.client, 'primary');
    expect(after.map((session) => [session.SessionId, session.Status?.State])).toEqual(
      before.map((session) => [session.SessionId, session.Status?.State]),
    );
  });

  it('is deterministic for a given clock', () => {
    const seededAt = Date.UTC(2025, 0, 1);
    const first = new SessionStore({ clock: new ManualClock(seededAt) });
    const second = new SessionStore({ clock: new ManualClock(seededAt) });
    const summary = seedDemoData(first);
    seedDemoData(second);
    expect(summary.sessionCount).toBeGreaterThan(300);
    for (const workGroup of DEMO_WORK_GROUPS) {
      for (const state of SESSION_STATES) {
        const one = first.listSessionsPage({ workGroup, stateFilter: state, limit: 1_000 }).sessions;
        const two = second.listSessionsPage({ workGroup, stateFilter: state, limit: 1_000 }).sessions;
        expect(one).toEqual(two);
      }
    }
  });

  it('includes a DPU total beyond 32 bits', () => {
    const store = new SessionStore({ clock: new ManualClock(Date.UTC(2025, 0, 1)) });
    seedDemoData(store);
    const all = DEMO_WORK_GROUPS.flatMap((workGroup) =>
      SESSION_STATES.flatMap(
        (state) => store.listSessionsPage({ workGroup, stateFilter: state, limit: 1_000 }).sessions,
      ),
    );
    expect(all.some((session) => session.dpuExecutionInMillis > 2 ** 32)).toBe(true);
    expect(all.every((session) => Number.isSafeInteger(session.dpuExecutionInMillis))).toBe(true);
  });

  it('gives PySpark sessions calculations, a running one in each BUSY session, and Spark 3.5 sessions none', () => {
    const store = new SessionStore({ clock: new ManualClock(Date.UTC(2025, 0, 1)) });
    seedDemoData(store);
    const busy = store.listSessionsPage({ workGroup: 'primary', stateFilter: 'BUSY', limit: 1_000 }).sessions;
    for (const session of busy) {
      const running = store.listCalculationsPage({
        sessionId: session.sessionId,
        stateFilter: 'RUNNING',
        limit: 10,
      }).calculations;
      expect(running).toHaveLength(1);
    }
    const idle = store.listSessionsPage({ workGroup: 'primary', stateFilter: 'IDLE', limit: 1_000 }).sessions;
    const histories = idle.map(
      (session) => store.listCalculationsPage({ sessionId: session.sessionId, limit: 100 }).calculations,
    );
    expect(
      histories.some((calculations) => calculations.some((calculation) => calculation.state === 'COMPLETED')),
    ).toBe(true);
    expect(histories.some((calculations) => calculations.some((calculation) => calculation.state === 'FAILED'))).toBe(
      true,
    );
    for (const calculations of histories) {
      for (const calculation of calculations) expect(['COMPLETED', 'FAILED']).toContain(calculation.state);
    }
    const connect = store.listSessionsPage({ workGroup: 'ml-experiments', stateFilter: 'BUSY', limit: 100 }).sessions;
    expect(connect.length).toBeGreaterThan(0);
    for (const session of connect) {
      expect(store.listCalculationsPage({ sessionId: session.sessionId, limit: 100 }).calculations).toEqual([]);
    }
  });
});
