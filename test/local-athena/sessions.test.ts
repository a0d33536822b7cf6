import {
  GetSessionCommand,
  GetSessionStatusCommand,
  InvalidRequestException,
  ListSessionsCommand,
  ResourceNotFoundException,
  StartSessionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { LocalHarness } from './support.js';
import { rejectionOf, startHarness } from './support.js';

// StartSession, GetSession and GetSessionStatus: success shapes and error paths.

describe('StartSession, GetSession, GetSessionStatus', () => {
  let harness: LocalHarness;
  const clock = new ManualClock(Date.UTC(2024, 2, 3, 4, 5, 6, 789));

  beforeAll(async () => {
    harness = await startHarness({ clock });
    harness.athena.store.createWorkGroup('team-a', {
      engineVersion: 'PySpark engine version 3',
      executionRole: 'arn:aws:iam::111122223333:role/team-a-spark',
      outputLocation: 's3://team-a-bucket/athena/',
      encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: 'arn:aws:kms:us-east-1:111122223333:key/abc' },
    });
    harness.athena.store.createWorkGroup('team-b');
  });
  afterAll(() => harness.close());

  it('starts a session and returns its full shape from GetSession', async () => {
    const started = await harness.client.send(
      new StartSessionCommand({
        WorkGroup: 'team-a',
        Description: 'Nightly churn model feature build',
        EngineConfiguration: {
          MaxConcurrentDpus: 20,
          CoordinatorDpuSize: 1,
          DefaultExecutorDpuSize: 1,
          SparkProperties: { 'spark.sql.shuffle.partitions': '64' },
          AdditionalConfigs: { NotebookId: 'nb-123' },
          Classifications: [{ Name: 'spark-defaults', Properties: { 'spark.executor.cores': '4' } }],
        },
        NotebookVersion: 'Athena notebook version 1',
        SessionIdleTimeoutInMinutes: 45,
        MonitoringConfiguration: { ManagedLoggingConfiguration: { Enabled: true } },
        Tags: [{ Key: 'team', Value: 'a' }],
      }),
    );
    expect(started.State).toBe('CREATING');
    expect(started.SessionId).toMatch(/^[0-9a-f-]{36}$/);

    const session = await harness.client.send(new GetSessionCommand({ SessionId: started.SessionId }));
    expect(session).toMatchObject({
      SessionId: started.SessionId,
      Description: 'Nightly churn model feature build',
      WorkGroup: 'team-a',
      EngineVersion: 'PySpark engine version 3',
      NotebookVersion: 'Athena notebook version 1',
      EngineConfiguration: {
        MaxConcurrentDpus: 20,
        CoordinatorDpuSize: 1,
        DefaultExecutorDpuSize: 1,
        SparkProperties: { 'spark.sql.shuffle.partitions': '64' },
        AdditionalConfigs: { NotebookId: 'nb-123' },
        Classifications: [{ Name: 'spark-defaults', Properties: { 'spark.executor.cores': '4' } }],
      },
      SessionConfiguration: {
        ExecutionRole: 'arn:aws:iam::111122223333:role/team-a-spark',
        WorkingDirectory: `s3://team-a-bucket/athena/${started.SessionId}/`,
        IdleTimeoutSeconds: 45 * 60,
        SessionIdleTimeoutInMinutes: 45,
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: 'arn:aws:kms:us-east-1:111122223333:key/abc' },
      },
      MonitoringConfiguration: { ManagedLoggingConfiguration: { Enabled: true } },
      Status: { State: 'CREATING' },
      Statistics: { DpuExecutionInMillis: 0 },
    });
    // Millisecond precision survives the epoch-seconds wire format.
    expect(session.Status?.StartDateTime).toEqual(new Date(clock.now()));
    expect(session.Status?.LastModifiedDateTime).toEqual(new Date(clock.now()));
    expect(session.Status?.EndDateTime).toBeUndefined();
    expect(session.Status?.IdleSinceDateTime).toBeUndefined();
  });

  it('fills defaults: engine DPUs, execution role of the work group, idle timeout 20 minutes', async () => {
    const started = await harness.client.send(
      new StartSessionCommand({ WorkGroup: 'team-b', EngineConfiguration: {} }),
    );
    const session = await harness.client.send(new GetSessionCommand({ SessionId: started.SessionId }));
    expect(session.Description).toBeUndefined();
    expect(session.EngineConfiguration).toMatchObject({
      CoordinatorDpuSize: 1,
      DefaultExecutorDpuSize: 1,
      MaxConcurrentDpus: 20,
    });
    expect(session.SessionConfiguration?.ExecutionRole).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(session.SessionConfiguration?.SessionIdleTimeoutInMinutes).toBe(20);
    expect(session.SessionConfiguration?.IdleTimeoutSeconds).toBe(1200);
    expect(session.SessionConfiguration?.EncryptionConfiguration).toBeUndefined();
    expect(session.MonitoringConfiguration).toBeUndefined();
  });

  it('accepts an explicit execution role', async () => {
    const role = 'arn:aws:iam::444455556666:role/service-role/custom';
    const started = await harness.client.send(
      new StartSessionCommand({
        WorkGroup: 'team-b',
        EngineConfiguration: { MaxConcurrentDpus: 2 },
        ExecutionRole: role,
      }),
    );
    const session = await harness.client.send(new GetSessionCommand({ SessionId: started.SessionId }));
    expect(session.SessionConfiguration?.ExecutionRole).toBe(role);
  });

  it('a retried StartSession with the same ClientRequestToken returns the same session', async () => {
    const request = {
      WorkGroup: 'team-b',
      Description: 'retry me',
      EngineConfiguration: { MaxConcurrentDpus: 4, SparkProperties: { a: '1', b: '2' } },
      ClientRequestToken: '0f8fad5b-d9cb-469f-a165-70867728950e',
    };
    const before = harness.athena.store.countSessions('team-b');
    const first = await harness.client.send(new StartSessionCommand(request));
    const retry = await harness.client.send(
      // Same parameters, members in another order.
      new StartSessionCommand({
        ...request,
        EngineConfiguration: { SparkProperties: { b: '2', a: '1' }, MaxConcurrentDpus: 4 },
      }),
    );
    expect(retry.SessionId).toBe(first.SessionId);
    expect(harness.athena.store.countSessions('team-b')).toBe(before + 1);

    const changed = await rejectionOf(
      harness.client.send(new StartSessionCommand({ ...request, Description: 'something else' })),
    );
    expect(changed).toBeInstanceOf(InvalidRequestException);
  });

  it('starts a new session for each call without a ClientRequestToken', async () => {
    const request = { WorkGroup: 'team-b', EngineConfiguration: { MaxConcurrentDpus: 4 } };
    const first = await harness.client.send(new StartSessionCommand(request));
    const second = await harness.client.send(new StartSessionCommand(request));
    expect(second.SessionId).not.toBe(first.SessionId);
  });

  it('StartSession in an unknown work group -> ResourceNotFoundException', async () => {
    const error = await rejectionOf(
      harness.client.send(
        new StartSessionCommand({ WorkGroup: 'nope', EngineConfiguration: { MaxConcurrentDpus: 4 } }),
      ),
    );
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe('WorkGroup nope is not found.');
  });

  it('GetSessionStatus returns the status only', async () => {
    const seeded = harness.athena.store.addSession({
      workGroup: 'team-b',
      state: 'TERMINATED',
      stateChangeReason: 'done',
      startDateTime: Date.UTC(2024, 0, 1, 0, 0, 0, 1),
      lastModifiedDateTime: Date.UTC(2024, 0, 1, 1, 0, 0, 2),
    });
    const response = await harness.client.send(new GetSessionStatusCommand({ SessionId: seeded.sessionId }));
    expect(response.SessionId).toBe(seeded.sessionId);
    expect(response.Status).toEqual({
      State: 'TERMINATED',
      StateChangeReason: 'done',
      StartDateTime: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 1)),
      LastModifiedDateTime: new Date(Date.UTC(2024, 0, 1, 1, 0, 0, 2)),
      EndDateTime: new Date(Date.UTC(2024, 0, 1, 1, 0, 0, 2)),
    });
  });

  it('GetSession and GetSessionStatus of an unknown session -> ResourceNotFoundException', async () => {
    for (const command of [
      new GetSessionCommand({ SessionId: 'missing-session' }),
      new GetSessionStatusCommand({ SessionId: 'missing-session' }),
    ]) {
      const error = await rejectionOf(harness.client.send(command as never));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.message).toBe('Session missing-session not found');
    }
  });

  it('ListSessions in an unknown work group -> ResourceNotFoundException; an empty one lists nothing', async () => {
    const error = await rejectionOf(harness.client.send(new ListSessionsCommand({ WorkGroup: 'ghost' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe('WorkGroup ghost is not found.');

    harness.athena.store.createWorkGroup('empty');
    const page = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'empty' }));
    expect(page.Sessions).toEqual([]);
    expect(page.NextToken).toBeUndefined();
  });

  it('summaries carry id, description, engine versions, notebook version and status', async () => {
    harness.athena.store.createWorkGroup('summaries');
    const seeded = harness.athena.store.addSession({
      workGroup: 'summaries',
      description: 'Ad-hoc exploration of clickstream',
      notebookVersion: 'Athena notebook version 1',
      engineVersion: { selected: 'AUTO', effective: 'PySpark engine version 3' },
      state: 'BUSY',
    });
    const page = await harness.client.send(new ListSessionsCommand({ WorkGroup: 'summaries' }));
    expect(page.Sessions).toEqual([
      {
        SessionId: seeded.sessionId,
        Description: 'Ad-hoc exploration of clickstream',
        NotebookVersion: 'Athena notebook version 1',
        EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'PySpark engine version 3' },
        Status: {
          State: 'BUSY',
          StartDateTime: new Date(clock.now()),
          LastModifiedDateTime: new Date(clock.now()),
        },
      },
    ]);
  });

  it('store views are copies: mutating one changes nothing', () => {
    const seeded = harness.athena.store.addSession({ workGroup: 'team-b' });
    seeded.engineConfiguration.sparkProperties.injected = 'yes';
    seeded.status.state = 'FAILED';
    const again = harness.athena.store.getSession(seeded.sessionId)!;
    expect(again.engineConfiguration.sparkProperties).toEqual({});
    expect(again.status.state).toBe('IDLE');
  });
});
