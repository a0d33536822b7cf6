import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { LocalHarness } from './support.js';
import { modelCall, startHarness } from './support.js';

// Every answer carries only members AWS's model has, within the model's constraints and with
// its JSON types (modelCall fails otherwise), across the demo's varied sessions.

describe('answers conform to the model', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10, 9, 0, 0));
  let harness: LocalHarness;

  beforeAll(async () => {
    harness = await startHarness({ seed: 'demo', clock });
  });
  afterAll(() => harness.close());

  it('ListSessions, GetSession and GetSessionStatus for every state of the demo', async () => {
    for (const workGroup of ['primary', 'analytics', 'ml-experiments', 'legacy-etl']) {
      for (const state of ['CREATING', 'CREATED', 'IDLE', 'BUSY', 'TERMINATING', 'TERMINATED', 'DEGRADED', 'FAILED']) {
        const page = await modelCall(harness.athena.url, 'ListSessions', {
          WorkGroup: workGroup,
          StateFilter: state,
          MaxResults: 3,
        });
        for (const summary of page.Sessions as { SessionId: string }[]) {
          await modelCall(harness.athena.url, 'GetSession', { SessionId: summary.SessionId });
          await modelCall(harness.athena.url, 'GetSessionStatus', { SessionId: summary.SessionId });
        }
      }
    }
  });

  it('StartSession, StartCalculationExecution, GetCalculationExecution and TerminateSession', async () => {
    const started = await modelCall(harness.athena.url, 'StartSession', {
      WorkGroup: 'sandbox',
      EngineConfiguration: { MaxConcurrentDpus: 4, SparkProperties: { 'spark.executor.memory': '4g' } },
      MonitoringConfiguration: { ManagedLoggingConfiguration: { Enabled: true }, Unknown: { X: 1 } },
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    const sessionId = started.SessionId as string;
    const details = await modelCall(harness.athena.url, 'GetSession', { SessionId: sessionId });
    expect(details.MonitoringConfiguration).toEqual({ ManagedLoggingConfiguration: { Enabled: true } });
    clock.advance(60_000);
    const calculation = await modelCall(harness.athena.url, 'StartCalculationExecution', {
      SessionId: sessionId,
      CodeBlock: 'print(1)',
    });
    const calculationExecutionId = calculation.CalculationExecutionId as string;
    await modelCall(harness.athena.url, 'GetCalculationExecution', { CalculationExecutionId: calculationExecutionId });
    clock.advance(60_000);
    const completed = await modelCall(harness.athena.url, 'GetCalculationExecution', {
      CalculationExecutionId: calculationExecutionId,
    });
    expect(completed.Status).toMatchObject({ State: 'COMPLETED' });
    await modelCall(harness.athena.url, 'TerminateSession', { SessionId: sessionId });
  });
});
