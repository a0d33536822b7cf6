// The caching port's rules for ListWorkGroups pages and GetWorkGroup answers, over a port whose
// calls the test settles by hand: shared in flight, served again only within the TTL, never with 0.
import { describe, expect, it } from 'vitest';
import { type CacheEvent, CachingAthenaPort } from '../../src/athena/caching-port.js';
import type { WorkGroupPage, WorkGroupSummary } from '../../src/athena/port.js';
import { ManualClock, ManualPort } from './fake-port.js';

const TTL = 1_000;
const row = (name: string): WorkGroupSummary => ({
  name,
  state: 'ENABLED',
  engineVersion: { effectiveEngineVersion: 'PySpark engine version 3' },
});
const listPage = (...names: string[]): WorkGroupPage => ({ workGroups: names.map(row) });

function setup(ttlMs = TTL) {
  const inner = new ManualPort();
  const clock = new ManualClock();
  const events: CacheEvent[] = [];
  const port = new CachingAthenaPort(inner, { ttlMs, now: clock.now, onCacheEvent: (event) => events.push(event) });
  return { inner, clock, events, port };
}

describe('work-group reads in the caching port', () => {
  it('identical reads in flight make one call; different pages and names do not share', async () => {
    const { inner, port, events } = setup();
    const lists = [port.listWorkGroups({ maxResults: 50 }), port.listWorkGroups({ maxResults: 50 })];
    const other = port.listWorkGroups({ maxResults: 50, nextToken: 't2' });
    const gets = [port.getWorkGroup('primary'), port.getWorkGroup('primary'), port.getWorkGroup('analytics')];
    expect(inner.count('ListWorkGroups')).toBe(2);
    expect(inner.count('GetWorkGroup')).toBe(2);
    for (const call of inner.calls)
      call.resolve(call.operation === 'ListWorkGroups' ? listPage('primary') : row(call.argument as string));
    expect((await Promise.all(lists)).map((page) => page.workGroups[0]!.name)).toEqual(['primary', 'primary']);
    await other;
    expect((await Promise.all(gets)).map((workGroup) => workGroup.name)).toEqual(['primary', 'primary', 'analytics']);
    expect(events.filter((event) => event.cache === 'workGroups').map((event) => event.outcome)).toEqual([
      'miss',
      'shared',
      'miss',
      'miss',
      'shared',
      'miss',
    ]);
  });

  it('serves a page and a GetWorkGroup answer again within the TTL, and calls again after it', async () => {
    const { inner, clock, port } = setup();
    const first = port.listWorkGroups({ maxResults: 50 });
    inner.last('ListWorkGroups').resolve(listPage('primary', 'analytics'));
    await first;
    const get = port.getWorkGroup('primary');
    inner.last('GetWorkGroup').resolve(row('primary'));
    await get;
    clock.advance(TTL - 1);
    await port.listWorkGroups({ maxResults: 50 });
    await port.getWorkGroup('primary');
    expect(inner.count()).toBe(2);
    clock.advance(1);
    const later = port.listWorkGroups({ maxResults: 50 });
    expect(inner.count('ListWorkGroups')).toBe(2);
    inner.last('ListWorkGroups').resolve(listPage('primary'));
    expect((await later).workGroups).toHaveLength(1);
  });

  it('keeps nothing with CACHE_TTL_MS=0', async () => {
    const { inner, port } = setup(0);
    for (let i = 1; i <= 2; i += 1) {
      const read = port.getWorkGroup('primary');
      expect(inner.count('GetWorkGroup')).toBe(i);
      inner.last('GetWorkGroup').resolve(row('primary'));
      await read;
    }
  });

  it('a failed read is not kept', async () => {
    const { inner, port } = setup();
    const failed = port.getWorkGroup('primary');
    inner.last('GetWorkGroup').reject(new Error('boom'));
    await expect(failed).rejects.toThrow('boom');
    const again = port.getWorkGroup('primary');
    expect(inner.count('GetWorkGroup')).toBe(2);
    inner.last('GetWorkGroup').resolve(row('primary'));
    await again;
  });
});
