// The calculation operations of the adapter over the real SDK and real HTTP: shapes mapped to our
// types, and Athena's reason kept on a request it refused (the schema shows it to the caller).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AthenaError, isAthenaError } from '../../src/athena/port.js';
import { SdkAthenaAdapter } from '../../src/athena/sdk-adapter.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { testConfig } from '../test-config.js';

let athena: LocalAthena;
let adapter: SdkAthenaAdapter;

beforeAll(async () => {
  athena = await startLocalAthena({ seed: 'demo' });
  adapter = new SdkAthenaAdapter({ settings: { ...testConfig().athena, mode: 'embedded', endpoint: athena.url } });
});
afterAll(async () => {
  adapter.destroy();
  await athena.close();
});

async function rejection(promise: Promise<unknown>): Promise<AthenaError> {
  try {
    await promise;
  } catch (error) {
    if (isAthenaError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('calculations', () => {
  it('start, details, status, code, list and stop in camelCase domain types with Dates', async () => {
    const { sessions } = await adapter.listSessions({ workGroup: 'analytics', stateFilter: 'IDLE', maxResults: 1 });
    const sessionId = sessions[0]!.sessionId;
    const started = await adapter.startCalculationExecution({
      sessionId,
      codeBlock: 'print(42)',
      description: 'adapter',
    });
    expect(started.calculationExecutionId).toEqual(expect.any(String));

    const details = await adapter.getCalculationExecution(started.calculationExecutionId);
    expect(details).toMatchObject({
      calculationExecutionId: started.calculationExecutionId,
      sessionId,
      description: 'adapter',
    });
    expect(details.status.submissionDateTime).toBeInstanceOf(Date);
    expect(details.workingDirectory).toEqual(expect.any(String));

    const status = await adapter.getCalculationExecutionStatus(started.calculationExecutionId);
    expect(status.status.state).toBe(details.status.state);
    expect(await adapter.getCalculationExecutionCode(started.calculationExecutionId)).toBe('print(42)');

    const page = await adapter.listCalculationExecutions({ sessionId, maxResults: 10 });
    expect(page.calculations[0]).toMatchObject({
      calculationExecutionId: started.calculationExecutionId,
      description: 'adapter',
    });
    expect(page.calculations[0]!.status.submissionDateTime).toBeInstanceOf(Date);

    const stopped = await adapter.stopCalculationExecution(started.calculationExecutionId);
    expect(['CANCELING', 'CANCELED']).toContain(stopped.state);
  });

  it("keeps Athena's reason on a refused request, and only there", async () => {
    // A Spark 3.5 session runs code through Spark Connect, not calculations.
    const { sessions } = await adapter.listSessions({
      workGroup: 'ml-experiments',
      stateFilter: 'IDLE',
      maxResults: 1,
    });
    const refused = await rejection(
      adapter.startCalculationExecution({ sessionId: sessions[0]!.sessionId, codeBlock: '1' }),
    );
    expect(refused.kind).toBe('invalid-request');
    expect(refused.reason).toEqual(expect.stringContaining('Spark Connect'));
    const missing = await rejection(adapter.getCalculationExecution('00000000-0000-4000-8000-000000000000'));
    expect(missing.kind).toBe('not-found');
    expect(missing.reason).toBeUndefined();
  });
});
