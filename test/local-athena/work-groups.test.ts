import {
  GetWorkGroupCommand,
  InvalidRequestException,
  ListWorkGroupsCommand,
  StartSessionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { DEMO_WORK_GROUPS } from '../../src/local-athena/demo-seed.js';
import type { LocalHarness } from './support.js';
import { modelCall, rejectionOf, startHarness } from './support.js';

describe('ListWorkGroups and GetWorkGroup', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10, 9, 0, 0));
  let harness: LocalHarness;

  beforeAll(async () => {
    harness = await startHarness({ seed: 'demo', clock });
    for (let index = 0; index < 60; index += 1) {
      harness.athena.store.createWorkGroup(`team-${String(index).padStart(2, '0')}`);
    }
  });
  afterAll(() => harness.close());

  async function walk(maxResults: number | undefined): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await harness.client.send(
        new ListWorkGroupsCommand({ MaxResults: maxResults, NextToken: nextToken }),
      );
      expect((page.WorkGroups ?? []).length).toBeLessThanOrEqual(maxResults ?? 50);
      names.push(...(page.WorkGroups ?? []).map((workGroup) => workGroup.Name as string));
      nextToken = page.NextToken;
      pages += 1;
    } while (nextToken && pages < 100);
    return names;
  }

  it.each([1, 7, 50, undefined])(
    'a walk with MaxResults %s yields every work group exactly once, by name',
    async (maxResults) => {
      const names = await walk(maxResults);
      const expected = [
        ...DEMO_WORK_GROUPS,
        ...Array.from({ length: 60 }, (_, index) => `team-${String(index).padStart(2, '0')}`),
      ].sort();
      expect(names).toEqual(expected);
    },
  );

  it('answers the summary members of the model with their JSON types', async () => {
    const answer = await modelCall(harness.athena.url, 'ListWorkGroups', { MaxResults: 50 });
    const summaries = answer.WorkGroups as Record<string, unknown>[];
    const legacy = summaries.find((summary) => summary.Name === 'legacy-etl');
    expect(legacy).toMatchObject({
      State: 'DISABLED',
      Description: 'Retired nightly ETL; disabled',
      EngineVersion: {
        SelectedEngineVersion: 'PySpark engine version 3',
        EffectiveEngineVersion: 'PySpark engine version 3',
      },
    });
    expect(typeof legacy?.CreationTime).toBe('number');
    expect(legacy?.CreationTime).toBe((clock.now() - 900 * 86_400_000) / 1000);
  });

  it('GetWorkGroup answers the work group with its configuration and engine version', async () => {
    const answer = await modelCall(harness.athena.url, 'GetWorkGroup', { WorkGroup: 'ml-experiments' });
    expect(answer.WorkGroup).toMatchObject({
      Name: 'ml-experiments',
      State: 'ENABLED',
      Configuration: {
        EngineVersion: {
          SelectedEngineVersion: 'Apache Spark version 3.5',
          EffectiveEngineVersion: 'Apache Spark version 3.5',
        },
        ExecutionRole: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
        ResultConfiguration: { OutputLocation: expect.stringMatching(/^s3:\/\//) },
      },
    });
    const sql = await harness.client.send(new GetWorkGroupCommand({ WorkGroup: 'sql-reporting' }));
    expect(sql.WorkGroup?.Configuration?.EngineVersion?.EffectiveEngineVersion).toBe('Athena engine version 3');
    expect(sql.WorkGroup?.Configuration?.ExecutionRole).toBeUndefined();
    expect(sql.WorkGroup?.CreationTime).toBeInstanceOf(Date);
  });

  it('a missing work group is InvalidRequestException, as the model declares no ResourceNotFoundException', async () => {
    const error = await rejectionOf(harness.client.send(new GetWorkGroupCommand({ WorkGroup: 'no-such-group' })));
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toBe('WorkGroup no-such-group is not found.');
  });

  it('refuses a forged or foreign NextToken', async () => {
    const forged = await rejectionOf(harness.client.send(new ListWorkGroupsCommand({ NextToken: 'not-a-token' })));
    expect(forged).toBeInstanceOf(InvalidRequestException);
  });

  it('StartSession in a SQL work group is refused the way Athena refuses it', async () => {
    const error = await rejectionOf(
      harness.client.send(
        new StartSessionCommand({ WorkGroup: 'sql-reporting', EngineConfiguration: { MaxConcurrentDpus: 4 } }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toBe('Workgroup EngineVersion is not Spark.');
  });

  it('StartSession in a DISABLED work group is refused', async () => {
    const error = await rejectionOf(
      harness.client.send(
        new StartSessionCommand({ WorkGroup: 'legacy-etl', EngineConfiguration: { MaxConcurrentDpus: 4 } }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
  });
});
