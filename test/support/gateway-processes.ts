// Several gateway replicas as real processes (`src/cli.ts serve` through tsx), over one local
// Athena the test started (its call counters are the fleet-wide upstream count) and, usually, one
// Redis. Each replica binds port 0 and reports its port in its start log line.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Replica {
  readonly index: number;
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Every JSON log line written so far. */
  readonly logs: Record<string, unknown>[];
  graphql<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; data?: Data; errors?: { message: string; extensions?: { code?: string } }[] }>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** SIGKILL: gone without a word, as a crashed pod. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for the exit. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  replicas: number;
  athenaUrl: string;
  redisUrl?: string | undefined;
  env?: Record<string, string> | undefined;
}

export const TEST_CURSOR_SECRET = 'fleet-test-cursor-secret-0123456789abcdef';

export async function startReplicas(options: FleetOptions): Promise<Replica[]> {
  return Promise.all(Array.from({ length: options.replicas }, (_, index) => startReplica(index, options)));
}

export async function stopReplicas(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(replicas.map((replica) => replica.kill()));
}

async function startReplica(index: number, options: FleetOptions): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      ATHENA_ENDPOINT: options.athenaUrl,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_DISABLED: 'true',
      CURSOR_SECRET: TEST_CURSOR_SECRET,
      READY_PROBE_INTERVAL_MS: '0',
      LOG_LEVEL: 'info',
      ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${index} did not start within 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited (code ${code}) before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry.msg === 'string' && entry.msg.startsWith('gateway ready at') && typeof entry.port === 'number') {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    index,
    url,
    port,
    process: child,
    logs,
    async graphql(query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: any };
      return { status: response.status, data: body.data, errors: body.errors };
    },
    async get(path) {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, text: await response.text() };
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
