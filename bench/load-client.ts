// The parent's side of the load generator (bench/load-worker.ts): a forked process driven over IPC.
import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import type { LoadCommand, LoadResult, PoolCommand, WorkerReply } from './load-worker.js';
import { nodeArguments, type Runtime } from './targets.js';

/** The load generator process, driven over IPC. */
export class LoadWorker {
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();

  private constructor(readonly process: ChildProcess) {
    process.on('message', (reply: WorkerReply) => {
      this.#waiting.get(reply.id)?.resolve(reply);
      this.#waiting.delete(reply.id);
    });
    process.on('exit', (code) => {
      for (const waiting of this.#waiting.values())
        waiting.reject(new Error(`the load generator exited (code ${code})`));
      this.#waiting.clear();
    });
  }

  static start(runtime: Runtime): LoadWorker {
    // The script comes last; anything before it (tsx's loader) is for node itself.
    const nodeArgs = nodeArguments(runtime, 'bench/load-worker.ts');
    return new LoadWorker(
      fork(resolve(nodeArgs.at(-1)!), [], {
        execArgv: nodeArgs.slice(0, -1),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  async run(command: Omit<LoadCommand, 'type' | 'id'>): Promise<LoadResult> {
    const reply = await this.#send({ type: 'run', ...command }, (command.durationSeconds + 30) * 1000);
    if (reply.type === 'failed') throw new Error(`load generator: ${reply.message}`);
    if (reply.type !== 'result') throw new Error('load generator: unexpected reply');
    return reply.result;
  }

  async setPool(sessions: string[]): Promise<void> {
    await this.#send({ type: 'pool', sessions }, 10_000);
  }

  stop(): void {
    if (this.process.connected) this.process.disconnect();
    this.process.kill('SIGTERM');
  }

  #send(command: Omit<LoadCommand, 'id'> | Omit<PoolCommand, 'id'>, timeoutMs: number): Promise<WorkerReply> {
    const id = this.#nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`load generator did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ ...command, id });
    });
  }
}
