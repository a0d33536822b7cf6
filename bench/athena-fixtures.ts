// What the benchmark asks the local Athena service directly (never through a target): the
// sessions the workloads use, fresh sessions for W6 to terminate, and the call counter.
import {
  AthenaClient,
  ListSessionsCommand,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { type Fixtures, W6_WORK_GROUP, WORK_GROUP } from './workloads.js';

export class AthenaFixtures {
  readonly #client: AthenaClient;

  constructor(readonly url: string) {
    this.#client = new AthenaClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  }

  async fixtures(): Promise<Omit<Fixtures, 'terminatePool'>> {
    const primary = await this.listAll(WORK_GROUP, 200);
    const polled = await this.listAll('ml-experiments', 1);
    if (primary.length < 200 || polled.length < 1)
      throw new Error('the local Athena service lacks the demo sessions (is it seeded with --seed demo?)');
    // Sessions past W1/W2's first page, so W3's reads are its own.
    return { detailSessions: primary.slice(100, 200), polledSession: polled[0]! };
  }

  /** Active sessions of a work group in list order (newest first), up to `limit`. */
  async listAll(workGroup: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListSessionsCommand({ WorkGroup: workGroup, MaxResults: 100, NextToken: nextToken }),
      );
      ids.push(...(page.Sessions ?? []).map((session) => session.SessionId!));
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined && ids.length < limit);
    return ids.slice(0, limit);
  }

  /** Starts `count` sessions in W6's work group and answers every active one there, newest first. */
  async startPool(count: number): Promise<string[]> {
    await this.#concurrently(count, () =>
      this.#client.send(
        new StartSessionCommand({
          WorkGroup: W6_WORK_GROUP,
          EngineConfiguration: { MaxConcurrentDpus: 20 },
          Description: 'bench W6',
        }),
      ),
    );
    return this.listAll(W6_WORK_GROUP);
  }

  async terminate(sessionIds: readonly string[]): Promise<void> {
    let index = 0;
    await this.#concurrently(sessionIds.length, () =>
      this.#client.send(new TerminateSessionCommand({ SessionId: sessionIds[index++]! })),
    );
  }

  async resetCalls(): Promise<void> {
    await this.#control('POST', '/_local/calls/reset');
  }

  async calls(): Promise<Record<string, number>> {
    return ((await this.#control('GET', '/_local/calls')) as { counts: Record<string, number> }).counts;
  }

  destroy(): void {
    this.#client.destroy();
  }

  async #control(method: string, path: string): Promise<unknown> {
    const response = await fetch(new URL(path, this.url), { method });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
    return response.json();
  }

  async #concurrently(count: number, task: () => Promise<unknown>, width = 32): Promise<void> {
    let started = 0;
    const lane = async () => {
      while (started < count) {
        started += 1;
        await task();
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  }
}
