// The caching port's rules, call by call, over a port whose calls the test settles by hand.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CacheEvent, CachingAthenaPort } from '../../src/athena/caching-port.js';
import { type AthenaPort, isAthenaError } from '../../src/athena/port.js';
import { details, flush, ManualClock, ManualPort, page, status } from './fake-port.js';

const TTL = 1_000;

function setup(ttlMs = TTL, extra: { maxSessions?: number; maxPages?: number } = {}) {
  const inner = new ManualPort();
  const clock = new ManualClock();
  const events: CacheEvent[] = [];
  const port = new CachingAthenaPort(inner, {
    ttlMs,
    now: clock.now,
    onCacheEvent: (event) => events.push(event),
    ...extra,
  });
  return { inner, clock, events, port };
}

/** Outcomes reported to onCacheEvent for one cache, counted. */
function tally(events: readonly CacheEvent[], cache: CacheEvent['cache']) {
  const counts = { hit: 0, miss: 0, shared: 0 };
  for (const event of events) if (event.cache === cache) counts[event.outcome] += 1;
  return counts;
}

describe('sharing identical calls in flight', () => {
  it('fifty concurrent status reads of one session make one GetSessionStatus', async () => {
    const { inner, port, events } = setup();
    const reads = Array.from({ length: 50 }, () =>
      port.getSessionStatus('s-1', { signal: new AbortController().signal }),
    );
    expect(inner.count('GetSessionStatus')).toBe(1);
    inner.last('GetSessionStatus').resolve(status('s-1', 'BUSY'));
    const results = await Promise.all(reads);
    expect(results.every((result) => result.status.state === 'BUSY')).toBe(true);
    expect(tally(events, 'status')).toEqual({ hit: 0, miss: 1, shared: 49 });
    // The answered call is no longer in flight: the next read is served from the cache.
    await port.getSessionStatus('s-1');
    expect(tally(events, 'status')).toEqual({ hit: 1, miss: 1, shared: 49 });
    expect(inner.count('GetSessionStatus')).toBe(1);
  });

  it('shares with CACHE_TTL_MS=0 too, and reuses nothing once the call has answered', async () => {
    const { inner, port } = setup(0);
    const first = [port.getSession('s-1'), port.getSession('s-1')];
    expect(inner.count('GetSession')).toBe(1);
    inner.last('GetSession').resolve(details('s-1'));
    await Promise.all(first);
    const again = port.getSession('s-1');
    expect(inner.count('GetSession')).toBe(2);
    inner.last('GetSession').resolve(details('s-1'));
    await again;
    const immutable = port.getImmutableSession('s-1');
    expect(inner.count('GetSession')).toBe(3);
    inner.last('GetSession').resolve(details('s-1'));
    expect((await immutable).fields.engineConfiguration?.maxConcurrentDpus).toBe(20);
    const statusRead = port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(1);
    inner.last('GetSessionStatus').resolve(status('s-1'));
    await statusRead;
    void port.getSessionStatus('s-1');
    void port.getImmutableSession('s-1');
    expect(inner.count('GetSessionStatus')).toBe(2);
    expect(inner.count('GetSession')).toBe(4);
  });

  it('does not share different sessions, pages or operations', async () => {
    const { inner, port } = setup();
    void port.getSession('s-1');
    void port.getSession('s-2');
    void port.getSessionStatus('s-1');
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    void port.listSessions({ workGroup: 'primary', maxResults: 100, nextToken: 't' });
    void port.listSessions({ workGroup: 'primary', stateFilter: 'IDLE', maxResults: 100 });
    expect(inner.count()).toBe(6);
  });

  it('gives a shared failure to every waiter, and keeps nothing of it', async () => {
    const { inner, port } = setup();
    const reads = [port.getSessionStatus('s-1'), port.getSessionStatus('s-1')];
    inner.last('GetSessionStatus').reject(new Error('upstream down'));
    for (const read of reads) await expect(read).rejects.toThrow('upstream down');
    const retry = port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(2);
    inner.last('GetSessionStatus').resolve(status('s-1'));
    await expect(retry).resolves.toEqual(status('s-1'));
  });
});

describe('abort signals of shared calls', () => {
  it('one waiter leaving rejects that waiter only; the call goes on for the others', async () => {
    const { inner, port } = setup();
    const leaving = new AbortController();
    const staying = new AbortController();
    const left = port.getSessionStatus('s-1', { signal: leaving.signal });
    const stays = port.getSessionStatus('s-1', { signal: staying.signal });
    const upstream = inner.last('GetSessionStatus');
    leaving.abort();
    const error = await left.catch((reason: unknown) => reason);
    expect(isAthenaError(error, 'aborted')).toBe(true);
    expect(upstream.signal?.aborted).toBe(false);
    upstream.resolve(status('s-1', 'BUSY'));
    await expect(stays).resolves.toMatchObject({ status: { state: 'BUSY' } });
  });

  it('the upstream call is aborted when every waiter has left, and a later caller makes a new one', async () => {
    const { inner, port } = setup();
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const reads = controllers.map((controller) =>
      port.getSession('s-1', { signal: controller.signal }).catch((error: unknown) => error),
    );
    const upstream = inner.last('GetSession');
    controllers[0]!.abort();
    controllers[1]!.abort();
    await flush();
    expect(upstream.signal?.aborted).toBe(false);
    controllers[2]!.abort();
    expect(upstream.signal?.aborted).toBe(true);
    for (const error of await Promise.all(reads)) expect(isAthenaError(error, 'aborted')).toBe(true);

    const later = port.getSession('s-1');
    expect(inner.count('GetSession')).toBe(2);
    inner.last('GetSession').resolve(details('s-1'));
    await expect(later).resolves.toMatchObject({ sessionId: 's-1' });
  });

  it('a waiter without a signal keeps the call alive', async () => {
    const { inner, port } = setup();
    const controller = new AbortController();
    const left = port.getSessionStatus('s-1', { signal: controller.signal }).catch((error: unknown) => error);
    const stays = port.getSessionStatus('s-1');
    controller.abort();
    expect(isAthenaError(await left, 'aborted')).toBe(true);
    expect(inner.last('GetSessionStatus').signal?.aborted).toBe(false);
    inner.last('GetSessionStatus').resolve(status('s-1'));
    await expect(stays).resolves.toEqual(status('s-1'));
  });

  it('leaves no abort listener on a caller’s signal once its read answered or failed', async () => {
    const { inner, port } = setup();
    const answered = new AbortController();
    const failed = new AbortController();
    const read = port.getSessionStatus('s-1', { signal: answered.signal });
    const failing = port.getSession('s-2', { signal: failed.signal }).catch((error: unknown) => error);
    expect(getEventListeners(answered.signal, 'abort')).toHaveLength(1);
    inner.last('GetSessionStatus').resolve(status('s-1'));
    inner.last('GetSession').reject(new Error('boom'));
    await read;
    await failing;
    // A long-lived signal (a subscription's) would otherwise hold one listener per read it made.
    expect(getEventListeners(answered.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(failed.signal, 'abort')).toHaveLength(0);
  });

  it('a caller whose signal is already aborted makes no call', async () => {
    const { inner, port } = setup();
    const error = await port
      .listSessions({ workGroup: 'primary' }, { signal: AbortSignal.abort() })
      .catch((reason: unknown) => reason);
    expect(isAthenaError(error, 'aborted')).toBe(true);
    expect(inner.count()).toBe(0);
  });
});

describe('time to live', () => {
  it('serves status, details and pages again only within the TTL of when their call was sent', async () => {
    const { inner, port, clock } = setup();
    const read = port.getSessionStatus('s-1');
    clock.advance(400); // the answer takes 400 ms: it is as old as the call, not the answer
    inner.last('GetSessionStatus').resolve(status('s-1'));
    await read;
    clock.advance(599);
    await port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(1);
    clock.advance(1);
    void port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(2);

    const list = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    inner.last('ListSessions').resolve(page('s-1', 's-2'));
    await list;
    await port.listSessions({ workGroup: 'primary', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(1);
    clock.advance(TTL);
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(2);
  });

  it('a GetSession answers later status reads, and its immutable fields outlive the TTL', async () => {
    const { inner, port, clock } = setup();
    const read = port.getSession('s-1');
    inner.last('GetSession').resolve(details('s-1', 'BUSY'));
    await read;
    await expect(port.getSessionStatus('s-1')).resolves.toMatchObject({ status: { state: 'BUSY' } });
    expect(inner.count()).toBe(1);

    clock.advance(TTL * 100);
    const immutable = await port.getImmutableSession('s-1');
    expect(immutable.details).toBeUndefined();
    expect(immutable.fields).toMatchObject({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } });
    expect(immutable.fields).not.toHaveProperty('status');
    expect(immutable.fields).not.toHaveProperty('statistics');
    expect(inner.count()).toBe(1);
    // Statistics and status change: after the TTL they take a call again.
    void port.getSession('s-1');
    void port.getSessionStatus('s-1');
    expect(inner.count()).toBe(3);
  });

  it('an immutable miss makes one shared GetSession and hands its whole answer back', async () => {
    const { inner, port } = setup();
    const a = port.getImmutableSession('s-1');
    const b = port.getSession('s-1');
    expect(inner.count('GetSession')).toBe(1);
    inner.last('GetSession').resolve(details('s-1'));
    expect((await a).details).toEqual(await b);
  });
});

describe('writes through the gateway', () => {
  async function warm(port: CachingAthenaPort, inner: ManualPort) {
    const reads = [
      port.getSession('s-1'),
      port.getSessionStatus('s-2'),
      port.listSessions({ workGroup: 'primary', maxResults: 100 }),
      port.listSessions({ workGroup: 'analytics', maxResults: 100 }),
    ];
    inner.last('GetSession').resolve(details('s-1', 'IDLE', 'primary'));
    inner.last('GetSessionStatus').resolve(status('s-2'));
    inner.calls.filter((call) => call.operation === 'ListSessions')[0]!.resolve(page('s-1', 's-2'));
    inner.calls.filter((call) => call.operation === 'ListSessions')[1]!.resolve(page('s-9'));
    await Promise.all(reads);
    inner.calls.length = 0;
  }

  it('terminating a session drops its status, its details and every page of its work group', async () => {
    const { inner, port } = setup();
    await warm(port, inner);
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    inner.calls.length = 0;

    void port.getSession('s-1');
    void port.getSessionStatus('s-1');
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    await port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    await port.getSessionStatus('s-2');
    expect(inner.calls.map((call) => call.operation)).toEqual(['GetSession', 'GetSessionStatus', 'ListSessions']);
    // The session's configuration never changes, so it stays.
    await port.getImmutableSession('s-1');
    expect(inner.count()).toBe(3);
  });

  it('finds the work group of a session it only saw in a list, and drops every page when it cannot tell', async () => {
    const { inner, port } = setup();
    await warm(port, inner);
    const listed = port.terminateSession('s-2'); // on a cached primary page
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await listed;
    await port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(0);

    const unknown = port.terminateSession('s-unknown');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await unknown;
    void port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(1);
  });

  it('a read in flight during a terminate answers its own callers but is neither joined nor kept', async () => {
    const { inner, port } = setup();
    const before = port.getSessionStatus('s-1');
    const pageBefore = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    const terminate = port.terminateSession('s-1');
    const during = port.getSessionStatus('s-1'); // after the terminate was sent: a call of its own
    expect(inner.count('GetSessionStatus')).toBe(2);
    inner.calls[0]!.resolve(status('s-1', 'IDLE'));
    inner.calls[1]!.resolve(page('s-1'));
    await expect(before).resolves.toMatchObject({ status: { state: 'IDLE' } });
    await pageBefore;
    inner.last('GetSessionStatus').resolve(status('s-1', 'IDLE')); // Athena had not processed the terminate yet
    await during;
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;

    const after = port.getSessionStatus('s-1');
    const pageAfter = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    expect(inner.count('GetSessionStatus')).toBe(3);
    expect(inner.count('ListSessions')).toBe(2);
    inner.last('GetSessionStatus').resolve(status('s-1', 'TERMINATING'));
    inner.last('ListSessions').resolve(page());
    await expect(after).resolves.toMatchObject({ status: { state: 'TERMINATING' } });
    await expect(pageAfter).resolves.toEqual(page());
  });

  it('a failed terminate still drops what it may have made stale', async () => {
    const { inner, port } = setup();
    await warm(port, inner);
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').reject(new Error('timed out'));
    await expect(terminate).rejects.toThrow('timed out');
    void port.getSession('s-1');
    expect(inner.count('GetSession')).toBe(1);
  });

  it('a start still serves its work group’s pages until it answered: until then they are true', async () => {
    const { inner, port } = setup();
    await warm(port, inner);
    const start = port.startSession({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } });
    const during = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(0);
    await expect(during).resolves.toEqual(page('s-1', 's-2'));
    inner.last('StartSession').resolve({ sessionId: 's-new', state: 'CREATING' });
    await start;
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(1);
  });

  it('starting a session drops its work group’s pages; a calculation drops its session’s status', async () => {
    const { inner, port } = setup();
    await warm(port, inner);
    const start = port.startSession({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } });
    inner.last('StartSession').resolve({ sessionId: 's-new', state: 'CREATING' });
    await start;
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    await port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(1);

    const calculation = port.startCalculationExecution({ sessionId: 's-2', codeBlock: 'print(1)' });
    inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-1', state: 'QUEUED' });
    await calculation;
    void port.getSessionStatus('s-2');
    expect(inner.count('GetSessionStatus')).toBe(1);
  });
});

describe('bounds and observability', () => {
  it('keeps at most maxSessions sessions and maxPages pages', async () => {
    const { inner, port } = setup(TTL, { maxSessions: 3, maxPages: 2 });
    for (let index = 0; index < 10; index += 1) {
      const read = port.getSession(`s-${index}`);
      inner.last('GetSession').resolve(details(`s-${index}`));
      await read;
      const list = port.listSessions({ workGroup: 'primary', nextToken: `t-${index}` });
      inner.last('ListSessions').resolve(page(`s-${index}`));
      await list;
    }
    // The newest three sessions and two pages are still served; each older one is a new call.
    for (const index of [7, 8, 9]) {
      await port.getSession(`s-${index}`);
      await port.getSessionStatus(`s-${index}`);
      await port.getImmutableSession(`s-${index}`);
    }
    await port.listSessions({ workGroup: 'primary', nextToken: 't-8' });
    await port.listSessions({ workGroup: 'primary', nextToken: 't-9' });
    expect(inner.count()).toBe(20);
    void port.getSessionStatus('s-6');
    void port.getImmutableSession('s-5');
    void port.getSession('s-4');
    void port.listSessions({ workGroup: 'primary', nextToken: 't-7' });
    expect(inner.count('GetSessionStatus')).toBe(1);
    expect(inner.count('GetSession')).toBe(12);
    expect(inner.count('ListSessions')).toBe(11);
  });

  it('reports every outcome to onCacheEvent', async () => {
    const { inner, port, events } = setup();
    const reads = [port.getSessionStatus('s-1'), port.getSessionStatus('s-1')];
    inner.last('GetSessionStatus').resolve(status('s-1'));
    await Promise.all(reads);
    await port.getSessionStatus('s-1');
    expect(events).toEqual([
      { cache: 'status', outcome: 'miss' },
      { cache: 'status', outcome: 'shared' },
      { cache: 'status', outcome: 'hit' },
    ]);
  });

  it('rejects a negative TTL', () => {
    expect(() => new CachingAthenaPort(new ManualPort(), { ttlMs: -1 })).toThrow(RangeError);
  });
});

// Reads and writes overlapping in time, and the keys and names each cache entry is filed under:
// what a mutation run showed no test above would notice.
describe('reads in flight across writes', () => {
  it('a status read sent before a terminate and answered after it is not kept, nor does it overwrite a newer answer', async () => {
    const { inner, port } = setup();
    const before = port.getSessionStatus('s-1');
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    const after = port.getSessionStatus('s-1'); // a call of its own: the one in flight may predate the terminate
    expect(inner.count('GetSessionStatus')).toBe(2);
    inner.calls.filter((call) => call.operation === 'GetSessionStatus')[1]!.resolve(status('s-1', 'TERMINATING'));
    await expect(after).resolves.toMatchObject({ status: { state: 'TERMINATING' } });
    inner.calls[0]!.resolve(status('s-1', 'IDLE')); // Athena answered the old read late
    await expect(before).resolves.toMatchObject({ status: { state: 'IDLE' } });
    await expect(port.getSessionStatus('s-1')).resolves.toMatchObject({ status: { state: 'TERMINATING' } });
    expect(inner.count('GetSessionStatus')).toBe(2);
  });

  it('a GetSession in flight across a terminate is neither joined nor kept', async () => {
    const { inner, port } = setup();
    const before = port.getSession('s-1');
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    void port.getSession('s-1');
    expect(inner.count('GetSession')).toBe(2);
    inner.calls[0]!.resolve(details('s-1', 'IDLE'));
    await before;
    void port.getSession('s-1');
    void port.getSessionStatus('s-1');
    expect(inner.count('GetSession')).toBe(2); // joins the second call, still in flight
    expect(inner.count('GetSessionStatus')).toBe(1); // the stale answer gave no status either
  });

  it('a list page in flight across a start in its work group is not kept; one of another work group is', async () => {
    const { inner, port } = setup();
    const primary = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    const analytics = port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    const start = port.startSession({ workGroup: 'primary', engineConfiguration: { maxConcurrentDpus: 20 } });
    inner.last('StartSession').resolve({ sessionId: 's-new', state: 'CREATING' });
    await start;
    void port.listSessions({ workGroup: 'primary', maxResults: 100 }); // a call of its own
    void port.listSessions({ workGroup: 'analytics', maxResults: 100 }); // joins the one in flight
    expect(inner.count('ListSessions')).toBe(3);
    const [primaryCall, analyticsCall] = inner.calls.filter((call) => call.operation === 'ListSessions');
    primaryCall!.resolve(page('s-1')); // listed before s-new existed
    analyticsCall!.resolve(page('s-9'));
    await Promise.all([primary, analytics]);
    void port.listSessions({ workGroup: 'primary', maxResults: 100 });
    await port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(3);
  });

  it('a terminate detaches only that session’s reads: other sessions’ reads in flight are still joined', async () => {
    const { inner, port } = setup();
    void port.getSessionStatus('s-2');
    void port.getSession('s-2');
    void port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    const terminate = port.terminateSession('s-1'); // its work group is known from nowhere: every page goes
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    void port.getSessionStatus('s-2');
    void port.getSession('s-2');
    void port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.calls.map((call) => call.operation)).toEqual([
      'GetSessionStatus',
      'GetSession',
      'ListSessions',
      'TerminateSession',
      'ListSessions',
    ]);
  });

  it('a session known from GetSession alone keeps other work groups’ pages when it is terminated', async () => {
    const { inner, port } = setup();
    const reads = [port.getSession('s-7'), port.listSessions({ workGroup: 'analytics', maxResults: 100 })];
    inner.last('GetSession').resolve(details('s-7', 'IDLE', 'primary'));
    inner.last('ListSessions').resolve(page('s-9'));
    await Promise.all(reads);
    const terminate = port.terminateSession('s-7');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    await port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(1);
  });

  it('a detached call that settles late does not unregister the newer call that replaced it', async () => {
    for (const settle of ['resolve', 'reject'] as const) {
      const { inner, port } = setup();
      const old = port.getSessionStatus('s-1').catch(() => undefined);
      const terminate = port.terminateSession('s-1');
      inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
      await terminate;
      void port.getSessionStatus('s-1'); // the newer call
      if (settle === 'resolve') inner.calls[0]!.resolve(status('s-1', 'IDLE'));
      else inner.calls[0]!.reject(new Error('late failure'));
      await old;
      void port.getSessionStatus('s-1');
      expect(inner.count('GetSessionStatus'), settle).toBe(2);
    }
  });

  it('the last waiter of a detached call leaving does not unregister the newer call', async () => {
    const { inner, port } = setup();
    const controller = new AbortController();
    const old = port.getSessionStatus('s-1', { signal: controller.signal }).catch((error: unknown) => error);
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    void port.getSessionStatus('s-1');
    controller.abort();
    expect(isAthenaError(await old, 'aborted')).toBe(true);
    void port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(2);
  });

  it('once every waiter has left, a caller right after makes a new call instead of joining the aborted one', async () => {
    const { inner, port } = setup();
    const controller = new AbortController();
    const left = port.getSessionStatus('s-1', { signal: controller.signal }).catch((error: unknown) => error);
    controller.abort();
    const next = port.getSessionStatus('s-1');
    expect(inner.count('GetSessionStatus')).toBe(2);
    inner.last('GetSessionStatus').resolve(status('s-1', 'BUSY'));
    await expect(next).resolves.toMatchObject({ status: { state: 'BUSY' } });
    expect(isAthenaError(await left, 'aborted')).toBe(true);
  });

  it('an abandoned call that answers anyway (the SDK ignored the abort) is not kept across a terminate', async () => {
    const manual = new ManualPort();
    // An upstream that never sees the signal, so the call answers after every waiter has left.
    const deaf: AthenaPort = { ...manual, getSessionStatus: (sessionId: string) => manual.getSessionStatus(sessionId) };
    const clock = new ManualClock();
    const port = new CachingAthenaPort(deaf, { ttlMs: TTL, now: clock.now });
    const controller = new AbortController();
    const left = port.getSessionStatus('s-1', { signal: controller.signal }).catch((error: unknown) => error);
    controller.abort();
    await left;
    const terminate = port.terminateSession('s-1');
    manual.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    manual.last('GetSessionStatus').resolve(status('s-1', 'IDLE'));
    await flush();
    void port.getSessionStatus('s-1');
    expect(manual.count('GetSessionStatus')).toBe(2);
  });
});

describe('what each cached read is filed under', () => {
  it('serves GetSession again within the TTL', async () => {
    const { inner, port, events } = setup();
    const read = port.getSession('s-1');
    inner.last('GetSession').resolve(details('s-1', 'BUSY'));
    await read;
    await expect(port.getSession('s-1')).resolves.toMatchObject({ sessionId: 's-1', status: { state: 'BUSY' } });
    expect(inner.count('GetSession')).toBe(1);
    expect(events.filter((event) => event.cache === 'details')).toEqual([
      { cache: 'details', outcome: 'miss' },
      { cache: 'details', outcome: 'hit' },
    ]);
  });

  it('a list page is cached per work group, state filter, page size and page token', async () => {
    const { inner, port, events } = setup();
    const base = { workGroup: 'primary', maxResults: 100 } as const;
    const read = port.listSessions(base);
    inner.last('ListSessions').resolve(page('s-1'));
    await read;
    await port.listSessions({ ...base });
    expect(inner.count('ListSessions')).toBe(1);
    expect(events.at(-1)).toEqual({ cache: 'list', outcome: 'hit' });
    for (const other of [
      { ...base, stateFilter: 'IDLE' as const },
      { ...base, stateFilter: 'BUSY' as const },
      { ...base, maxResults: 50 },
      { workGroup: 'primary' },
      { ...base, nextToken: 't-2' },
      { ...base, workGroup: 'analytics' },
    ]) {
      const before = inner.count('ListSessions');
      const other_ = port.listSessions(other);
      expect(inner.count('ListSessions'), JSON.stringify(other)).toBe(before + 1);
      inner.last('ListSessions').resolve(page('s-2'));
      await expect(other_).resolves.toEqual(page('s-2'));
    }
    await expect(port.listSessions(base)).resolves.toEqual(page('s-1'));
  });

  it('immutable fields report a miss, then hits', async () => {
    const { inner, port, events } = setup();
    const read = port.getImmutableSession('s-1');
    inner.last('GetSession').resolve(details('s-1'));
    await read;
    await port.getImmutableSession('s-1');
    expect(events.filter((event) => event.cache === 'immutable')).toEqual([
      { cache: 'immutable', outcome: 'miss' },
      { cache: 'immutable', outcome: 'hit' },
    ]);
  });

  it('with CACHE_TTL_MS=0 a list page is not even stored: it cannot tell a terminated session’s work group', async () => {
    const { inner, port } = setup(0);
    const read = port.listSessions({ workGroup: 'primary', maxResults: 100 });
    inner.last('ListSessions').resolve(page('s-1'));
    await read;
    // Nothing remembers that s-1 is in primary, so a terminate detaches every work group's list in flight.
    const analytics = port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    void port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(inner.count('ListSessions')).toBe(3);
    for (const call of inner.calls.filter((pending) => pending.operation === 'ListSessions')) call.resolve(page());
    await analytics;
  });

  it('a shared list call and a shared failure reach waiters that carry signals, and the list call is aborted when they all leave', async () => {
    const { inner, port } = setup();
    const a = new AbortController();
    const b = new AbortController();
    const reads = [
      port.listSessions({ workGroup: 'primary' }, { signal: a.signal }),
      port.listSessions({ workGroup: 'primary' }, { signal: b.signal }),
    ];
    inner.last('ListSessions').reject(new Error('upstream broke'));
    for (const read of reads) await expect(read).rejects.toThrow('upstream broke');

    const left = port.listSessions({ workGroup: 'primary' }, { signal: a.signal });
    const upstreamSignal = inner.last('ListSessions').signal;
    expect(upstreamSignal?.aborted).toBe(false);
    const reason = new Error('client went away');
    const leaving = new AbortController();
    const leftToo = port.listSessions({ workGroup: 'primary' }, { signal: leaving.signal });
    leaving.abort(reason);
    const error = await leftToo.catch((caught: unknown) => caught);
    expect(isAthenaError(error, 'aborted')).toBe(true);
    expect((error as Error).message).toBe('ListSessions abandoned: the caller went away before Athena answered');
    expect((error as Error).cause).toBe(reason);
    expect(upstreamSignal?.aborted).toBe(false); // one waiter is still there
    a.abort();
    expect(upstreamSignal?.aborted).toBe(true);
    await left.catch(() => undefined);
  });

  it('a port that throws instead of rejecting fails the read like a rejection', async () => {
    const throwing = new ManualPort();
    throwing.getSessionStatus = () => {
      throw new Error('thrown synchronously');
    };
    const port = new CachingAthenaPort(throwing, { ttlMs: TTL });
    await expect(port.getSessionStatus('s-1')).rejects.toThrow('thrown synchronously');
    throwing.getSessionStatus = (sessionId: string) => Promise.resolve(status(sessionId, 'BUSY'));
    await expect(port.getSessionStatus('s-1')).resolves.toMatchObject({ status: { state: 'BUSY' } });
  });

  it('passes calculation reads through untouched, and names a bad TTL', async () => {
    const { inner, port } = setup();
    const read = port.getCalculationExecution('c-1');
    expect(inner.last('GetCalculationExecution').argument).toBe('c-1');
    inner.last('GetCalculationExecution').resolve({ calculationExecutionId: 'c-1', state: 'RUNNING' });
    await expect(read).resolves.toEqual({ calculationExecutionId: 'c-1', state: 'RUNNING' });
    expect(() => new CachingAthenaPort(inner, { ttlMs: Number.NaN })).toThrow('ttlMs must be >= 0, got NaN');
  });
});
