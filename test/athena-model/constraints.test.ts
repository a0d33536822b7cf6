import { describe, expect, it } from 'vitest';
import type { ShapeName } from '../../src/athena-model/index.js';
import {
  codePointLength,
  describeShape,
  inputMembers,
  OPERATIONS,
  onlyModelled,
  outputMembers,
  SHAPES,
  violation,
  violations,
} from '../../src/athena-model/index.js';

// The headline facts of shared/athena-api/model-facts.md, read back from the extracted model.
describe('the extracted model', () => {
  it.each([
    ['SessionId', { min: 1, max: 256 }],
    ['IdempotencyToken', { min: 32, max: 128 }],
    ['DescriptionString', { min: 1, max: 1024 }],
    ['WorkGroupDescriptionString', { min: 0, max: 1024 }],
    ['CalculationExecutionId', { min: 1, max: 36 }],
    ['CodeBlock', { max: 68_000 }],
    ['MaxSessionsCount', { min: 1, max: 100 }],
    ['MaxCalculationsCount', { min: 1, max: 100 }],
    ['MaxWorkGroupsCount', { min: 1, max: 50 }],
    ['SessionIdleTimeoutInMinutes', { min: 1, max: 480 }],
    ['CoordinatorDpuSize', { min: 1, max: 1 }],
    ['DefaultExecutorDpuSize', { min: 1, max: 1 }],
    ['MaxConcurrentDpus', { min: 2, max: 5000 }],
    ['KeyString', { min: 1, max: 255 }],
    ['ParametersMapValue', { max: 51_200 }],
    ['NameString', { min: 1, max: 128 }],
    ['RoleArn', { min: 20, max: 2048 }],
    ['S3Uri', { max: 1024 }],
    ['Token', { min: 1, max: 1024 }],
    ['SessionManagerToken', { max: 2048 }],
    ['WorkGroupName', { pattern: '[a-zA-Z0-9._-]{1,128}' }],
  ] as const)('%s has %j', (name, constraints) => {
    expect(SHAPES[name]).toMatchObject(constraints);
  });

  it('has the state enums of the model', () => {
    expect(SHAPES.SessionState.enum).toEqual([
      'CREATING',
      'CREATED',
      'IDLE',
      'BUSY',
      'TERMINATING',
      'TERMINATED',
      'DEGRADED',
      'FAILED',
    ]);
    expect(SHAPES.CalculationExecutionState.enum).toEqual([
      'CREATING',
      'CREATED',
      'QUEUED',
      'RUNNING',
      'CANCELING',
      'CANCELED',
      'COMPLETED',
      'FAILED',
    ]);
    expect(SHAPES.WorkGroupState.enum).toEqual(['ENABLED', 'DISABLED']);
  });

  it('knows each operation the project uses, its members and its errors', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(
      [
        'GetCalculationExecution',
        'GetCalculationExecutionCode',
        'GetCalculationExecutionStatus',
        'GetSession',
        'GetSessionEndpoint',
        'GetSessionStatus',
        'GetWorkGroup',
        'ListCalculationExecutions',
        'ListSessions',
        'ListWorkGroups',
        'StartCalculationExecution',
        'StartSession',
        'StopCalculationExecution',
        'TerminateSession',
      ].sort(),
    );
    expect(
      inputMembers('StartSession')
        .filter((member) => member.required)
        .map((member) => member.name),
    ).toEqual(['WorkGroup', 'EngineConfiguration']);
    expect(inputMembers('StartSession').find((member) => member.name === 'ClientRequestToken')).toMatchObject({
      shape: 'IdempotencyToken',
      required: false,
    });
    expect(outputMembers('GetSessionEndpoint').map((member) => [member.name, member.required])).toEqual([
      ['EndpointUrl', true],
      ['AuthToken', true],
      ['AuthTokenExpirationTime', true],
    ]);
    expect(
      inputMembers('StartCalculationExecution').find((member) => member.name === 'CalculationConfiguration')
        ?.deprecated,
    ).toBe(true);
    expect(OPERATIONS.GetWorkGroup.errors).toEqual(['InternalServerException', 'InvalidRequestException']);
    expect(OPERATIONS.StartSession.errors).toContain('SessionAlreadyExistsException');
  });
});

describe('violation', () => {
  it.each([
    ['IdempotencyToken', 'x'.repeat(31), 'greater than or equal to 32'],
    ['IdempotencyToken', 'x'.repeat(32), undefined],
    ['IdempotencyToken', 'x'.repeat(128), undefined],
    ['IdempotencyToken', 'x'.repeat(129), 'less than or equal to 128'],
    ['MaxConcurrentDpus', 1, 'greater than or equal to 2'],
    ['MaxConcurrentDpus', 5000, undefined],
    ['MaxConcurrentDpus', 2.5, 'of type integer'],
    ['MaxConcurrentDpus', 2 ** 31, 'of type integer'],
    ['SessionState', 'RUNNING', 'enum value set'],
    ['SessionState', 'IDLE', undefined],
    ['WorkGroupName', 'primary', undefined],
    ['WorkGroupName', 'x'.repeat(129), 'regular expression pattern'],
    ['WorkGroupName', 'a b', 'regular expression pattern'],
    ['WorkGroupName', '', 'regular expression pattern'],
    ['RoleArn', 'arn:aws:iam::123456789012:role/x', undefined],
    ['RoleArn', 'arn:aws:iam::12345:role/xxxxxxxxxxxxxx', 'regular expression pattern'],
    ['KeyString', 'spark.sql.shuffle.partitions', undefined],
    ['KeyString', 'new\nline', 'regular expression pattern'],
    ['KeyString', '😀', undefined],
    ['CalculationResultType', 'application/json', undefined],
    ['SessionId', 42, 'of type string'],
  ] as [ShapeName, unknown, string | undefined][])('%s %j', (shape, value, expected) => {
    const found = violation(shape, value);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(expected);
  });

  it('treats absent values as accepted: required belongs to the holding structure', () => {
    expect(violation('SessionId', undefined)).toBeUndefined();
    expect(violations('GetSessionRequest', {})).toEqual([
      { path: 'sessionId', value: null, constraint: 'Member must not be null' },
    ]);
  });

  it('counts lengths in code points', () => {
    expect(codePointLength('😀😀')).toBe(2);
    expect(violation('NameString', '😀'.repeat(128))).toBeUndefined();
    expect(violation('NameString', '😀'.repeat(129))).toContain('less than or equal to 128');
  });

  it('walks structures, lists and maps with AWS member paths', () => {
    const found = violations('StartSessionRequest', {
      WorkGroup: 'wg',
      EngineConfiguration: { MaxConcurrentDpus: 1, SparkProperties: { '': 'v' } },
      Tags: [{ Key: '' }],
    });
    expect(found.map((entry) => entry.path)).toEqual([
      'engineConfiguration.maxConcurrentDpus',
      'engineConfiguration.sparkProperties',
      'tags.1.member.key',
    ]);
  });

  it('describes a shape for people', () => {
    expect(describeShape('IdempotencyToken')).toBe('32 to 128 characters long');
    expect(describeShape('MaxConcurrentDpus')).toBe('an integer from 2 to 5000');
    expect(describeShape('WorkGroupName')).toBe('matching [a-zA-Z0-9._-]{1,128}');
  });

  it('keeps only the members the model has', () => {
    expect(
      onlyModelled('MonitoringConfiguration', { ManagedLoggingConfiguration: { Enabled: true, Extra: 1 }, Other: {} }),
    ).toEqual({
      ManagedLoggingConfiguration: { Enabled: true },
    });
  });
});
