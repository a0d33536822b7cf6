import { AthenaClient } from '@aws-sdk/client-athena';

import { startLocalAthena } from '../../src/local-athena/server.js';
import type { LocalAthena, LocalAthenaOptions } from '../../src/local-athena/server.js';

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
