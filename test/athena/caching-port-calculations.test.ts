// The caching port's calculation and work-group halves at their edges: what a cached answer is
// filed under, when it stops being served, what each write drops (reads in flight included), and
// the size bound of the code cache. Everything is observed by upstream calls per operation and by
// the values returned, over a port whose calls the test settles by hand.
import { describe, expect, it } from 'vitest';
import { CachingAthenaPort, MAX_CACHED_CODE_CHARACTERS } from '../../src/athena/caching-port.js';
import type { Calculation, CalculationPage, CalculationStatusResult, WorkGroupPage } from '../../src/athena/port.js';
import { details, flush, ManualClock, ManualPort, status } from './fake-port.js';

const TTL = 1_000;

function setup(ttlMs = TTL) {
  const inner = new ManualPort();
  const clock = new ManualClock();
  return { inner, clock, port: new CachingAthenaPort(inner, { ttlMs, now: clock.now }) };
}
type Setup = ReturnType<typeof setup>;

/** A calculation's details; `null` for details that name no session. */
const calculation = (id: string, sessionId: string | null = 's-1', state = 'RUNNING' as const): Calculation => ({
  calculationExecutionId: id,
  ...(sessionId === null ? {} : { sessionId }),
  status: { state },
  statistics: { dpuExecutionInMillis: 10 },
});
const calculationStatus = (id: string, state: Calculation['status']['state'] = 'RUNNING'): CalculationStatusResult => ({
  calculationExecutionId: id,
  status: { state },
});
const calculationPage = (...ids: string[]): CalculationPage => ({
  calculations: ids.map((id) => ({ calculationExecutionId: id, status: { state: 'COMPLETED' } })),
});
const workGroupPage = (...names: string[]): WorkGroupPage => ({
  workGroups: names.map((name) => ({ name, state: 'ENABLED' })),
});

/** Reads a session's status through the port, answering the upstream call if one is made. */
async function readStatus({ inner, port }: Setup, sessionId: string): Promise<void> {
  const before = inner.count('GetSessionStatus');
  const read = port.getSessionStatus(sessionId);
  if (inner.count('GetSessionStatus') > before) inner.last('GetSessionStatus').resolve(status(sessionId));
  await read;
}

async function listCalculations({ inner, port }: Setup, sessionId: string, ...ids: string[]): Promise<void> {
  const before = inner.count('ListCalculationExecutions');
  const read = port.listCalculationExecutions({ sessionId, maxResults: 100 });
  if (inner.count('ListCalculationExecutions') > before)
    inner.last('ListCalculationExecutions').resolve(calculationPage(...ids));
  await read;
}

async function readCalculation({ inner, port }: Setup, id: string, sessionId: string | null = 's-1'): Promise<void> {
  const before = inner.count('GetCalculationExecution');
  const read = port.getCalculationExecution(id);
  if (inner.count('GetCalculationExecution') > before)
    inner.last('GetCalculationExecution').resolve(calculation(id, sessionId));
  await read;
}

async function stop({ inner, port }: Setup, id: string): Promise<void> {
  const stopping = port.stopCalculationExecution(id);
  inner.last('StopCalculationExecution').resolve({ state: 'CANCELING' });
  await stopping;
}

describe('what a calculation read is filed under', () => {
  it('a calculation list page is cached per session, state filter, page size and page token', async () => {
    const s = setup();
    const base = { sessionId: 's-1', stateFilter: 'RUNNING' as const, maxResults: 10, nextToken: 't1' };
    const variants = [
      base,
      { ...base, sessionId: 's-2' },
      { ...base, stateFilter: 'COMPLETED' as const },
      { ...base, stateFilter: undefined },
      { ...base, maxResults: 20 },
      { ...base, maxResults: undefined },
      { ...base, nextToken: 't2' },
      { ...base, nextToken: undefined },
    ];
    for (const [index, input] of variants.entries()) {
      const read = s.port.listCalculationExecutions(input);
      expect(s.inner.count('ListCalculationExecutions')).toBe(index + 1);
      s.inner.last('ListCalculationExecutions').resolve(calculationPage(`c-${index}`));
      expect((await read).calculations[0]!.calculationExecutionId).toBe(`c-${index}`);
    }
    // Each is served again, with its own answer.
    for (const [index, input] of variants.entries())
      expect((await s.port.listCalculationExecutions({ ...input })).calculations[0]!.calculationExecutionId).toBe(
        `c-${index}`,
      );
    expect(s.inner.count('ListCalculationExecutions')).toBe(variants.length);
  });

  it('a work-group list page is cached per page size as well as per token, apart from GetWorkGroup answers', async () => {
    const s = setup();
    const inputs = [{ maxResults: 10 }, { maxResults: 20 }, {}];
    for (const [index, input] of inputs.entries()) {
      const read = s.port.listWorkGroups(input);
      expect(s.inner.count('ListWorkGroups')).toBe(index + 1);
      s.inner.last('ListWorkGroups').resolve(workGroupPage(`wg-${index}`));
      await read;
    }
    for (const [index, input] of inputs.entries())
      expect((await s.port.listWorkGroups({ ...input })).workGroups[0]!.name).toBe(`wg-${index}`);
    expect(s.inner.count('ListWorkGroups')).toBe(inputs.length);
    const get = s.port.getWorkGroup('wg-0');
    expect(s.inner.count('GetWorkGroup')).toBe(1);
    s.inner.last('GetWorkGroup').resolve({ name: 'wg-0', state: 'DISABLED' });
    expect((await get).state).toBe('DISABLED');
  });
});

describe('time to live of calculation and work-group answers', () => {
  it('counts from when the call was sent, not when it answered: details, status, list, work groups', async () => {
    const s = setup();
    const reads = {
      details: s.port.getCalculationExecution('c-1'),
      status: s.port.getCalculationExecutionStatus('c-2'),
      list: s.port.listCalculationExecutions({ sessionId: 's-1' }),
      workGroups: s.port.listWorkGroups({}),
      workGroup: s.port.getWorkGroup('primary'),
    };
    // Athena takes almost the whole TTL to answer.
    s.clock.advance(TTL - 1);
    s.inner.last('GetCalculationExecution').resolve(calculation('c-1'));
    s.inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-2'));
    s.inner.last('ListCalculationExecutions').resolve(calculationPage('c-1'));
    s.inner.last('ListWorkGroups').resolve(workGroupPage('primary'));
    s.inner.last('GetWorkGroup').resolve({ name: 'primary', state: 'ENABLED' });
    await Promise.all(Object.values(reads));
    // Still within the TTL of the send: served again.
    await s.port.getCalculationExecution('c-1');
    await s.port.getCalculationExecutionStatus('c-1');
    await s.port.getCalculationExecutionStatus('c-2');
    await s.port.listCalculationExecutions({ sessionId: 's-1' });
    await s.port.listWorkGroups({});
    await s.port.getWorkGroup('primary');
    expect(s.inner.count()).toBe(5);
    // One millisecond later every one of them is a new call.
    s.clock.advance(1);
    void s.port.getCalculationExecution('c-1');
    void s.port.getCalculationExecutionStatus('c-2');
    void s.port.listCalculationExecutions({ sessionId: 's-1' });
    void s.port.listWorkGroups({});
    void s.port.getWorkGroup('primary');
    expect(s.inner.count()).toBe(10);
  });

  it('an expired calculation answer is replaced by the new one, which is then served', async () => {
    const s = setup();
    await readCalculation(s, 'c-1');
    s.clock.advance(TTL);
    const again = s.port.getCalculationExecution('c-1');
    s.inner.last('GetCalculationExecution').resolve({ ...calculation('c-1'), status: { state: 'COMPLETED' } });
    expect((await again).status.state).toBe('COMPLETED');
    expect((await s.port.getCalculationExecution('c-1')).status.state).toBe('COMPLETED');
    expect((await s.port.getCalculationExecutionStatus('c-1')).status.state).toBe('COMPLETED');
    expect(s.inner.count('GetCalculationExecution')).toBe(2);
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(0);
  });

  it('with CACHE_TTL_MS=0 no calculation details, status, list or work group is served again', async () => {
    const s = setup(0);
    for (let round = 1; round <= 2; round += 1) {
      await readCalculation(s, 'c-1');
      const statusRead = s.port.getCalculationExecutionStatus('c-1');
      s.inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-1'));
      await statusRead;
      await listCalculations(s, 's-1', 'c-1');
      const groups = s.port.listWorkGroups({});
      s.inner.last('ListWorkGroups').resolve(workGroupPage('primary'));
      await groups;
      expect(s.inner.count('GetCalculationExecution')).toBe(round);
      expect(s.inner.count('GetCalculationExecutionStatus')).toBe(round);
      expect(s.inner.count('ListCalculationExecutions')).toBe(round);
      expect(s.inner.count('ListWorkGroups')).toBe(round);
    }
  });
});

describe('writes of calculations drop what they make stale', () => {
  it('stopping a calculation whose session is known (from its details) drops that session’s status, and only its', async () => {
    const s = setup();
    await readCalculation(s, 'c-1', 's-1');
    await readStatus(s, 's-1');
    await readStatus(s, 's-2');
    await stop(s, 'c-1');
    await readStatus(s, 's-1');
    await readStatus(s, 's-2');
    expect(s.inner.count('GetSessionStatus')).toBe(3);
  });

  it('the session of a calculation it started is known: stopping it drops the session’s status', async () => {
    const s = setup();
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-9', state: 'QUEUED' });
    expect((await start).calculationExecutionId).toBe('c-9');
    await readStatus(s, 's-1');
    await stop(s, 'c-9');
    await readStatus(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });

  it('the session of a listed calculation is known: stopping it drops the session’s status', async () => {
    const s = setup();
    await listCalculations(s, 's-1', 'c-1');
    await readStatus(s, 's-1');
    await stop(s, 'c-1');
    await readStatus(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });

  it('stopping a calculation of unknown session drops every session’s calculation lists, but no session status', async () => {
    const s = setup();
    await listCalculations(s, 's-1', 'c-1');
    await listCalculations(s, 's-2', 'c-2');
    await readStatus(s, 's-1');
    // Details without a session say nothing about where the calculation runs.
    await readCalculation(s, 'c-x', null);
    await stop(s, 'c-x');
    await readStatus(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(1);
    void s.port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    void s.port.listCalculationExecutions({ sessionId: 's-2', maxResults: 100 });
    expect(s.inner.count('ListCalculationExecutions')).toBe(4);
  });

  it('details that name no session do not make the port forget the session a listing told', async () => {
    const s = setup();
    await listCalculations(s, 's-1', 'c-1');
    await readCalculation(s, 'c-1', null);
    await readStatus(s, 's-1');
    await stop(s, 'c-1');
    await readStatus(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });

  it('stopping drops only that calculation’s own details and status; a sibling’s stay cached', async () => {
    const s = setup();
    await readCalculation(s, 'c-1', 's-1');
    await readCalculation(s, 'c-2', 's-2');
    await stop(s, 'c-1');
    await s.port.getCalculationExecution('c-2');
    await s.port.getCalculationExecutionStatus('c-2');
    expect(s.inner.count('GetCalculationExecution')).toBe(2);
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(0);
    void s.port.getCalculationExecutionStatus('c-1');
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(1);
  });

  it('a failed stop still drops the calculation, before and after the call', async () => {
    const s = setup();
    await readCalculation(s, 'c-1', 's-1');
    const stopping = s.port.stopCalculationExecution('c-1');
    // While the stop is on its way nothing from before it is served.
    void s.port.getCalculationExecution('c-1');
    expect(s.inner.count('GetCalculationExecution')).toBe(2);
    s.inner.last('GetCalculationExecution').resolve(calculation('c-1', 's-1'));
    await flush();
    s.inner.last('StopCalculationExecution').reject(new Error('throttled'));
    await expect(stopping).rejects.toThrow('throttled');
    void s.port.getCalculationExecution('c-1');
    expect(s.inner.count('GetCalculationExecution')).toBe(3);
  });

  it('terminating a session drops its calculations’ statuses, and keeps another session’s', async () => {
    const s = setup();
    await readCalculation(s, 'c-1', 's-1');
    await readCalculation(s, 'c-2', 's-2');
    const terminate = s.port.terminateSession('s-1');
    s.inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    await s.port.getCalculationExecutionStatus('c-2');
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(0);
    void s.port.getCalculationExecutionStatus('c-1');
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(1);
  });

  it('starting a calculation drops its session’s status and lists, not another session’s', async () => {
    const s = setup();
    await listCalculations(s, 's-1', 'c-1');
    await listCalculations(s, 's-2', 'c-2');
    await readStatus(s, 's-1');
    await readStatus(s, 's-2');
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-3', state: 'QUEUED' });
    await start;
    await readStatus(s, 's-2');
    await listCalculations(s, 's-2');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
    expect(s.inner.count('ListCalculationExecutions')).toBe(2);
    await readStatus(s, 's-1');
    await listCalculations(s, 's-1', 'c-1', 'c-3');
    expect(s.inner.count('GetSessionStatus')).toBe(3);
    expect(s.inner.count('ListCalculationExecutions')).toBe(3);
  });

  it('starting a calculation in a session of known work group keeps other work groups’ pages and other sessions’ calculations', async () => {
    const s = setup();
    const read = s.port.getSession('s-1');
    s.inner.last('GetSession').resolve(details('s-1', 'IDLE', 'analytics'));
    await read;
    const page = s.port.listSessions({ workGroup: 'primary', maxResults: 100 });
    s.inner.last('ListSessions').resolve({ sessions: [] });
    await page;
    await readCalculation(s, 'c-2', 's-2');
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-3', state: 'QUEUED' });
    await start;
    void s.port.listSessions({ workGroup: 'primary', maxResults: 100 });
    void s.port.getCalculationExecutionStatus('c-2');
    expect(s.inner.count('ListSessions')).toBe(1);
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(0);
    void s.port.listSessions({ workGroup: 'analytics', maxResults: 100 });
    expect(s.inner.count('ListSessions')).toBe(2);
  });

  it('a calculation start still serves its session’s status and calculations until it answered: until then they are true', async () => {
    const s = setup();
    await readStatus(s, 's-1');
    await listCalculations(s, 's-1', 'c-1');
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    await readStatus(s, 's-1');
    await listCalculations(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(1);
    expect(s.inner.count('ListCalculationExecutions')).toBe(1);
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-2', state: 'QUEUED' });
    await start;
    void s.port.getSessionStatus('s-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });

  it('a failed start still drops its session’s status', async () => {
    const s = setup();
    await readStatus(s, 's-1');
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').reject(new Error('session busy'));
    await expect(start).rejects.toThrow('session busy');
    await readStatus(s, 's-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });
});

describe('calculation reads in flight across writes', () => {
  it('a session status read in flight across a calculation start answers its caller but is neither joined nor kept', async () => {
    const s = setup();
    const before = s.port.getSessionStatus('s-1');
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-1', state: 'QUEUED' });
    await start;
    const joined = s.port.getSessionStatus('s-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
    s.inner.calls.find((call) => call.operation === 'GetSessionStatus')!.resolve(status('s-1', 'IDLE'));
    expect((await before).status.state).toBe('IDLE');
    s.inner.last('GetSessionStatus').resolve(status('s-1', 'BUSY'));
    expect((await joined).status.state).toBe('BUSY');
    expect((await s.port.getSessionStatus('s-1')).status.state).toBe('BUSY');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
  });

  it('a calculation list in flight across a start in its session is not kept; one of another session is', async () => {
    const s = setup();
    const mine = s.port.listCalculationExecutions({ sessionId: 's-1' });
    const other = s.port.listCalculationExecutions({ sessionId: 's-2' });
    const start = s.port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    s.inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-9', state: 'QUEUED' });
    await start;
    // A later read of the other session still joins its call in flight.
    const otherAgain = s.port.listCalculationExecutions({ sessionId: 's-2' });
    expect(s.inner.count('ListCalculationExecutions')).toBe(2);
    const [mineCall, otherCall] = s.inner.calls.filter((call) => call.operation === 'ListCalculationExecutions');
    mineCall!.resolve(calculationPage('c-1'));
    otherCall!.resolve(calculationPage('c-2'));
    expect((await mine).calculations).toHaveLength(1);
    expect((await other).calculations[0]!.calculationExecutionId).toBe('c-2');
    expect((await otherAgain).calculations[0]!.calculationExecutionId).toBe('c-2');
    await s.port.listCalculationExecutions({ sessionId: 's-2' });
    expect(s.inner.count('ListCalculationExecutions')).toBe(2);
    void s.port.listCalculationExecutions({ sessionId: 's-1' });
    expect(s.inner.count('ListCalculationExecutions')).toBe(3);
  });

  it('a calculation status or details read in flight across its stop is not kept', async () => {
    const s = setup();
    const statusRead = s.port.getCalculationExecutionStatus('c-1');
    const detailsRead = s.port.getCalculationExecution('c-1');
    const sibling = s.port.getCalculationExecutionStatus('c-2');
    await stop(s, 'c-1');
    s.inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-2'));
    s.inner.calls
      .find((call) => call.operation === 'GetCalculationExecutionStatus')!
      .resolve(calculationStatus('c-1', 'RUNNING'));
    s.inner.last('GetCalculationExecution').resolve(calculation('c-1'));
    expect((await statusRead).status.state).toBe('RUNNING');
    await detailsRead;
    await sibling;
    void s.port.getCalculationExecutionStatus('c-1');
    void s.port.getCalculationExecution('c-1');
    await s.port.getCalculationExecutionStatus('c-2');
    expect(s.inner.count('GetCalculationExecutionStatus')).toBe(3);
    expect(s.inner.count('GetCalculationExecution')).toBe(2);
  });

  it('with CACHE_TTL_MS=0 a stop still detaches the session’s status read in flight from later callers', async () => {
    const s = setup(0);
    // The calculation's session is learnt even when nothing is kept.
    await readCalculation(s, 'c-1', 's-1');
    const before = s.port.getSessionStatus('s-1');
    await stop(s, 'c-1');
    const after = s.port.getSessionStatus('s-1');
    expect(s.inner.count('GetSessionStatus')).toBe(2);
    for (const call of s.inner.calls.filter((pending) => pending.operation === 'GetSessionStatus'))
      call.resolve(status('s-1'));
    await Promise.all([before, after]);
  });
});

describe('the code cache', () => {
  it('is bounded by characters: the longest codes evict the oldest once the bound is reached', async () => {
    const s = setup();
    const length = 68_000;
    const fitting = Math.floor(MAX_CACHED_CODE_CHARACTERS / length);
    const ids = Array.from({ length: fitting + 1 }, (_, index) => `c-${index}`);
    for (const id of ids) {
      const read = s.port.getCalculationExecutionCode(id);
      s.inner.last('GetCalculationExecutionCode').resolve(id.padEnd(length, '#'));
      await read;
    }
    expect(s.inner.count('GetCalculationExecutionCode')).toBe(ids.length);
    // The newest are still answered from memory; the oldest had to go.
    expect(await s.port.getCalculationExecutionCode(ids.at(-1)!)).toBe(ids.at(-1)!.padEnd(length, '#'));
    expect(await s.port.getCalculationExecutionCode(ids[1]!)).toBe(ids[1]!.padEnd(length, '#'));
    expect(s.inner.count('GetCalculationExecutionCode')).toBe(ids.length);
    void s.port.getCalculationExecutionCode(ids[0]!);
    expect(s.inner.count('GetCalculationExecutionCode')).toBe(ids.length + 1);
  });

  it('keeps many short codes, and an empty one', async () => {
    const s = setup();
    const ids = Array.from({ length: 300 }, (_, index) => `c-${index}`);
    for (const id of [...ids, 'empty']) {
      const read = s.port.getCalculationExecutionCode(id);
      s.inner.last('GetCalculationExecutionCode').resolve(id === 'empty' ? '' : `print("${id}")`);
      await read;
    }
    for (const id of ids) expect(await s.port.getCalculationExecutionCode(id)).toBe(`print("${id}")`);
    expect(await s.port.getCalculationExecutionCode('empty')).toBe('');
    expect(s.inner.count('GetCalculationExecutionCode')).toBe(ids.length + 1);
  });
});

describe('callers leaving calculation and work-group reads', () => {
  const reads = [
    [
      'GetCalculationExecution',
      (port: CachingAthenaPort, signal: AbortSignal) => port.getCalculationExecution('c-1', { signal }),
    ],
    [
      'GetCalculationExecutionStatus',
      (port: CachingAthenaPort, signal: AbortSignal) => port.getCalculationExecutionStatus('c-1', { signal }),
    ],
    [
      'GetCalculationExecutionCode',
      (port: CachingAthenaPort, signal: AbortSignal) => port.getCalculationExecutionCode('c-1', { signal }),
    ],
    [
      'ListCalculationExecutions',
      (port: CachingAthenaPort, signal: AbortSignal) =>
        port.listCalculationExecutions({ sessionId: 's-1' }, { signal }),
    ],
    ['ListWorkGroups', (port: CachingAthenaPort, signal: AbortSignal) => port.listWorkGroups({}, { signal })],
    ['GetWorkGroup', (port: CachingAthenaPort, signal: AbortSignal) => port.getWorkGroup('primary', { signal })],
  ] as const;

  it.each(reads)(
    '%s: the caller gets an abort naming the operation, and the upstream call is aborted',
    async (operation, read) => {
      const { inner, port } = setup();
      const controller = new AbortController();
      const pending = read(port, controller.signal);
      expect(inner.count(operation)).toBe(1);
      expect(inner.last(operation).signal?.aborted).toBe(false);
      controller.abort(new Error('client went away'));
      await expect(pending).rejects.toMatchObject({ operation });
      expect(inner.last(operation).signal?.aborted).toBe(true);
    },
  );
});

describe('the clock', () => {
  it('without an injected clock, an answer is served again within the TTL', async () => {
    const inner = new ManualPort();
    const port = new CachingAthenaPort(inner, { ttlMs: 60_000 });
    const first = port.getCalculationExecutionStatus('c-1');
    inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-1'));
    await first;
    expect((await port.getCalculationExecutionStatus('c-1')).status.state).toBe('RUNNING');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(1);
  });
});
