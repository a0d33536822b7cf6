import {
  GetCalculationExecutionCodeCommand,
  GetCalculationExecutionStatusCommand,
  GetSessionEndpointCommand,
  InternalServerException,
  InvalidRequestException,
  ListCalculationExecutionsCommand,
  ResourceNotFoundException,
  StartCalculationExecutionCommand,
  StopCalculationExecutionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { LocalHarness } from './support.js';
import { modelCall, rejectionOf, startHarness } from './support.js';

// Calculations and Spark Connect endpoints through the real SDK over HTTP, on a ManualClock.

const timings = {
  creatingMs: 1_000,
  createdMs: 500,
  calculationCreatingMs: 50,
  calculationQueuedMs: 100,
  calculationMs: 3_000,
  calculationCancelingMs: 400,
};
const WAIT_MS = timings.calculationCreatingMs + timings.calculationQueuedMs;

describe('calculations and session endpoints', () => {
  const clock = new ManualClock(Date.UTC(2026, 1, 1, 9, 0, 0));
  let harness: LocalHarness;

  beforeAll(async () => {
    harness = await startHarness({ clock, timings });
    harness.athena.store.createWorkGroup('pyspark');
    harness.athena.store.createWorkGroup('connect', { engineVersion: 'Apache Spark version 3.5' });
  });
  afterAll(() => harness.close());

  function idleSession(workGroup = 'pyspark'): string {
    return harness.athena.store.addSession({ workGroup, state: 'IDLE', idleTimeoutMs: null }).sessionId;
  }

  async function start(sessionId: string, codeBlock = 'df.count()', description?: string): Promise<string> {
    const started = await harness.client.send(
      new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: codeBlock, Description: description }),
    );
    return started.CalculationExecutionId as string;
  }

  const statusOf = (id: string) =>
    harness.client.send(new GetCalculationExecutionStatusCommand({ CalculationExecutionId: id }));

  it("lists a session's calculations newest first, filtered and paged without skips or repeats", async () => {
    const sessionId = idleSession();
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      ids.push(await start(sessionId, `step_${index}()`, `step ${index}`));
      clock.advance(10);
    }
    clock.advance(WAIT_MS + 7 * timings.calculationMs);
    const running = await start(sessionId, 'final()');
    const walked: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await harness.client.send(
        new ListCalculationExecutionsCommand({ SessionId: sessionId, MaxResults: 3, NextToken: nextToken }),
      );
      expect((page.Calculations ?? []).length).toBeLessThanOrEqual(3);
      walked.push(...(page.Calculations ?? []).map((calculation) => calculation.CalculationExecutionId as string));
      nextToken = page.NextToken;
      // A calculation that changes state between pages shifts nothing: the token is a position.
      clock.advance(WAIT_MS);
    } while (nextToken);
    expect(walked).toEqual([running, ...[...ids].reverse()]);

    const completed = await harness.client.send(
      new ListCalculationExecutionsCommand({ SessionId: sessionId, StateFilter: 'COMPLETED' }),
    );
    expect(completed.Calculations?.map((calculation) => calculation.CalculationExecutionId)).toEqual(
      [...ids].reverse(),
    );
    expect(completed.Calculations?.[0]).toMatchObject({ Description: 'step 6', Status: { State: 'COMPLETED' } });
    await modelCall(harness.athena.url, 'ListCalculationExecutions', { SessionId: sessionId, MaxResults: 2 });
  });

  it('refuses a token from another session or filter, and an unknown session', async () => {
    const sessionId = idleSession();
    await start(sessionId);
    await start(sessionId);
    const page = await harness.client.send(
      new ListCalculationExecutionsCommand({ SessionId: sessionId, MaxResults: 1 }),
    );
    expect(page.NextToken).toBeDefined();
    const other = idleSession();
    const foreign = await rejectionOf(
      harness.client.send(new ListCalculationExecutionsCommand({ SessionId: other, NextToken: page.NextToken })),
    );
    expect(foreign).toBeInstanceOf(InvalidRequestException);
    const filtered = await rejectionOf(
      harness.client.send(
        new ListCalculationExecutionsCommand({
          SessionId: sessionId,
          StateFilter: 'RUNNING',
          NextToken: page.NextToken,
        }),
      ),
    );
    expect(filtered).toBeInstanceOf(InvalidRequestException);
    const missing = await rejectionOf(
      harness.client.send(new ListCalculationExecutionsCommand({ SessionId: 'no-such-session' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('GetCalculationExecutionStatus and GetCalculationExecutionCode', async () => {
    const sessionId = idleSession();
    const id = await start(sessionId, 'spark.range(10).count()');
    clock.advance(WAIT_MS + timings.calculationMs / 2);
    const running = await statusOf(id);
    expect(running.Status?.State).toBe('RUNNING');
    expect(running.Statistics?.Progress).toBe('50%');
    expect(running.Statistics?.DpuExecutionInMillis).toBe((timings.calculationMs / 2) * 2);
    await modelCall(harness.athena.url, 'GetCalculationExecutionStatus', { CalculationExecutionId: id });
    const code = await harness.client.send(new GetCalculationExecutionCodeCommand({ CalculationExecutionId: id }));
    expect(code.CodeBlock).toBe('spark.range(10).count()');
    await modelCall(harness.athena.url, 'GetCalculationExecutionCode', { CalculationExecutionId: id });
    const missing = await rejectionOf(
      harness.client.send(new GetCalculationExecutionCodeCommand({ CalculationExecutionId: 'nope' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('code that raises ends FAILED with its logs but no result', async () => {
    const sessionId = idleSession();
    const id = await start(sessionId, 'raise ValueError("boom")');
    clock.advance(WAIT_MS + timings.calculationMs);
    const failed = await modelCall(harness.athena.url, 'GetCalculationExecution', { CalculationExecutionId: id });
    expect(failed.Status).toMatchObject({ State: 'FAILED', StateChangeReason: expect.any(String) });
    expect(failed.Result).toMatchObject({ StdErrorS3Uri: expect.stringMatching(/^s3:\/\//) });
    expect((failed.Result as Record<string, unknown>).ResultS3Uri).toBeUndefined();
  });

  it('StopCalculationExecution: RUNNING -> CANCELING -> CANCELED, the session IDLE after; terminal ones are left alone', async () => {
    const sessionId = idleSession();
    const id = await start(sessionId);
    clock.advance(WAIT_MS + 1_000);
    const stopped = await harness.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: id }));
    expect(stopped.State).toBe('CANCELING');
    expect((await statusOf(id)).Status?.State).toBe('CANCELING');
    expect(harness.athena.store.getSession(sessionId)?.status.state).toBe('BUSY');
    const again = await harness.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: id }));
    expect(again.State).toBe('CANCELING');
    clock.advance(timings.calculationCancelingMs);
    const canceled = await statusOf(id);
    expect(canceled.Status?.State).toBe('CANCELED');
    expect(canceled.Status?.CompletionDateTime?.getTime()).toBe(clock.now());
    expect(canceled.Statistics?.DpuExecutionInMillis).toBe(1_000 * 2);
    expect(harness.athena.store.getSession(sessionId)?.status.state).toBe('IDLE');
    const afterwards = await harness.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: id }));
    expect(afterwards.State).toBe('CANCELED');

    const done = await start(sessionId);
    clock.advance(WAIT_MS + timings.calculationMs);
    expect(
      (await harness.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: done }))).State,
    ).toBe('COMPLETED');
    expect((await statusOf(done)).Status?.State).toBe('COMPLETED');
    await modelCall(harness.athena.url, 'StopCalculationExecution', { CalculationExecutionId: done });
    const missing = await rejectionOf(
      harness.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: 'nope' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('Spark 3.5 sessions refuse the calculation API and give a Spark Connect endpoint', async () => {
    const sessionId = idleSession('connect');
    const refused = await rejectionOf(start(sessionId));
    expect(refused).toBeInstanceOf(InvalidRequestException);
    expect(refused.message).toContain('Spark Connect');

    const endpoint = await harness.client.send(new GetSessionEndpointCommand({ SessionId: sessionId }));
    expect(endpoint.EndpointUrl).toMatch(/^https:\/\//);
    expect(endpoint.AuthToken?.length).toBeGreaterThan(20);
    expect(endpoint.AuthTokenExpirationTime?.getTime()).toBe(clock.now() + 3_600_000);
    const second = await modelCall(harness.athena.url, 'GetSessionEndpoint', { SessionId: sessionId });
    expect(second.AuthToken).not.toBe(endpoint.AuthToken);
  });

  it('GetSessionEndpoint refuses PySpark 3 sessions, sessions that are not up, and unknown ones', async () => {
    const pyspark = await rejectionOf(harness.client.send(new GetSessionEndpointCommand({ SessionId: idleSession() })));
    expect(pyspark).toBeInstanceOf(InvalidRequestException);
    const ended = harness.athena.store.addSession({ workGroup: 'connect', state: 'TERMINATED' }).sessionId;
    const terminated = await rejectionOf(harness.client.send(new GetSessionEndpointCommand({ SessionId: ended })));
    expect(terminated).toBeInstanceOf(InvalidRequestException);
    expect(terminated.message).toContain('TERMINATED');
    const missing = await rejectionOf(harness.client.send(new GetSessionEndpointCommand({ SessionId: 'nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('injects faults into the new operations like any other', async () => {
    harness.athena.faults.set('GetSessionEndpoint', { error: 'InternalServerException', count: 1 });
    harness.athena.faults.set('ListCalculationExecutions', { error: 'InternalServerException', count: 1 });
    const sessionId = idleSession('connect');
    expect(
      await rejectionOf(harness.client.send(new GetSessionEndpointCommand({ SessionId: sessionId }))),
    ).toBeInstanceOf(InternalServerException);
    expect(
      await rejectionOf(harness.client.send(new ListCalculationExecutionsCommand({ SessionId: sessionId }))),
    ).toBeInstanceOf(InternalServerException);
    await harness.client.send(new GetSessionEndpointCommand({ SessionId: sessionId }));
    expect(harness.athena.calls.count('GetSessionEndpoint')).toBeGreaterThanOrEqual(2);
  });
});
