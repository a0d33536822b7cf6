import { describe, expect, it } from 'vitest';

import type { SessionRecordInit } from '../../src/local-athena/session-record.js';
import { buildSessionRecord, DEFAULT_MAX_CONCURRENT_DPUS, sessionView } from '../../src/local-athena/session-record.js';
import { WorkGroupRegistry } from '../../src/local-athena/work-group-registry.js';

function init(overrides: Partial<SessionRecordInit> = {}): SessionRecordInit {
  const workGroup = new WorkGroupRegistry().create(
    'wg',
    { encryptionConfiguration: { encryptionOption: 'SSE_S3' } },
    0,
  );
  return {
    sessionId: 's-1',
    workGroup,
    description: undefined,
    notebookVersion: undefined,
    engineVersion: { selected: workGroup.engineVersion, effective: workGroup.engineVersion },
    engineConfiguration: undefined,
    executionRole: undefined,
    workingDirectory: undefined,
    sessionIdleTimeoutInMinutes: 20,
    encryptionConfiguration: undefined,
    monitoringConfiguration: undefined,
    tags: undefined,
    state: 'CREATING',
    stateChangeReason: undefined,
    startDateTime: 10,
    lastModifiedDateTime: 10,
    endDateTime: undefined,
    idleSinceDateTime: undefined,
    dpuExecutionInMillis: 0,
    stateEnteredAt: 10,
    idleTimeoutMs: 1_200_000,
    pinned: false,
    creatingMs: 2_000,
    createdMs: 1_000,
    ...overrides,
  };
}

describe('session record', () => {
  it("fills the defaults from the work group and the service's guesses", () => {
    const record = buildSessionRecord(
      init({ engineConfiguration: { maxConcurrentDpus: undefined, coordinatorDpuSize: 2 } }),
    );
    expect(record.engineConfiguration).toEqual({
      coordinatorDpuSize: 2,
      maxConcurrentDpus: DEFAULT_MAX_CONCURRENT_DPUS,
      defaultExecutorDpuSize: 1,
      additionalConfigs: {},
      sparkProperties: {},
      classifications: undefined,
    });
    expect(record.sessionConfiguration).toEqual({
      executionRole: 'arn:aws:iam::123456789012:role/service-role/AWSAthenaSparkExecutionRole-wg',
      workingDirectory: 's3://local-athena-results/wg/s-1/',
      sessionIdleTimeoutInMinutes: 20,
      encryptionConfiguration: { encryptionOption: 'SSE_S3' },
    });
    expect(record.tags).toEqual([]);
    expect(record.activeCalculationIds).toEqual([]);
  });

  it('copies what it is given, and its view is a copy too', () => {
    const tags = [{ key: 'team', value: 'ml' }];
    const sparkProperties = { 'spark.executor.memory': '4g' };
    const record = buildSessionRecord(init({ tags, engineConfiguration: { sparkProperties } }));
    tags[0]!.value = 'changed';
    sparkProperties['spark.executor.memory'] = '8g';
    expect(record.tags).toEqual([{ key: 'team', value: 'ml' }]);
    expect(record.engineConfiguration.sparkProperties).toEqual({ 'spark.executor.memory': '4g' });
    const view = sessionView(record);
    view.tags[0]!.value = 'changed';
    view.engineConfiguration.sparkProperties.x = 'y';
    view.sessionConfiguration.encryptionConfiguration!.encryptionOption = 'CSE_KMS';
    expect(sessionView(record)).toEqual({
      ...view,
      tags: [{ key: 'team', value: 'ml' }],
      engineConfiguration: { ...view.engineConfiguration, sparkProperties: { 'spark.executor.memory': '4g' } },
      sessionConfiguration: { ...view.sessionConfiguration, encryptionConfiguration: { encryptionOption: 'SSE_S3' } },
    });
    expect(view.status).toEqual({
      state: 'CREATING',
      stateChangeReason: undefined,
      startDateTime: 10,
      lastModifiedDateTime: 10,
      endDateTime: undefined,
      idleSinceDateTime: undefined,
    });
  });
});
