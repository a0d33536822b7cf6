// Readiness on its own: what makes it false, what makes it true again, and what the probe counts
// as "Athena answered".
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaError, type AthenaErrorKind, type AthenaPort } from '../../src/athena/port.js';
import type { BreakerState } from '../../src/athena/resilient-port.js';
import { athenaProbe, Readiness, type ReadinessReport } from '../../src/observability/readiness.js';
import { eventually } from './support.js';

let readiness: Readiness | undefined;
afterEach(() => readiness?.stop());

describe('Readiness', () => {
  it('is ready with nothing to say otherwise, and not once shutting down', () => {
    readiness = new Readiness();
    expect(readiness.report()).toEqual({ ready: true, accepting: true, breaker: 'none', upstream: 'unknown' });
    readiness.markShuttingDown();
    expect(readiness.report()).toMatchObject({ ready: false, accepting: false });
  });

  it('follows the breaker: open is not ready, half-open is (traffic must reach the trial call)', () => {
    let state: BreakerState = 'closed';
    readiness = new Readiness({ breakerState: () => state });
    expect(readiness.isReady()).toBe(true);
    state = 'open';
    expect(readiness.isReady()).toBe(false);
    state = 'half-open';
    expect(readiness.isReady()).toBe(true);
  });

  it('follows the last probe, probing in the background at its interval, and tells when the answer changes', async () => {
    let reachable = true;
    let probes = 0;
    const changes: ReadinessReport[] = [];
    readiness = new Readiness({
      probe: async () => {
        probes += 1;
        if (!reachable) throw new Error('down');
      },
      probeIntervalMs: 20,
      onChange: (report) => changes.push(report),
    });
    readiness.start();
    expect(await eventually(() => readiness!.report().upstream === 'reachable')).toBe(true);
    reachable = false;
    expect(await eventually(() => !readiness!.isReady())).toBe(true);
    reachable = true;
    expect(await eventually(() => readiness!.isReady())).toBe(true);
    expect(changes.map((report) => report.ready)).toEqual([true, false, true]);
    readiness.stop();
    const stoppedAt = probes;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(probes).toBe(stoppedAt);
  });

  it('a probe that hangs counts as unreachable after its timeout', async () => {
    readiness = new Readiness({
      probe: (signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      probeTimeoutMs: 50,
    });
    await readiness.probeNow();
    expect(readiness.report()).toMatchObject({ ready: false, upstream: 'unreachable' });
  });

  it('concurrent probes share one call', async () => {
    let probes = 0;
    readiness = new Readiness({
      probe: async () => {
        probes += 1;
      },
    });
    await Promise.all([readiness.probeNow(), readiness.probeNow(), readiness.probeNow()]);
    expect(probes).toBe(1);
  });
});

describe('athenaProbe', () => {
  const portFailingWith = (kind: AthenaErrorKind | undefined): AthenaPort =>
    ({
      getSessionStatus: async () => {
        if (kind === undefined) return { sessionId: 'x', status: { state: 'IDLE' } };
        throw new AthenaError(kind, 'GetSessionStatus', kind);
      },
    }) as unknown as AthenaPort;

  it.each<AthenaErrorKind | undefined>([undefined, 'not-found', 'invalid-request', 'throttled'])(
    '%s means Athena answered',
    async (kind) => {
      await expect(athenaProbe(portFailingWith(kind))(AbortSignal.timeout(1_000))).resolves.toBeUndefined();
    },
  );

  it.each<AthenaErrorKind>(['unavailable', 'aborted'])('%s means it did not', async (kind) => {
    await expect(athenaProbe(portFailingWith(kind))(AbortSignal.timeout(1_000))).rejects.toThrow(AthenaError);
  });
});
