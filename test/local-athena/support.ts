import { AthenaClient } from '@aws-sdk/client-athena';
import type { OperationName, ShapeName } from '../../src/athena-model/index.js';
import { OPERATIONS, onlyModelled, violations } from '../../src/athena-model/index.js';
import type { LocalAthena, LocalAthenaOptions } from '../../src/local-athena/server.js';
import { startLocalAthena } from '../../src/local-athena/server.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The real SDK client, pointed at a local service; one attempt so faults are seen raw. */
export function createClient(url: string, maxAttempts = 1): AthenaClient {
  return new AthenaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts,
  });
}

export interface LocalHarness {
  athena: LocalAthena;
  client: AthenaClient;
  close(): Promise<void>;
}

export async function startHarness(options: LocalAthenaOptions = {}): Promise<LocalHarness> {
  const athena = await startLocalAthena({ host: '127.0.0.1', port: 0, ...options });
  const client = createClient(athena.url);
  return {
    athena,
    client,
    async close() {
      client.destroy();
      await athena.close();
    },
  };
}

/** Sends one raw AWS JSON 1.1 request (no SDK), for wire-level checks. */
export async function rawCall(
  url: string,
  target: string | undefined,
  body: string,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['x-amz-target'] = target;
  const response = await fetch(`${url}/`, { method: 'POST', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Awaits a promise expected to reject and returns the error, failing when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Problems of a raw JSON answer measured against the operation's output shape in AWS's model:
 * broken constraints and members the model does not have. Empty when the answer conforms.
 */
export function outputProblems(operation: OperationName, answer: unknown): string[] {
  const shape = OPERATIONS[operation].output as ShapeName;
  const problems = violations(shape, answer).map((found) => `${found.path}: ${found.constraint}`);
  if (sortedJson(onlyModelled(shape, answer)) !== sortedJson(answer))
    problems.push(`members outside the model: ${JSON.stringify(answer)}`);
  return problems;
}

/** A raw call that must succeed with an answer conforming to the model; returns the answer. */
export async function modelCall(
  url: string,
  operation: OperationName,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await rawCall(url, `AmazonAthena.${operation}`, JSON.stringify(input));
  if (response.status !== 200) throw new Error(`${operation} answered ${response.status}: ${response.text}`);
  const problems = outputProblems(operation, response.json);
  if (problems.length > 0) throw new Error(`${operation} answered outside the model: ${problems.join('; ')}`);
  return response.json as Record<string, unknown>;
}

/** JSON with sorted keys, so that member order does not matter in comparisons. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${sortedJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
