import {
  AthenaServiceException,
  GetSessionCommand,
  GetSessionStatusCommand,
  InternalServerException,
  InvalidRequestException,
  ListSessionsCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { FaultInjector } from '../../src/local-athena/fault-injector.js';
import type { LocalHarness } from './support.js';
import { createClient, rejectionOf, startHarness } from './support.js';

// Injected faults as the real SDK sees them (maxAttempts 1), and exact call counting.

describe('fault injection through the SDK', () => {
  let harness: LocalHarness;
  let sessionId: string;

  beforeAll(async () => {
    harness = await startHarness({ clock: new ManualClock() });
    sessionId = harness.athena.store.addSession({ workGroup: 'faults' }).sessionId;
  });
  afterAll(() => harness.close());
  afterEach(() => {
    harness.athena.faults.clear();
    harness.athena.faults.setGlobalLatency(0);
    harness.athena.calls.reset();
  });

  const getSession = () => harness.client.send(new GetSessionCommand({ SessionId: sessionId }));

  it('answers InternalServerException (500) for the next N calls, then recovers', async () => {
    harness.athena.faults.set('GetSession', { error: 'InternalServerException', count: 3 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const error = await rejectionOf(getSession());
      expect(error).toBeInstanceOf(InternalServerException);
      expect((error as unknown as AthenaServiceException).$metadata.httpStatusCode).toBe(500);
      expect((error as unknown as AthenaServiceException).$fault).toBe('server');
    }
    await expect(getSession()).resolves.toMatchObject({ SessionId: sessionId });
    expect(harness.athena.calls.count('GetSession')).toBe(4);
  });

  it('answers TooManyRequestsException (400) with a Reason', async () => {
    harness.athena.faults.set('GetSession', { error: 'TooManyRequestsException', count: 1 });
    const error = await rejectionOf(getSession());
    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect((error as unknown as TooManyRequestsException).Reason).toBe('CONCURRENT_QUERY_LIMIT_EXCEEDED');
    expect((error as unknown as AthenaServiceException).$metadata.httpStatusCode).toBe(400);
    await expect(getSession()).resolves.toBeDefined();
  });

  it('drops the connection without a response', async () => {
    harness.athena.faults.set('GetSession', { error: 'drop', count: 1 });
    const error = await rejectionOf(getSession());
    expect(error).not.toBeInstanceOf(AthenaServiceException);
    expect(`${String(error.code)} ${error.message}`).toMatch(/ECONNRESET|socket hang up|other side closed/i);
    await expect(getSession()).resolves.toBeDefined();
    expect(harness.athena.calls.count('GetSession')).toBe(2);
  });

  it('adds measurable latency to one operation only', async () => {
    harness.athena.faults.set('GetSessionStatus', { latencyMs: 250 });
    const slowStart = performance.now();
    await harness.client.send(new GetSessionStatusCommand({ SessionId: sessionId }));
    expect(performance.now() - slowStart).toBeGreaterThanOrEqual(240);

    const fastStart = performance.now();
    await getSession();
    // Generous: only shows the latency is not applied, even on a loaded machine.
    expect(performance.now() - fastStart).toBeLessThan(240);
  });

  it('applies a global latency and "*" faults to every operation', async () => {
    harness.athena.faults.setGlobalLatency(60);
    const start = performance.now();
    await getSession();
    expect(performance.now() - start).toBeGreaterThanOrEqual(55);
    harness.athena.faults.setGlobalLatency(0);

    harness.athena.faults.set('*', { error: 'InternalServerException', count: 2 });
    expect(await rejectionOf(getSession())).toBeInstanceOf(InternalServerException);
    expect(await rejectionOf(harness.client.send(new ListSessionsCommand({ WorkGroup: 'faults' })))).toBeInstanceOf(
      InternalServerException,
    );
    await expect(getSession()).resolves.toBeDefined();
  });

  it('fails a share of calls with rate', async () => {
    harness.athena.faults.set('GetSession', { error: 'InternalServerException', rate: 0.5 });
    let failures = 0;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      try {
        await getSession();
      } catch (error) {
        expect(error).toBeInstanceOf(InternalServerException);
        failures += 1;
      }
    }
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
  });

  it('counts every call: successes, faults, drops and validation failures', async () => {
    harness.athena.faults.set('GetSession', { error: 'drop', count: 1 });
    await rejectionOf(getSession());
    await getSession();
    expect(await rejectionOf(harness.client.send(new GetSessionCommand({ SessionId: '' })))).toBeInstanceOf(
      InvalidRequestException,
    );
    await harness.client.send(new ListSessionsCommand({ WorkGroup: 'faults' }));
    expect(harness.athena.calls.counts()).toEqual({ GetSession: 3, ListSessions: 1 });
    expect(harness.athena.calls.total()).toBe(4);
    harness.athena.calls.reset();
    expect(harness.athena.calls.counts()).toEqual({});
    expect(harness.athena.calls.count('GetSession')).toBe(0);
  });

  it('counts the SDK retries the upstream actually received', async () => {
    const retrying = createClient(harness.athena.url, 3);
    try {
      harness.athena.faults.set('GetSession', { error: 'InternalServerException', count: 2 });
      const response = await retrying.send(new GetSessionCommand({ SessionId: sessionId }));
      expect(response.$metadata.attempts).toBe(3);
      expect(harness.athena.calls.count('GetSession')).toBe(3);
    } finally {
      retrying.destroy();
    }
  });
});

describe('closing the service', () => {
  it('closes promptly even with calls waiting on injected latency and idle keep-alive sockets', async () => {
    const harness = await startHarness({ latencyMs: 0 });
    const sessionId = harness.athena.store.addSession({ workGroup: 'close' }).sessionId;
    await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    harness.athena.faults.setGlobalLatency(10_000);
    const pending = harness.client
      .send(new GetSessionCommand({ SessionId: sessionId }))
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const start = performance.now();
    await harness.athena.close();
    expect(performance.now() - start).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
    await harness.athena.close();
    harness.client.destroy();
  });

  it('uses the latencyMs option as the global latency', async () => {
    const harness = await startHarness({ latencyMs: 40 });
    try {
      expect(harness.athena.faults.globalLatencyMs).toBe(40);
      harness.athena.store.createWorkGroup('slow');
      const start = performance.now();
      await harness.client.send(new ListSessionsCommand({ WorkGroup: 'slow' }));
      expect(performance.now() - start).toBeGreaterThanOrEqual(35);
    } finally {
      await harness.close();
    }
  });
});

describe('FaultInjector', () => {
  it('adds latencies and prefers the operation spec for errors', () => {
    const faults = new FaultInjector({ globalLatencyMs: 5, random: () => 0 });
    faults.set('*', { latencyMs: 10, error: 'TooManyRequestsException' });
    faults.set('GetSession', { latencyMs: 20, error: 'drop', count: 1 });
    expect(faults.decide('GetSession')).toEqual({ latencyMs: 35, error: 'drop', message: undefined });
    expect(faults.decide('GetSession')).toMatchObject({ latencyMs: 35, error: 'TooManyRequestsException' });
    expect(faults.decide('ListSessions')).toMatchObject({ latencyMs: 15, error: 'TooManyRequestsException' });
    faults.clear('*');
    expect(faults.decide('GetSession')).toEqual({ latencyMs: 25 });
    expect(faults.snapshot().faults.GetSession).toMatchObject({ count: 1, remaining: 0 });
    faults.clear();
    expect(faults.snapshot()).toEqual({ globalLatencyMs: 5, faults: {} });
  });

  it('rejects bad specs', () => {
    const faults = new FaultInjector();
    expect(() => faults.set('Nope' as never, {})).toThrow(RangeError);
    expect(() => faults.set('GetSession', { rate: 2 })).toThrow(RangeError);
    expect(() => faults.set('GetSession', { latencyMs: -1 })).toThrow(RangeError);
    expect(() => faults.set('GetSession', { count: 1.5 })).toThrow(RangeError);
    expect(() => faults.set('GetSession', { error: 'Boom' as never })).toThrow(RangeError);
    expect(() => faults.setGlobalLatency(Number.NaN)).toThrow(RangeError);
  });
});
