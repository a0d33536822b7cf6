import type { AthenaClient } from '@aws-sdk/client-athena';
import {
  GetCalculationExecutionCommand,
  GetSessionCommand,
  GetSessionStatusCommand,
  InvalidRequestException,
  ListSessionsCommand,
  ResourceNotFoundException,
  StartCalculationExecutionCommand,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import type { LocalHarness } from './support.js';
import { rawCall, rejectionOf, startHarness } from './support.js';

// Every rule of every operation must give the SDK's InvalidRequestException, naming the member.

type Send = (client: AthenaClient) => Promise<unknown>;

interface ValidationCase {
  name: string;
  send: Send;
  /** The member path and constraint the message must mention. */
  expected: string;
}

const engine = { MaxConcurrentDpus: 4 };
const longText = (length: number) => 'x'.repeat(length);

const cases: ValidationCase[] = [
  // GetSession, GetSessionStatus, TerminateSession: SessionId 1..256, required
  ...(
    [
      ['GetSession', (SessionId?: string) => new GetSessionCommand({ SessionId } as never)],
      ['GetSessionStatus', (SessionId?: string) => new GetSessionStatusCommand({ SessionId } as never)],
      ['TerminateSession', (SessionId?: string) => new TerminateSessionCommand({ SessionId } as never)],
    ] as const
  ).flatMap(([operation, command]): ValidationCase[] => [
    {
      name: `${operation} without SessionId`,
      send: (client) => client.send(command(undefined) as never),
      expected: "at 'sessionId' failed to satisfy constraint: Member must not be null",
    },
    {
      name: `${operation} with an empty SessionId`,
      send: (client) => client.send(command('') as never),
      expected: "at 'sessionId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: `${operation} with a 257-character SessionId`,
      send: (client) => client.send(command(longText(257)) as never),
      expected: "at 'sessionId' failed to satisfy constraint: Member must have length less than or equal to 256",
    },
  ]),
  // ListSessions
  {
    name: 'ListSessions without WorkGroup',
    send: (client) => client.send(new ListSessionsCommand({} as never)),
    expected: "at 'workGroup' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'ListSessions with a WorkGroup outside the pattern',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: 'no spaces!' })),
    expected:
      "at 'workGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9._-]{1,128}",
  },
  {
    name: 'ListSessions with a 129-character WorkGroup',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: longText(129) })),
    expected: "at 'workGroup' failed to satisfy constraint: Member must satisfy regular expression pattern",
  },
  {
    name: 'ListSessions with an empty WorkGroup',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: '' })),
    expected: "Value '' at 'workGroup' failed to satisfy constraint: Member must satisfy regular expression pattern",
  },
  {
    name: 'ListSessions with MaxResults 0',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: 'wg', MaxResults: 0 })),
    expected:
      "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
  },
  {
    name: 'ListSessions with MaxResults 101',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: 'wg', MaxResults: 101 })),
    expected:
      "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
  },
  {
    name: 'ListSessions with a 2049-character NextToken',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: 'wg', NextToken: longText(2049) })),
    expected: "at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 2048",
  },
  {
    name: 'ListSessions with an unknown StateFilter',
    send: (client) => client.send(new ListSessionsCommand({ WorkGroup: 'wg', StateFilter: 'RUNNING' as never })),
    expected:
      "Value 'RUNNING' at 'stateFilter' failed to satisfy constraint: Member must satisfy enum value set: [CREATING, CREATED, IDLE, BUSY, TERMINATING, TERMINATED, DEGRADED, FAILED]",
  },
  // StartSession
  {
    name: 'StartSession without WorkGroup',
    send: (client) => client.send(new StartSessionCommand({ EngineConfiguration: engine } as never)),
    expected: "at 'workGroup' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'StartSession with a WorkGroup outside the pattern',
    send: (client) => client.send(new StartSessionCommand({ WorkGroup: 'a/b', EngineConfiguration: engine })),
    expected: "at 'workGroup' failed to satisfy constraint: Member must satisfy regular expression pattern",
  },
  {
    name: 'StartSession without EngineConfiguration',
    send: (client) => client.send(new StartSessionCommand({ WorkGroup: 'wg' } as never)),
    expected: "at 'engineConfiguration' failed to satisfy constraint: Member must not be null",
  },
  ...(
    [
      ['MaxConcurrentDpus', 1, 'maxConcurrentDpus', 'greater than or equal to 2'],
      ['MaxConcurrentDpus', 5001, 'maxConcurrentDpus', 'less than or equal to 5000'],
      ['CoordinatorDpuSize', 0, 'coordinatorDpuSize', 'greater than or equal to 1'],
      ['CoordinatorDpuSize', 2, 'coordinatorDpuSize', 'less than or equal to 1'],
      ['DefaultExecutorDpuSize', 0, 'defaultExecutorDpuSize', 'greater than or equal to 1'],
      ['DefaultExecutorDpuSize', 2, 'defaultExecutorDpuSize', 'less than or equal to 1'],
    ] as const
  ).map(
    ([member, value, path, constraint]): ValidationCase => ({
      name: `StartSession with ${member} ${value}`,
      send: (client) =>
        client.send(new StartSessionCommand({ WorkGroup: 'wg', EngineConfiguration: { ...engine, [member]: value } })),
      expected: `Value '${value}' at 'engineConfiguration.${path}' failed to satisfy constraint: Member must have value ${constraint}`,
    }),
  ),
  ...([0, 481] as const).map(
    (minutes): ValidationCase => ({
      name: `StartSession with SessionIdleTimeoutInMinutes ${minutes}`,
      send: (client) =>
        client.send(
          new StartSessionCommand({
            WorkGroup: 'wg',
            EngineConfiguration: engine,
            SessionIdleTimeoutInMinutes: minutes,
          }),
        ),
      expected: `Value '${minutes}' at 'sessionIdleTimeoutInMinutes' failed to satisfy constraint`,
    }),
  ),
  ...(
    [
      ['Description', '', 'description', 'greater than or equal to 1'],
      ['Description', longText(1025), 'description', 'less than or equal to 1024'],
      ['NotebookVersion', '', 'notebookVersion', 'greater than or equal to 1'],
      ['NotebookVersion', longText(129), 'notebookVersion', 'less than or equal to 128'],
      ['ClientRequestToken', longText(31), 'clientRequestToken', 'greater than or equal to 32'],
      ['ClientRequestToken', longText(129), 'clientRequestToken', 'less than or equal to 128'],
    ] as const
  ).map(
    ([member, value, path, constraint]): ValidationCase => ({
      name: `StartSession with a ${value.length}-character ${member}`,
      send: (client) =>
        client.send(new StartSessionCommand({ WorkGroup: 'wg', EngineConfiguration: engine, [member]: value })),
      expected: `at '${path}' failed to satisfy constraint: Member must have length ${constraint}`,
    }),
  ),
  {
    name: 'StartSession with an ExecutionRole that is not a role ARN',
    send: (client) =>
      client.send(
        new StartSessionCommand({
          WorkGroup: 'wg',
          EngineConfiguration: engine,
          ExecutionRole: 'my-role-is-not-an-arn',
        }),
      ),
    expected: "at 'executionRole' failed to satisfy constraint: Member must satisfy regular expression pattern",
  },
  {
    name: 'StartSession with an empty tag key',
    send: (client) =>
      client.send(
        new StartSessionCommand({ WorkGroup: 'wg', EngineConfiguration: engine, Tags: [{ Key: '', Value: 'v' }] }),
      ),
    expected: "at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'StartSession with a monitoring configuration missing Enabled',
    send: (client) =>
      client.send(
        new StartSessionCommand({
          WorkGroup: 'wg',
          EngineConfiguration: engine,
          MonitoringConfiguration: { ManagedLoggingConfiguration: {} as never },
        }),
      ),
    expected:
      "at 'monitoringConfiguration.managedLoggingConfiguration.enabled' failed to satisfy constraint: Member must not be null",
  },
  // StartCalculationExecution
  {
    name: 'StartCalculationExecution with an empty SessionId',
    send: (client) => client.send(new StartCalculationExecutionCommand({ SessionId: '', CodeBlock: 'print(1)' })),
    expected: "at 'sessionId' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'StartCalculationExecution with a 1025-character Description',
    send: (client) =>
      client.send(
        new StartCalculationExecutionCommand({ SessionId: 's', CodeBlock: 'print(1)', Description: longText(1025) }),
      ),
    expected: "at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024",
  },
  {
    name: 'StartCalculationExecution with a 68001-character CodeBlock',
    send: (client) =>
      client.send(new StartCalculationExecutionCommand({ SessionId: 's', CodeBlock: longText(68_001) })),
    expected: "at 'codeBlock' failed to satisfy constraint: Member must have length less than or equal to 68000",
  },
  {
    name: 'StartCalculationExecution with a 68001-character deprecated CodeBlock',
    send: (client) =>
      client.send(
        new StartCalculationExecutionCommand({
          SessionId: 's',
          CalculationConfiguration: { CodeBlock: longText(68_001) },
        }),
      ),
    expected: "at 'calculationConfiguration.codeBlock' failed to satisfy constraint",
  },
  {
    name: 'StartCalculationExecution with a 129-character ClientRequestToken',
    send: (client) =>
      client.send(
        new StartCalculationExecutionCommand({
          SessionId: 's',
          CodeBlock: 'print(1)',
          ClientRequestToken: longText(129),
        }),
      ),
    expected: "at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 128",
  },
  {
    name: 'StartCalculationExecution without any code',
    send: (client) => client.send(new StartCalculationExecutionCommand({ SessionId: 's' })),
    expected: "at 'codeBlock' failed to satisfy constraint: Member must not be null",
  },
  // GetCalculationExecution
  {
    name: 'GetCalculationExecution with an empty id',
    send: (client) => client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: '' })),
    expected:
      "at 'calculationExecutionId' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'GetCalculationExecution with a 37-character id',
    send: (client) => client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: longText(37) })),
    expected:
      "at 'calculationExecutionId' failed to satisfy constraint: Member must have length less than or equal to 36",
  },
];

describe('request validation', () => {
  let harness: LocalHarness;

  beforeAll(async () => {
    harness = await startHarness({ clock: new ManualClock() });
    harness.athena.store.createWorkGroup('wg');
  });
  afterAll(() => harness.close());

  it.each(cases)('$name -> InvalidRequestException', async ({ send, expected }) => {
    const error = await rejectionOf(send(harness.client));
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toMatch(/^1 validation error detected: /);
    expect(error.message).toContain(expected);
    expect((error as unknown as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  it('reports the exact AWS-style message', async () => {
    const error = await rejectionOf(harness.client.send(new ListSessionsCommand({ WorkGroup: 'wg', MaxResults: 101 })));
    expect(error.message).toBe(
      "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
  });

  it('lists every violation in one message', async () => {
    const error = await rejectionOf(
      harness.client.send(
        new ListSessionsCommand({ WorkGroup: 'bad name', MaxResults: 0, StateFilter: 'NOPE' as never }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toMatch(/^3 validation errors detected: /);
    expect(error.message).toContain("'workGroup'");
    expect(error.message).toContain("'maxResults'");
    expect(error.message).toContain("'stateFilter'");
  });

  it('validates before looking anything up: an invalid request for a missing work group is InvalidRequest', async () => {
    const error = await rejectionOf(
      harness.client.send(
        new StartSessionCommand({ WorkGroup: 'missing', EngineConfiguration: { MaxConcurrentDpus: 1 } }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
    const notFound = await rejectionOf(
      harness.client.send(new StartSessionCommand({ WorkGroup: 'missing', EngineConfiguration: engine })),
    );
    expect(notFound).toBeInstanceOf(ResourceNotFoundException);
  });

  it('changes no state when a request is invalid', async () => {
    const before = harness.athena.store.countSessions('wg');
    await rejectionOf(
      harness.client.send(
        new StartSessionCommand({ WorkGroup: 'wg', EngineConfiguration: engine, SessionIdleTimeoutInMinutes: 0 }),
      ),
    );
    expect(harness.athena.store.countSessions('wg')).toBe(before);
  });

  it.each([
    ['ListSessions', { WorkGroup: 'wg', MaxResults: '10' }, "'maxResults'"],
    ['GetSession', { SessionId: 42 }, "'sessionId'"],
    ['ListSessions', { WorkGroup: 'wg', StateFilter: 3 }, "'stateFilter'"],
    ['StartSession', { WorkGroup: 'wg', EngineConfiguration: 'big' }, "'engineConfiguration'"],
    [
      'StartSession',
      { WorkGroup: 'wg', EngineConfiguration: { MaxConcurrentDpus: 2.5 } },
      "'engineConfiguration.maxConcurrentDpus'",
    ],
    [
      'StartSession',
      { WorkGroup: 'wg', EngineConfiguration: { SparkProperties: { a: 1 } } },
      "'engineConfiguration.sparkProperties'",
    ],
    ['StartSession', { WorkGroup: 'wg', EngineConfiguration: {}, Tags: 'x' }, "'tags'"],
    ['StartSession', { WorkGroup: 'wg', EngineConfiguration: {}, CopyWorkGroupTags: 'yes' }, "'copyWorkGroupTags'"],
  ])('rejects a wrongly typed member of %s (%j)', async (operation, body, path) => {
    const response = await rawCall(harness.athena.url, `AmazonAthena.${operation}`, JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'InvalidRequestException' });
    expect((response.json as { Message: string }).Message).toContain(path);
  });
});
