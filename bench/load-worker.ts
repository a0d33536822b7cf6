// The load generator, in a process of its own (forked by run.ts, commands over IPC), so its CPU
// is not the target's. Runs autocannon with a workload's cycle of requests and counts what the
// checks found: GraphQL errors, and stale answers after a terminate.
import autocannon from 'autocannon';
import {
  type CycleContext,
  type Fixtures,
  type Problem,
  type RequestStyle,
  type StepEnvironment,
  type WorkloadId,
  workload,
} from './workloads.js';

export interface LoadCommand {
  type: 'run';
  id: number;
  /** Several URLs: autocannon deals the connections over them (round robin over replicas). */
  url: string | string[];
  workload: WorkloadId;
  style: RequestStyle;
  /** Whether to run the steps' checks (the bare server's fixed bytes would fail them). */
  verify: boolean;
  durationSeconds: number;
  fixtures: Fixtures;
  /** Makes every GraphQL document unique (a numbered comment), so no parse or validation cache can answer it. */
  uniqueDocuments?: boolean | undefined;
}

export interface PoolCommand {
  type: 'pool';
  id: number;
  /** Sessions W6 may terminate, in list order; replaces what is left of the previous pool. */
  sessions: string[];
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Connection errors and timeouts, non-2xx answers, and answers whose checks found an error. */
  errors: number;
  non2xx: number;
  timeouts: number;
  stale: number;
  /** W6 cycles that found the pool of sessions to terminate used up. */
  poolExhausted: number;
  poolLeft: number;
}

export type WorkerReply =
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'failed'; id: number; message: string }
  | { type: 'ok'; id: number };

let pool: string[] = [];
let turn = 0;
let documentNumber = 0;

async function run(command: LoadCommand): Promise<LoadResult> {
  const problems: Record<Problem, number> = { error: 0, stale: 0 };
  let poolExhausted = 0;
  const environment: StepEnvironment = {
    fixtures: command.fixtures,
    next: () => turn++,
    claim: () => {
      const sessionId = pool.shift();
      if (sessionId === undefined) poolExhausted += 1;
      return sessionId;
    },
  };
  const steps = workload(command.workload).steps(command.style);
  const result = await autocannon({
    // autocannon takes an array of URLs too (lib/url.js), which its type declarations do not say.
    url: command.url as string,
    connections: workload(command.workload).connections,
    pipelining: 1,
    duration: command.durationSeconds,
    timeout: 10,
    requests: steps.map((step) => ({
      setupRequest: (request: Record<string, unknown>, context: CycleContext) => {
        const next = step.request(context, environment);
        const body = command.uniqueDocuments
          ? next.body?.replace('{"query":"', `{"query":"# ${documentNumber++}\\n`)
          : next.body;
        return { ...request, method: next.method, path: next.path, headers: next.headers, body };
      },
      onResponse: (_status: number, body: string, context: CycleContext) => {
        if (!command.verify || step.check === undefined) return;
        const problem = step.check(body, context);
        if (problem !== undefined) problems[problem] += 1;
      },
    })),
  });
  const answered = Object.values(result.statusCodeStats ?? {}).reduce((sum, stat) => sum + Number(stat.count), 0);
  return {
    requests: answered,
    durationSeconds: result.duration,
    requestsPerSecond: answered / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    errors: result.errors + result.non2xx + problems.error,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
    stale: problems.stale,
    poolExhausted,
    poolLeft: pool.length,
  };
}

process.on('message', (message: LoadCommand | PoolCommand) => {
  const reply = (answer: WorkerReply) => process.send?.(answer);
  if (message.type === 'pool') {
    pool = [...message.sessions];
    reply({ type: 'ok', id: message.id });
    return;
  }
  run(message).then(
    (result) => reply({ type: 'result', id: message.id, result }),
    (error: unknown) =>
      reply({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
// The parent going away ends this process too.
process.on('disconnect', () => process.exit(0));
