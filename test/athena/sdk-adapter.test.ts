// The adapter over the real SDK and real HTTP: shapes mapped to our types, faults retried where
// they should be and classified where they should not.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AthenaError, isAthenaError } from '../../src/athena/port.js';
import { SdkAthenaAdapter } from '../../src/athena/sdk-adapter.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { testConfig } from '../test-config.js';

let athena: LocalAthena;
let adapter: SdkAthenaAdapter;
const events: { operation: string; outcome: string; attempts: number }[] = [];

const settings = (overrides: Partial<ReturnType<typeof testConfig>['athena']> = {}) => ({
  ...testConfig().athena,
  mode: 'embedded' as const,
  endpoint: athena.url,
  requestTimeoutMs: 500,
  ...overrides,
});

beforeAll(async () => {
  athena = await startLocalAthena({ seed: 'demo' });
  adapter = new SdkAthenaAdapter({ settings: settings(), onCall: (event) => events.push(event) });
});
afterAll(async () => {
  adapter.destroy();
  await athena.close();
});
beforeEach(() => {
  athena.calls.reset();
  athena.faults.clear();
  events.length = 0;
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

describe('shapes', () => {
  it('lists, gets and reads status in camelCase domain types with Dates', async () => {
    const page = await adapter.listSessions({ workGroup: 'primary', maxResults: 5 });
    expect(page.sessions).toHaveLength(5);
    expect(page.nextToken).toEqual(expect.any(String));
    const summary = page.sessions[0]!;
    expect(summary.status.startDateTime).toBeInstanceOf(Date);
    const details = await adapter.getSession(summary.sessionId);
    expect(details).toMatchObject({
      sessionId: summary.sessionId,
      workGroup: 'primary',
      status: { state: summary.status.state },
    });
    expect(details.engineConfiguration?.sparkProperties).toEqual(expect.any(Object));
    const status = await adapter.getSessionStatus(summary.sessionId);
    expect(status.status.state).toBe(summary.status.state);
    expect(events.map((event) => event.operation)).toEqual(['ListSessions', 'GetSession', 'GetSessionStatus']);
  });

  it('starts, runs a calculation and terminates', async () => {
    const started = await adapter.startSession({
      workGroup: 'sandbox',
      engineConfiguration: { maxConcurrentDpus: 4 },
      clientRequestToken: 'adapter-test-token-0000-0000-000000',
    });
    expect(started.state).toBe('CREATING');
    const again = await adapter.startSession({
      workGroup: 'sandbox',
      engineConfiguration: { maxConcurrentDpus: 4 },
      clientRequestToken: 'adapter-test-token-0000-0000-000000',
    });
    expect(again.sessionId).toBe(started.sessionId);
    const terminated = await adapter.terminateSession(started.sessionId);
    expect(['TERMINATING', 'TERMINATED']).toContain(terminated.state);
  });
});

describe('errors are classified once, in the adapter', () => {
  it('an unknown session is not-found, not retried', async () => {
    const error = await rejection(adapter.getSession('no-such-session'));
    expect(error.kind).toBe('not-found');
    expect(athena.calls.count('GetSession')).toBe(1);
  });

  it('invalid input is invalid-request, not retried', async () => {
    const error = await rejection(adapter.listSessions({ workGroup: 'primary', maxResults: 1000 }));
    expect(error.kind).toBe('invalid-request');
    expect(athena.calls.count('ListSessions')).toBe(1);
  });

  it('500s are retried and succeed when the service recovers', async () => {
    athena.faults.set('GetSessionStatus', { error: 'InternalServerException', count: 2 });
    const page = await adapter.listSessions({ workGroup: 'primary', maxResults: 1 });
    const status = await adapter.getSessionStatus(page.sessions[0]!.sessionId);
    expect(status.sessionId).toBe(page.sessions[0]!.sessionId);
    expect(athena.calls.count('GetSessionStatus')).toBe(3);
    expect(events.at(-1)).toMatchObject({ operation: 'GetSessionStatus', outcome: 'ok', attempts: 3 });
  });

  it('throttling is retried, and classified as throttled when it persists', async () => {
    athena.faults.set('ListSessions', { error: 'TooManyRequestsException', rate: 1 });
    const error = await rejection(adapter.listSessions({ workGroup: 'primary' }));
    expect(error.kind).toBe('throttled');
    expect(athena.calls.count('ListSessions')).toBe(3);
  });

  it('persistent 500s are unavailable after the configured attempts', async () => {
    athena.faults.set('GetSession', { error: 'InternalServerException', rate: 1 });
    const error = await rejection(adapter.getSession('whatever'));
    expect(error.kind).toBe('unavailable');
    expect(athena.calls.count('GetSession')).toBe(3);
    expect(error.message).toContain('InternalServerException');
  });

  it('a dropped connection is retried', async () => {
    athena.faults.set('ListSessions', { error: 'drop', count: 1 });
    const page = await adapter.listSessions({ workGroup: 'analytics', maxResults: 2 });
    expect(page.sessions).toHaveLength(2);
    expect(athena.calls.count('ListSessions')).toBe(2);
  });

  it('a response slower than the request timeout really fails the call', async () => {
    const impatient = new SdkAthenaAdapter({ settings: settings({ requestTimeoutMs: 100, maxAttempts: 1 }) });
    athena.faults.set('ListSessions', { latencyMs: 1_000 });
    const started = performance.now();
    const error = await rejection(impatient.listSessions({ workGroup: 'primary' }));
    expect(error.kind).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(900);
    impatient.destroy();
  });

  it("the caller's abort signal cancels the call", async () => {
    athena.faults.set('ListSessions', { latencyMs: 1_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const error = await rejection(adapter.listSessions({ workGroup: 'primary' }, { signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(900);
  });
});
