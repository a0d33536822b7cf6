// The fleet port's own decisions, without Redis: which scopes each write bumps, when, and which
// facts it keeps for the other replicas. Shared reads are replaced by a recorder; Redis itself is
// exercised in shared-reads.test.ts and shared-calculations.test.ts.
import { describe, expect, it } from 'vitest';
import type { CalculationPage } from '../../src/athena/port.js';
import { FleetAthenaPort } from '../../src/fleet/fleet-port.js';
import type { RedisLink } from '../../src/fleet/redis-link.js';
import type { SharedRead, SharedReads } from '../../src/fleet/shared-reads.js';
import { details, flush, ManualPort } from '../athena/fake-port.js';

/** Answers every read by leading it, and records what a Redis would have been told. */
class RecordingReads {
  /** Each invalidate call's scopes, in order. */
  readonly invalidated: string[][] = [];
  /** What each read would file in Redis: its own answer and what it also answers. */
  readonly filed: { cache: string; key: string }[] = [];
  readonly kept = new Map<string, unknown>();

  async read<T>(read: SharedRead<T>, signal: AbortSignal | undefined): Promise<T> {
    const value = await read.fetch(signal);
    this.filed.push({ cache: read.cache, key: read.key });
    for (const also of read.alsoCaches?.(value) ?? []) this.filed.push({ cache: also.cache, key: also.key });
    return value;
  }

  async invalidate(scopes: readonly string[]): Promise<boolean> {
    this.invalidated.push([...scopes]);
    return true;
  }

  async peek<T>(cache: string, key: string): Promise<T | undefined> {
    return this.kept.get(`${cache}:${key}`) as T | undefined;
  }

  keep(cache: string, key: string, value: unknown): void {
    this.kept.set(`${cache}:${key}`, value);
  }
}

function setup(ttlMs: number) {
  const direct = new ManualPort();
  const local = new ManualPort();
  const reads = new RecordingReads();
  const link = { usable: true, onStateChange: () => () => undefined } as unknown as RedisLink;
  const port = new FleetAthenaPort({
    link,
    reads: reads as unknown as SharedReads,
    direct,
    local: () => local,
    ttlMs,
  });
  return { direct, local, reads, port };
}

const calculationPage = (...ids: string[]): CalculationPage => ({
  calculations: ids.map((calculationExecutionId) => ({ calculationExecutionId, status: { state: 'RUNNING' } })),
});

describe('what a write makes stale on every replica', () => {
  it('with CACHE_TTL_MS=0 too, a stop of a calculation seen in its session’s list makes that session stale, before and after the call', async () => {
    const { direct, local, reads, port } = setup(0);
    const list = port.listCalculationExecutions({ sessionId: 's-1' });
    direct.last('ListCalculationExecutions').resolve(calculationPage('c-1'));
    await list;

    const stop = port.stopCalculationExecution('c-1');
    await flush();
    const expected = ['c:c-1', 's:s-1', 'lists', 'calculations', 'cl:s-1'];
    expect(reads.invalidated).toEqual([expected]);
    local.last('StopCalculationExecution').resolve({ state: 'STOPPING' });
    await stop;
    expect(reads.invalidated).toEqual([expected, expected]);
  });

  it('a stop of a calculation the fleet never saw makes that calculation and every calculation list stale, not every calculation', async () => {
    const { local, reads, port } = setup(1_000);
    const stop = port.stopCalculationExecution('c-9');
    await flush();
    local.last('StopCalculationExecution').resolve({ state: 'STOPPING' });
    await stop;
    expect(reads.invalidated).toEqual([
      ['c:c-9', 'calculation-lists'],
      ['c:c-9', 'calculation-lists'],
    ]);
  });

  it('a terminate of a session whose work group the fleet knows bumps that work group’s pages only, and the same scopes after the call', async () => {
    const { direct, local, reads, port } = setup(1_000);
    const read = port.getSession('s-1');
    direct.last('GetSession').resolve(details('s-1', 'IDLE', 'analytics'));
    await read;
    expect(reads.filed).toEqual([
      { cache: 'details', key: 's-1' },
      { cache: 'status', key: 's-1' },
    ]);

    const terminate = port.terminateSession('s-1');
    await flush();
    local.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    const expected = ['s:s-1', 'wg:analytics', 'calculations', 'cl:s-1'];
    expect(reads.invalidated).toEqual([expected, expected]);
  });

  it('a start makes its work group’s pages stale once it answered, not before', async () => {
    const { local, reads, port } = setup(1_000);
    const start = port.startSession({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } });
    await flush();
    expect(reads.invalidated).toEqual([]);
    local.last('StartSession').resolve({ sessionId: 's-new', state: 'CREATING' });
    await start;
    expect(reads.invalidated).toEqual([['wg:primary']]);
  });

  it('a started calculation’s session is kept for the other replicas, even with CACHE_TTL_MS=0; immutable fields are not', async () => {
    const { direct, local, reads, port } = setup(0);
    const start = port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    await flush();
    local.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-2', state: 'QUEUED' });
    await start;
    expect(reads.kept.get('calculation-session:c-2')).toBe('s-1');

    const read = port.getSession('s-1');
    direct.last('GetSession').resolve(details('s-1'));
    await read;
    expect(reads.kept.has('immutable:s-1')).toBe(false);
  });
});
