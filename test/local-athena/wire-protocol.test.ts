import { GetSessionCommand } from '@aws-sdk/client-athena';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../src/local-athena/clock.js';
import { ATHENA_OPERATION_NAMES } from '../../src/local-athena/operation-names.js';
import type { LocalHarness } from './support.js';
import { rawCall, startHarness } from './support.js';

// The AWS JSON 1.1 protocol at the HTTP level, and robustness against any input.

describe('AWS JSON 1.1 wire protocol', () => {
  let harness: LocalHarness;
  let sessionId: string;

  beforeAll(async () => {
    harness = await startHarness({ clock: new ManualClock(1_700_000_000_123) });
    sessionId = harness.athena.store.addSession({
      workGroup: 'wire',
      startDateTime: 1_700_000_000_123,
      lastModifiedDateTime: 1_700_000_060_500,
    }).sessionId;
  });
  afterAll(() => harness.close());

  it('answers a success with the JSON 1.1 content type, a request id and epoch-second timestamps', async () => {
    const response = await rawCall(
      harness.athena.url,
      'AmazonAthena.GetSessionStatus',
      JSON.stringify({ SessionId: sessionId }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json).toEqual({
      SessionId: sessionId,
      Status: {
        State: 'IDLE',
        StartDateTime: 1_700_000_000.123,
        LastModifiedDateTime: 1_700_000_060.5,
        IdleSinceDateTime: 1_700_000_060.5,
      },
    });
  });

  it('answers errors with __type, Message, x-amzn-errortype and a request id', async () => {
    const response = await rawCall(
      harness.athena.url,
      'AmazonAthena.GetSession',
      JSON.stringify({ SessionId: 'nope' }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
    expect(response.json).toMatchObject({ __type: 'ResourceNotFoundException', Message: 'Session nope not found' });
  });

  it.each([
    ['an unknown operation', 'AmazonAthena.DeleteEverything'],
    ['another service', 'DynamoDB_20120810.GetItem'],
    ['an operation without the service prefix', 'GetSession'],
  ])('answers %s with UnknownOperationException', async (_label, target) => {
    const response = await rawCall(harness.athena.url, target, '{}');
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'UnknownOperationException' });
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
  });

  it('answers a missing X-Amz-Target with UnknownOperationException', async () => {
    const response = await rawCall(harness.athena.url, undefined, '{}');
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it.each([
    ['malformed JSON', '{"SessionId": '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"SessionId"'],
    ['JSON null', 'null'],
  ])('answers %s with SerializationException', async (_label, body) => {
    const response = await rawCall(harness.athena.url, 'AmazonAthena.GetSession', body);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'SerializationException' });
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('treats an empty body as an empty request', async () => {
    const response = await rawCall(harness.athena.url, 'AmazonAthena.GetSession', '');
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'InvalidRequestException' });
  });

  it('ignores unknown members, as AWS does', async () => {
    const response = await rawCall(
      harness.athena.url,
      'AmazonAthena.GetSession',
      JSON.stringify({ SessionId: sessionId, SomethingNew: { nested: true } }),
    );
    expect(response.status).toBe(200);
  });

  it('refuses an oversized body without falling over', async () => {
    const response = await rawCall(
      harness.athena.url,
      'AmazonAthena.StartCalculationExecution',
      JSON.stringify({ SessionId: sessionId, CodeBlock: 'x'.repeat(2 * 1024 * 1024) }),
    );
    expect(response.status).toBe(413);
    const after = await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    expect(after.SessionId).toBe(sessionId);
  });

  it('accepts unsigned requests and any signature', async () => {
    const response = await fetch(`${harness.athena.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonAthena.GetSession',
        authorization:
          'AWS4-HMAC-SHA256 Credential=whoever/20240101/us-east-1/athena/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: JSON.stringify({ SessionId: sessionId }),
    });
    expect(response.status).toBe(200);
  });

  it('answers other paths and methods without an Athena operation', async () => {
    expect((await fetch(`${harness.athena.url}/`)).status).toBe(200);
    expect((await fetch(`${harness.athena.url}/nowhere`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${harness.athena.url}/`, { method: 'PUT', body: '{}' })).status).toBe(404);
  });

  it('never answers 500 nor crashes, whatever the input', async () => {
    const memberNames = [
      'SessionId',
      'WorkGroup',
      'MaxResults',
      'NextToken',
      'StateFilter',
      'Description',
      'EngineConfiguration',
      'ExecutionRole',
      'MonitoringConfiguration',
      'NotebookVersion',
      'SessionIdleTimeoutInMinutes',
      'ClientRequestToken',
      'Tags',
      'CopyWorkGroupTags',
      'CodeBlock',
      'CalculationConfiguration',
      'CalculationExecutionId',
      'MaxConcurrentDpus',
      'SparkProperties',
      'Classifications',
      '__proto__',
      'constructor',
    ];
    const memberValue = fc.oneof(
      fc.constantFrom('wire', sessionId, 4, 'IDLE'),
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          MaxConcurrentDpus: fc.jsonValue({ maxDepth: 1 }),
          SparkProperties: fc.jsonValue({ maxDepth: 2 }),
          Classifications: fc.jsonValue({ maxDepth: 3 }),
          CloudWatchLoggingConfiguration: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ATHENA_OPERATION_NAMES),
        fc.oneof(
          fc.dictionary(fc.constantFrom(...memberNames), memberValue).map((body) => JSON.stringify(body)),
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string(),
        ),
        async (operation, body) => {
          const response = await rawCall(harness.athena.url, `AmazonAthena.${operation}`, body);
          expect([200, 400]).toContain(response.status);
          if (response.status === 400) {
            expect(response.json).toHaveProperty('__type');
            expect(response.json).toHaveProperty('Message');
          }
        },
      ),
      { numRuns: 400 },
    );
    // Still serving.
    const after = await harness.client.send(new GetSessionCommand({ SessionId: sessionId }));
    expect(after.SessionId).toBe(sessionId);
  });
});
