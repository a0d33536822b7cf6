// ListWorkGroups and GetWorkGroup through the adapter, over the real SDK and real HTTP to the local
// service; and the one mapping that is not by exception name: a missing work group.
import { InvalidRequestException } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAthenaError } from '../../src/athena/port.js';
import { SdkAthenaAdapter, toAthenaError } from '../../src/athena/sdk-adapter.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { testConfig } from '../test-config.js';

let athena: LocalAthena;
let adapter: SdkAthenaAdapter;

beforeAll(async () => {
  athena = await startLocalAthena({ seed: 'demo' });
  adapter = new SdkAthenaAdapter({ settings: { ...testConfig().athena, mode: 'embedded', endpoint: athena.url } });
});
afterAll(async () => {
  adapter.destroy();
  await athena.close();
});

describe('work groups through the adapter', () => {
  it('lists work groups in camelCase, with dates and both engine versions', async () => {
    const page = await adapter.listWorkGroups({ maxResults: 50 });
    const primary = page.workGroups.find((row) => row.name === 'primary');
    expect(primary).toMatchObject({
      name: 'primary',
      state: 'ENABLED',
      engineVersion: { effectiveEngineVersion: 'PySpark engine version 3' },
    });
    expect(primary!.creationTime).toBeInstanceOf(Date);
  });

  it('pages with MaxResults and NextToken', async () => {
    const first = await adapter.listWorkGroups({ maxResults: 1 });
    expect(first.workGroups).toHaveLength(1);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await adapter.listWorkGroups({ maxResults: 1, nextToken: first.nextToken });
    expect(second.workGroups[0]!.name).not.toBe(first.workGroups[0]!.name);
  });

  it('gets one work group, its engine version from its configuration', async () => {
    const workGroup = await adapter.getWorkGroup('analytics');
    expect(workGroup).toMatchObject({
      name: 'analytics',
      state: 'ENABLED',
      engineVersion: { effectiveEngineVersion: 'PySpark engine version 3' },
    });
  });

  it('a missing work group is not-found, whichever way the service says so', async () => {
    const error = await adapter.getWorkGroup('no-such-work-group').catch((caught: unknown) => caught);
    expect(isAthenaError(error, 'not-found')).toBe(true);
  });
});

describe('toAthenaError', () => {
  const invalid = (message: string) => new InvalidRequestException({ message, $metadata: {} });

  it("maps AWS's InvalidRequestException 'WorkGroup <name> is not found.' to not-found", () => {
    expect(toAthenaError('GetWorkGroup', invalid('WorkGroup analytics-x is not found.')).kind).toBe('not-found');
    expect(toAthenaError('GetWorkGroup', invalid('WorkGroup is not found.')).kind).toBe('not-found');
  });

  it("maps 'Workgroup EngineVersion is not Spark.' (a SQL work group) to not-found on reads, and keeps it invalid on StartSession", () => {
    expect(toAthenaError('ListSessions', invalid('Workgroup EngineVersion is not Spark.')).kind).toBe('not-found');
    const start = toAthenaError('StartSession', invalid('Workgroup EngineVersion is not Spark.'));
    expect(start.kind).toBe('invalid-request');
    expect(start.reason).toBe('Workgroup EngineVersion is not Spark.');
  });

  it('keeps every other InvalidRequestException an invalid request', () => {
    expect(
      toAthenaError(
        'GetWorkGroup',
        invalid('1 validation error detected: Value at workGroup failed to satisfy constraint'),
      ).kind,
    ).toBe('invalid-request');
    expect(toAthenaError('ListSessions', invalid('Session is in the TERMINATED state')).kind).toBe('invalid-request');
  });
});
