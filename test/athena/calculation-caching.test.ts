// The caching port's rules for calculations and the Spark Connect endpoint, call by call, over a
// port whose calls the test settles by hand.
import { describe, expect, it } from 'vitest';
import { CachingAthenaPort } from '../../src/athena/caching-port.js';
import type { Calculation, CalculationPage, CalculationStatusResult, SessionEndpoint } from '../../src/athena/port.js';
import { ManualClock, ManualPort } from './fake-port.js';

const TTL = 1_000;

function setup(ttlMs = TTL) {
  const inner = new ManualPort();
  const clock = new ManualClock();
  const port = new CachingAthenaPort(inner, { ttlMs, now: clock.now });
  return { inner, clock, port };
}

const calculationStatus = (id: string, state: Calculation['status']['state'] = 'RUNNING'): CalculationStatusResult => ({
  calculationExecutionId: id,
  status: { state },
  statistics: { dpuExecutionInMillis: 10, progress: 'half' },
});
const calculation = (
  id: string,
  sessionId = 's-1',
  state: Calculation['status']['state'] = 'RUNNING',
): Calculation => ({
  calculationExecutionId: id,
  sessionId,
  description: `calculation ${id}`,
  status: { state },
  statistics: { dpuExecutionInMillis: 10 },
  result: { resultType: 'application/json' },
});
const calculationPage = (...ids: string[]): CalculationPage => ({
  calculations: ids.map((id) => ({ calculationExecutionId: id, status: { state: 'COMPLETED' } })),
});
const endpoint = (token: string): SessionEndpoint => ({ endpointUrl: 'https://spark.example', authToken: token });

describe('calculation status and details', () => {
  it('shares a status read in flight and serves it again within the TTL, not after', async () => {
    const { inner, clock, port } = setup();
    const reads = [port.getCalculationExecutionStatus('c-1'), port.getCalculationExecutionStatus('c-1')];
    expect(inner.count('GetCalculationExecutionStatus')).toBe(1);
    inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-1'));
    await Promise.all(reads);
    clock.advance(TTL - 1);
    expect((await port.getCalculationExecutionStatus('c-1')).status.state).toBe('RUNNING');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(1);
    clock.advance(1);
    const late = port.getCalculationExecutionStatus('c-1');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(2);
    inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-1', 'COMPLETED'));
    expect((await late).status.state).toBe('COMPLETED');
    expect((await port.getCalculationExecutionStatus('c-1')).status.state).toBe('COMPLETED');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(2);
  });

  it('a GetCalculationExecution answers a later status read too', async () => {
    const { inner, port } = setup();
    const read = port.getCalculationExecution('c-1');
    inner.last('GetCalculationExecution').resolve(calculation('c-1'));
    await read;
    const status = await port.getCalculationExecutionStatus('c-1');
    expect(status.status.state).toBe('RUNNING');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(0);
  });

  it('with CACHE_TTL_MS=0 nothing is kept, code included, but identical calls in flight are still shared', async () => {
    const { inner, port } = setup(0);
    const codes = [port.getCalculationExecutionCode('c-1'), port.getCalculationExecutionCode('c-1')];
    expect(inner.count('GetCalculationExecutionCode')).toBe(1);
    inner.last('GetCalculationExecutionCode').resolve('print(1)');
    expect(await Promise.all(codes)).toEqual(['print(1)', 'print(1)']);
    const again = port.getCalculationExecutionCode('c-1');
    expect(inner.count('GetCalculationExecutionCode')).toBe(2);
    inner.last('GetCalculationExecutionCode').resolve('print(1)');
    await again;
    void port.getCalculationExecutionCode('c-1');
    expect(inner.count('GetCalculationExecutionCode')).toBe(3);
  });

  it('keeps the code, which never changes, past the TTL', async () => {
    const { inner, clock, port } = setup();
    const read = port.getCalculationExecutionCode('c-1');
    inner.last('GetCalculationExecutionCode').resolve('print(1)');
    await read;
    clock.advance(TTL * 100);
    expect(await port.getCalculationExecutionCode('c-1')).toBe('print(1)');
    expect(inner.count('GetCalculationExecutionCode')).toBe(1);
  });
});

describe('writes drop what they make stale', () => {
  it("stopCalculationExecution drops the status, the details and the session's lists, a read in flight included", async () => {
    const { inner, port } = setup();
    const list = port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    inner.last('ListCalculationExecutions').resolve(calculationPage('c-1', 'c-2'));
    await list;
    const details = port.getCalculationExecution('c-1');
    inner.last('GetCalculationExecution').resolve(calculation('c-1'));
    await details;
    const inFlight = port.getCalculationExecutionStatus('c-2');

    const stop = port.stopCalculationExecution('c-1');
    inner.last('StopCalculationExecution').resolve({ state: 'CANCELING' });
    await stop;
    inner.last('GetCalculationExecutionStatus').resolve(calculationStatus('c-2'));
    await inFlight;

    void port.getCalculationExecution('c-1');
    void port.getCalculationExecutionStatus('c-1');
    void port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    expect(inner.count('GetCalculationExecution')).toBe(2);
    expect(inner.count('GetCalculationExecutionStatus')).toBe(2);
    expect(inner.count('ListCalculationExecutions')).toBe(2);
  });

  it('stopping a calculation of one session keeps the lists of another', async () => {
    const { inner, port } = setup();
    for (const sessionId of ['s-1', 's-2']) {
      const list = port.listCalculationExecutions({ sessionId, maxResults: 100 });
      inner.last('ListCalculationExecutions').resolve(calculationPage(`${sessionId}-c`));
      await list;
    }
    const stop = port.stopCalculationExecution('s-1-c');
    inner.last('StopCalculationExecution').resolve({ state: 'CANCELING' });
    await stop;
    await Promise.race([port.listCalculationExecutions({ sessionId: 's-2', maxResults: 100 }), Promise.resolve()]);
    expect(inner.count('ListCalculationExecutions')).toBe(2);
    void port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    expect(inner.count('ListCalculationExecutions')).toBe(3);
  });

  it("startCalculationExecution drops the session's lists of calculations and its status", async () => {
    const { inner, port } = setup();
    const list = port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    inner.last('ListCalculationExecutions').resolve(calculationPage('c-1'));
    await list;
    const start = port.startCalculationExecution({ sessionId: 's-1', codeBlock: 'print(1)' });
    inner.last('StartCalculationExecution').resolve({ calculationExecutionId: 'c-2', state: 'QUEUED' });
    await start;
    void port.listCalculationExecutions({ sessionId: 's-1', maxResults: 100 });
    expect(inner.count('ListCalculationExecutions')).toBe(2);
  });

  it("terminateSession drops the statuses of the session's calculations", async () => {
    const { inner, port } = setup();
    const read = port.getCalculationExecution('c-1');
    inner.last('GetCalculationExecution').resolve(calculation('c-1', 's-1'));
    await read;
    const terminate = port.terminateSession('s-1');
    inner.last('TerminateSession').resolve({ state: 'TERMINATING' });
    await terminate;
    void port.getCalculationExecutionStatus('c-1');
    expect(inner.count('GetCalculationExecutionStatus')).toBe(1);
  });
});

describe('the Spark Connect endpoint', () => {
  it('is never shared between callers nor served again: each read is its own GetSessionEndpoint', async () => {
    const { inner, port } = setup();
    const reads = [port.getSessionEndpoint('s-1'), port.getSessionEndpoint('s-1')];
    expect(inner.count('GetSessionEndpoint')).toBe(2);
    const endpointCalls = inner.calls.filter((call) => call.operation === 'GetSessionEndpoint');
    for (const [index, call] of endpointCalls.entries()) call.resolve(endpoint(`token-${index}`));
    expect((await Promise.all(reads)).map((answer) => answer.authToken)).toEqual(['token-0', 'token-1']);
    const later = port.getSessionEndpoint('s-1');
    expect(inner.count('GetSessionEndpoint')).toBe(3);
    inner.last('GetSessionEndpoint').resolve(endpoint('token-2'));
    expect((await later).authToken).toBe('token-2');
  });
});
