import { GetSessionCommand, InternalServerException, TooManyRequestsException } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { LocalHarness } from './support.js';
import { rejectionOf, startHarness } from './support.js';

// The /_local/ control API, as a separate process (a benchmark) would use it.

describe('control HTTP API', () => {
  let harness: LocalHarness;
  let sessionId: string;

  beforeAll(async () => {
    harness = await startHarness({ clock: new ManualClock() });
    sessionId = harness.athena.store.addSession({ workGroup: 'control' }).sessionId;
  });
  afterAll(() => harness.close());

  async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${harness.athena.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  }

  const getSession = () => harness.client.send(new GetSessionCommand({ SessionId: sessionId }));

  it('answers health', async () => {
    expect(await control('GET', '/_local/health')).toEqual({ status: 200, json: { status: 'ok' } });
  });

  it('configures a counted fault, reads and resets call counts', async () => {
    await control('POST', '/_local/calls/reset');
    const set = await control('POST', '/_local/faults', {
      operation: 'GetSession',
      error: 'InternalServerException',
      count: 2,
      latencyMs: 5,
    });
    expect(set.status).toBe(200);
    expect(set.json.faults.GetSession).toMatchObject({ error: 'InternalServerException', count: 2, remaining: 2 });

    expect(await rejectionOf(getSession())).toBeInstanceOf(InternalServerException);
    expect(await rejectionOf(getSession())).toBeInstanceOf(InternalServerException);
    await getSession();

    const calls = await control('GET', '/_local/calls');
    expect(calls).toEqual({ status: 200, json: { counts: { GetSession: 3 }, total: 3 } });
    const faults = await control('GET', '/_local/faults');
    expect(faults.json.faults.GetSession.remaining).toBe(0);

    expect(await control('POST', '/_local/calls/reset')).toEqual({ status: 200, json: { counts: {}, total: 0 } });
    expect(harness.athena.calls.total()).toBe(0);
  });

  it('applies a fault without operation to every operation, and clears faults', async () => {
    await control('POST', '/_local/faults', { error: 'TooManyRequestsException', rate: 1 });
    expect(await rejectionOf(getSession())).toBeInstanceOf(TooManyRequestsException);
    const cleared = await control('DELETE', '/_local/faults');
    expect(cleared.json.faults).toEqual({});
    await expect(getSession()).resolves.toBeDefined();
  });

  it('clears one operation with ?operation=', async () => {
    await control('POST', '/_local/faults', { operation: 'GetSession', error: 'drop' });
    await control('POST', '/_local/faults', { operation: 'ListSessions', latencyMs: 1 });
    const afterDelete = await control('DELETE', '/_local/faults?operation=GetSession');
    expect(Object.keys(afterDelete.json.faults)).toEqual(['ListSessions']);
    await expect(getSession()).resolves.toBeDefined();
    await control('DELETE', '/_local/faults');
  });

  it('sets the global latency', async () => {
    const response = await control('PUT', '/_local/latency', { latencyMs: 80 });
    expect(response.json.globalLatencyMs).toBe(80);
    const start = performance.now();
    await getSession();
    expect(performance.now() - start).toBeGreaterThanOrEqual(75);
    // The global latency survives DELETE /_local/faults; it is reset explicitly.
    await control('DELETE', '/_local/faults');
    expect(harness.athena.faults.globalLatencyMs).toBe(80);
    await control('POST', '/_local/latency', { latencyMs: 0 });
    expect(harness.athena.faults.globalLatencyMs).toBe(0);
  });

  it('rejects bad control requests with 400, unknown endpoints with 404', async () => {
    for (const body of [
      '{not json',
      { operation: 'DeleteEverything', error: 'drop' },
      { operation: 'GetSession', error: 'Explode' },
      { operation: 'GetSession', rate: 1.5 },
      { operation: 'GetSession', latencyMs: -1 },
      { operation: 'GetSession', count: 0.5 },
      { operation: 'GetSession', unknownMember: true },
      [1, 2],
    ]) {
      const response = await control('POST', '/_local/faults', body);
      expect(response.status).toBe(400);
      expect(typeof response.json.error).toBe('string');
    }
    expect((await control('PUT', '/_local/latency', { latencyMs: 'fast' })).status).toBe(400);
    expect((await control('DELETE', '/_local/faults?operation=Nope')).status).toBe(400);
    expect((await control('GET', '/_local/nothing-here')).status).toBe(404);
    expect((await control('DELETE', '/_local/calls')).status).toBe(404);
  });

  it('does not count control requests as Athena calls', async () => {
    harness.athena.calls.reset();
    await control('GET', '/_local/calls');
    await control('GET', '/_local/faults');
    expect(harness.athena.calls.total()).toBe(0);
  });
});
