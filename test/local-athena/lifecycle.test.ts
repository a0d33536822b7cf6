import {
  GetCalculationExecutionCommand,
  GetSessionCommand,
  GetSessionStatusCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  StartCalculationExecutionCommand,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { IDLE_TIMEOUT_REASON, TERMINATED_BY_REQUEST_REASON } from '../../src/local-athena/session-store.js';
import type { LocalHarness } from './support.js';
import { rejectionOf, startHarness } from './support.js';

// The session lifecycle, driven entirely by a ManualClock and observed through the real SDK.

const timings = {
  creatingMs: 1_000,
  createdMs: 500,
  terminatingMs: 2_000,
  calculationCreatingMs: 50,
  calculationQueuedMs: 100,
  calculationMs: 3_000,
  calculationCancelingMs: 400,
};
/** From submission until a calculation runs. */
const WAIT_MS = timings.calculationCreatingMs + timings.calculationQueuedMs;
const START = Date.UTC(2024, 5, 1, 9, 0, 0);

describe('session lifecycle', () => {
  let harness: LocalHarness;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock(START);
    harness = await startHarness({ clock, timings });
    harness.athena.store.createWorkGroup('lifecycle');
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    clock.set(clock.now() + 86_400_000);
  });

  async function startSession(idleMinutes = 20): Promise<string> {
    const started = await harness.client.send(
      new StartSessionCommand({
        WorkGroup: 'lifecycle',
        EngineConfiguration: { MaxConcurrentDpus: 4 },
        SessionIdleTimeoutInMinutes: idleMinutes,
      }),
    );
    expect(started.State).toBe('CREATING');
    return started.SessionId as string;
  }

  async function status(sessionId: string) {
    const response = await harness.client.send(new GetSessionStatusCommand({ SessionId: sessionId }));
    expect(response.SessionId).toBe(sessionId);
    return response.Status!;
  }

  async function toIdle(idleMinutes = 20): Promise<{ sessionId: string; idleSince: number }> {
    const sessionId = await startSession(idleMinutes);
    clock.advance(timings.creatingMs + timings.createdMs);
    const current = await status(sessionId);
    expect(current.State).toBe('IDLE');
    return { sessionId, idleSince: current.IdleSinceDateTime!.getTime() };
  }

  it('goes CREATING -> CREATED -> IDLE on its timers', async () => {
    const startedAt = clock.now();
    const sessionId = await startSession();

    let current = await status(sessionId);
    expect(current.State).toBe('CREATING');
    expect(current.StartDateTime!.getTime()).toBe(startedAt);
    expect(current.LastModifiedDateTime!.getTime()).toBe(startedAt);
    expect(current.IdleSinceDateTime).toBeUndefined();
    expect(current.EndDateTime).toBeUndefined();

    clock.advance(timings.creatingMs - 1);
    expect((await status(sessionId)).State).toBe('CREATING');

    clock.advance(1);
    current = await status(sessionId);
    expect(current.State).toBe('CREATED');
    expect(current.LastModifiedDateTime!.getTime()).toBe(startedAt + timings.creatingMs);
    expect(current.IdleSinceDateTime).toBeUndefined();

    clock.advance(timings.createdMs);
    current = await status(sessionId);
    expect(current.State).toBe('IDLE');
    expect(current.IdleSinceDateTime!.getTime()).toBe(startedAt + timings.creatingMs + timings.createdMs);
    expect(current.LastModifiedDateTime!.getTime()).toBe(startedAt + timings.creatingMs + timings.createdMs);
    expect(current.StartDateTime!.getTime()).toBe(startedAt);
  });

  it('dates each transition when it fell due, not when it is read', async () => {
    const startedAt = clock.now();
    const sessionId = await startSession();
    clock.advance(60_000);
    const current = await status(sessionId);
    expect(current.State).toBe('IDLE');
    expect(current.LastModifiedDateTime!.getTime()).toBe(startedAt + timings.creatingMs + timings.createdMs);
  });

  it('terminates an IDLE session after its idle timeout, with a reason', async () => {
    const { sessionId, idleSince } = await toIdle(1);
    clock.advance(60_000 - 1);
    expect((await status(sessionId)).State).toBe('IDLE');

    clock.advance(1);
    let current = await status(sessionId);
    expect(current.State).toBe('TERMINATING');
    expect(current.StateChangeReason).toBe(IDLE_TIMEOUT_REASON);
    expect(current.IdleSinceDateTime).toBeUndefined();
    expect(current.EndDateTime).toBeUndefined();

    clock.advance(timings.terminatingMs);
    current = await status(sessionId);
    expect(current.State).toBe('TERMINATED');
    expect(current.StateChangeReason).toBe(IDLE_TIMEOUT_REASON);
    expect(current.EndDateTime!.getTime()).toBe(idleSince + 60_000 + timings.terminatingMs);
    expect(current.IdleSinceDateTime).toBeUndefined();
  });

  it('TerminateSession: TERMINATING at once, TERMINATED with EndDateTime later', async () => {
    const { sessionId } = await toIdle();
    const terminatedAt = clock.now();
    const response = await harness.client.send(new TerminateSessionCommand({ SessionId: sessionId }));
    expect(response.State).toBe('TERMINATING');

    let current = await status(sessionId);
    expect(current.State).toBe('TERMINATING');
    expect(current.StateChangeReason).toBe(TERMINATED_BY_REQUEST_REASON);
    expect(current.LastModifiedDateTime!.getTime()).toBe(terminatedAt);
    expect(current.IdleSinceDateTime).toBeUndefined();
    expect(current.EndDateTime).toBeUndefined();

    clock.advance(timings.terminatingMs);
    current = await status(sessionId);
    expect(current.State).toBe('TERMINATED');
    expect(current.EndDateTime!.getTime()).toBe(terminatedAt + timings.terminatingMs);
    expect(current.LastModifiedDateTime!.getTime()).toBe(terminatedAt + timings.terminatingMs);
  });

  it('TerminateSession is idempotent: twice, on TERMINATED, on FAILED', async () => {
    const { sessionId } = await toIdle();
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: sessionId }))).State).toBe(
      'TERMINATING',
    );
    const afterFirst = await status(sessionId);
    clock.advance(10);
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: sessionId }))).State).toBe(
      'TERMINATING',
    );
    expect((await status(sessionId)).LastModifiedDateTime).toEqual(afterFirst.LastModifiedDateTime);

    clock.advance(timings.terminatingMs);
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: sessionId }))).State).toBe('TERMINATED');
    const terminated = await status(sessionId);
    expect(terminated.State).toBe('TERMINATED');

    const failed = harness.athena.store.addSession({
      workGroup: 'lifecycle',
      state: 'FAILED',
      stateChangeReason: 'boom',
    });
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: failed.sessionId }))).State).toBe(
      'FAILED',
    );
    const failedStatus = await status(failed.sessionId);
    expect(failedStatus.State).toBe('FAILED');
    expect(failedStatus.StateChangeReason).toBe('boom');
  });

  it('TerminateSession stops CREATING, BUSY and DEGRADED sessions too', async () => {
    const creating = await startSession();
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: creating }))).State).toBe('TERMINATING');

    const degraded = harness.athena.store.addSession({ workGroup: 'lifecycle', state: 'IDLE' });
    harness.athena.store.markDegraded(degraded.sessionId);
    expect((await status(degraded.sessionId)).State).toBe('DEGRADED');
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: degraded.sessionId }))).State).toBe(
      'TERMINATING',
    );

    const { sessionId: busy } = await toIdle();
    await harness.client.send(
      new StartCalculationExecutionCommand({ SessionId: busy, CodeBlock: 'spark.range(10).count()' }),
    );
    expect((await harness.client.send(new TerminateSessionCommand({ SessionId: busy }))).State).toBe('TERMINATING');
  });

  it('TerminateSession on an unknown session -> ResourceNotFoundException', async () => {
    const error = await rejectionOf(harness.client.send(new TerminateSessionCommand({ SessionId: 'no-such-session' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toContain('no-such-session');
  });

  it('a calculation moves IDLE -> BUSY -> IDLE, CREATING -> QUEUED -> RUNNING -> COMPLETED, and adds DPU time', async () => {
    const { sessionId } = await toIdle();
    const submittedAt = clock.now();
    const started = await harness.client.send(
      new StartCalculationExecutionCommand({
        SessionId: sessionId,
        CodeBlock: 'df.count()',
        Description: 'count rows',
      }),
    );
    expect(started.State).toBe('CREATING');
    const calculationId = started.CalculationExecutionId as string;

    let session = await status(sessionId);
    expect(session.State).toBe('BUSY');
    expect(session.IdleSinceDateTime).toBeUndefined();
    expect(session.LastModifiedDateTime!.getTime()).toBe(submittedAt);

    const get = () =>
      harness.client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: calculationId }));
    let calculation = await get();
    expect(calculation.Status?.State).toBe('CREATING');
    clock.advance(timings.calculationCreatingMs);
    calculation = await get();
    expect(calculation.Status?.State).toBe('QUEUED');
    expect(calculation.SessionId).toBe(sessionId);
    expect(calculation.Description).toBe('count rows');
    expect(calculation.Status?.SubmissionDateTime?.getTime()).toBe(submittedAt);
    expect(calculation.Result).toBeUndefined();

    clock.advance(timings.calculationQueuedMs);
    calculation = await get();
    expect(calculation.Status?.State).toBe('RUNNING');
    expect((await status(sessionId)).State).toBe('BUSY');

    clock.advance(timings.calculationMs);
    calculation = await get();
    const completedAt = submittedAt + WAIT_MS + timings.calculationMs;
    expect(calculation.Status?.State).toBe('COMPLETED');
    expect(calculation.Status?.CompletionDateTime?.getTime()).toBe(completedAt);
    expect(calculation.Statistics?.DpuExecutionInMillis).toBe(timings.calculationMs * 2);
    expect(calculation.Result?.StdOutS3Uri).toMatch(/^s3:\/\//);

    session = await status(sessionId);
    expect(session.State).toBe('IDLE');
    expect(session.IdleSinceDateTime!.getTime()).toBe(completedAt);

    const details = await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    expect(details.Statistics?.DpuExecutionInMillis).toBe(timings.calculationMs * 2);

    await harness.client.send(new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: 'df.count()' }));
    clock.advance(WAIT_MS + timings.calculationMs);
    const again = await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    expect(again.Status?.State).toBe('IDLE');
    expect(again.Statistics?.DpuExecutionInMillis).toBe(timings.calculationMs * 4);
  });

  it('the idle timeout counts from the end of the last calculation', async () => {
    const { sessionId } = await toIdle(1);
    clock.advance(50_000);
    await harness.client.send(new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: '1' }));
    clock.advance(WAIT_MS + timings.calculationMs + 59_999);
    expect((await status(sessionId)).State).toBe('IDLE');
    clock.advance(1);
    expect((await status(sessionId)).State).toBe('TERMINATING');
  });

  it('rejects a calculation in a session that is neither IDLE nor BUSY; a BUSY one queues it', async () => {
    const creating = await startSession();
    const onCreating = await rejectionOf(
      harness.client.send(new StartCalculationExecutionCommand({ SessionId: creating, CodeBlock: '1' })),
    );
    expect(onCreating).toBeInstanceOf(InvalidRequestException);
    expect(onCreating.message).toContain('CREATING');

    const { sessionId } = await toIdle();
    const first = await harness.client.send(
      new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: '1' }),
    );
    const second = await harness.client.send(
      new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: '2' }),
    );
    const stateOf = async (id: string | undefined) =>
      (await harness.client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: id }))).Status?.State;
    clock.advance(WAIT_MS);
    expect(await stateOf(first.CalculationExecutionId)).toBe('RUNNING');
    expect(await stateOf(second.CalculationExecutionId)).toBe('QUEUED');
    clock.advance(timings.calculationMs);
    expect(await stateOf(first.CalculationExecutionId)).toBe('COMPLETED');
    expect(await stateOf(second.CalculationExecutionId)).toBe('RUNNING');
    expect((await status(sessionId)).State).toBe('BUSY');
    clock.advance(timings.calculationMs);
    expect(await stateOf(second.CalculationExecutionId)).toBe('COMPLETED');
    expect((await status(sessionId)).State).toBe('IDLE');

    const terminated = harness.athena.store.addSession({ workGroup: 'lifecycle', state: 'TERMINATED' });
    const onTerminated = await rejectionOf(
      harness.client.send(new StartCalculationExecutionCommand({ SessionId: terminated.sessionId, CodeBlock: '1' })),
    );
    expect(onTerminated).toBeInstanceOf(InvalidRequestException);
    expect(onTerminated.message).toMatch(/^Session is in the TERMINATED state/);

    const unknown = await rejectionOf(
      harness.client.send(new StartCalculationExecutionCommand({ SessionId: 'nope', CodeBlock: '1' })),
    );
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
  });

  it('a calculation running when its session is terminated reads FAILED', async () => {
    const { sessionId } = await toIdle();
    const { CalculationExecutionId } = await harness.client.send(
      new StartCalculationExecutionCommand({ SessionId: sessionId, CodeBlock: 'long_job()' }),
    );
    clock.advance(WAIT_MS + 1_000);
    await harness.client.send(new TerminateSessionCommand({ SessionId: sessionId }));
    clock.advance(10_000);
    const calculation = await harness.client.send(
      new GetCalculationExecutionCommand({ CalculationExecutionId: CalculationExecutionId! }),
    );
    expect(calculation.Status?.State).toBe('FAILED');
    expect(calculation.Status?.StateChangeReason).toBeDefined();
    expect(calculation.Statistics?.DpuExecutionInMillis).toBe(1_000 * 2);
    const details = await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    expect(details.Status?.State).toBe('TERMINATED');
    expect(details.Statistics?.DpuExecutionInMillis).toBe(1_000 * 2);
  });

  it('StartCalculationExecution with the same ClientRequestToken returns the same calculation', async () => {
    const { sessionId } = await toIdle();
    const request = {
      SessionId: sessionId,
      CodeBlock: 'x = 1',
      ClientRequestToken: 'calc-token-0001-0000-0000-0000-000000',
    };
    const first = await harness.client.send(new StartCalculationExecutionCommand(request));
    const retry = await harness.client.send(new StartCalculationExecutionCommand(request));
    expect(retry.CalculationExecutionId).toBe(first.CalculationExecutionId);
    const changed = await rejectionOf(
      harness.client.send(new StartCalculationExecutionCommand({ ...request, CodeBlock: 'x = 2' })),
    );
    expect(changed).toBeInstanceOf(InvalidRequestException);
  });

  it('GetCalculationExecution on an unknown id -> ResourceNotFoundException', async () => {
    const error = await rejectionOf(
      harness.client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: 'nope' })),
    );
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('sessions seeded directly keep their timestamps; timers start when inserted', async () => {
    const seededAt = clock.now();
    const session = harness.athena.store.addSession({
      workGroup: 'lifecycle',
      state: 'IDLE',
      startDateTime: seededAt - 5 * 86_400_000,
      lastModifiedDateTime: seededAt - 3_600_000,
      sessionIdleTimeoutInMinutes: 30,
    });
    let current = await status(session.sessionId);
    expect(current.State).toBe('IDLE');
    expect(current.StartDateTime!.getTime()).toBe(seededAt - 5 * 86_400_000);
    expect(current.IdleSinceDateTime!.getTime()).toBe(seededAt - 3_600_000);
    clock.advance(30 * 60_000);
    current = await status(session.sessionId);
    expect(current.State).toBe('TERMINATING');
  });

  it('pinned sessions make no timer-driven transitions until acted on', async () => {
    const pinned = harness.athena.store.addSession({ workGroup: 'lifecycle', state: 'CREATING', pinned: true });
    clock.advance(86_400_000);
    expect((await status(pinned.sessionId)).State).toBe('CREATING');
    await harness.client.send(new TerminateSessionCommand({ SessionId: pinned.sessionId }));
    clock.advance(timings.terminatingMs);
    expect((await status(pinned.sessionId)).State).toBe('TERMINATED');
  });

  it('a session can be forced to FAILED or DEGRADED', async () => {
    const { sessionId } = await toIdle();
    harness.athena.store.markDegraded(sessionId, 'coordinator lost');
    let current = await status(sessionId);
    expect(current.State).toBe('DEGRADED');
    expect(current.StateChangeReason).toBe('coordinator lost');
    expect(current.IdleSinceDateTime).toBeUndefined();
    clock.advance(86_400_000);
    expect((await status(sessionId)).State).toBe('DEGRADED');

    const failedAt = clock.now();
    harness.athena.store.markFailed(sessionId);
    current = await status(sessionId);
    expect(current.State).toBe('FAILED');
    expect(current.EndDateTime!.getTime()).toBe(failedAt);
    expect(current.StateChangeReason).toBeTruthy();
  });
});
