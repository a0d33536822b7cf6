// `npm run bench:lean`: what each lever of the hot path is worth, each an A/B (or A/B/C) of
// gateway processes that differ in that lever only, measured interleaved against the same local
// Athena service: graphql-jit, the parse/validation cache, NODE_ENV, the SDK client's sockets and
// keep-alive, and compiled JavaScript against tsx. Writes bench/results/lean-path.md and .json.
//
//   npm run bench:lean -- [--experiments jit,parse-cache,node-env,sdk-sockets,compiled] [--rounds 3] [--duration 3] [--latency 30]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { LoadWorker } from './load-client.js';
import { type Child, cpuSeconds, runningChildren, startChild } from './processes.js';
import { nodeArguments } from './targets.js';
import type { Fixtures, WorkloadId } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    experiments: { type: 'string', default: 'jit,parse-cache,node-env,sdk-sockets,compiled' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    latency: { type: 'string', default: '30' },
  },
});

interface Variant {
  label: string;
  args: string[];
  env?: Record<string, string>;
  uniqueDocuments?: boolean;
}

interface Experiment {
  name: string;
  question: string;
  workloads: WorkloadId[];
  variants: Variant[];
}

const VARIANT = nodeArguments('compiled', 'bench/gateway-variant.ts');
const TTL0 = { CACHE_TTL_MS: '0' };

const EXPERIMENTS: Experiment[] = [
  {
    name: 'jit',
    question:
      'graphql-jit for repeated queries (src/execution/jit-execution.ts) against graphql-js alone, on answers served from the cache (execution-bound)',
    workloads: ['W1', 'W2', 'W3', 'W4'],
    variants: [
      { label: 'graphql-js', args: [...VARIANT, '--no-jit'] },
      { label: 'graphql-jit (default)', args: VARIANT },
    ],
  },
  {
    name: 'parse-cache',
    question:
      "yoga's parse and validation cache: the same documents again (cache hits) against a unique document per request (misses)",
    workloads: ['W1', 'W3'],
    variants: [
      { label: 'repeated documents (cached)', args: VARIANT },
      { label: 'unique documents (no cache hit)', args: VARIANT, uniqueDocuments: true },
    ],
  },
  {
    name: 'node-env',
    question: 'NODE_ENV=production (what npm run start:prod sets) against development',
    workloads: ['W1', 'W3'],
    variants: [
      { label: 'NODE_ENV=production', args: VARIANT, env: { NODE_ENV: 'production' } },
      { label: 'NODE_ENV=development', args: VARIANT, env: { NODE_ENV: 'development' } },
    ],
  },
  {
    name: 'sdk-sockets',
    question:
      "the SDK client's sockets (ATHENA_MAX_SOCKETS) and keep-alive, with CACHE_TTL_MS=0 so every operation calls Athena",
    workloads: ['W2', 'W3'],
    variants: [
      { label: 'keep-alive, 50 sockets (default)', args: VARIANT, env: TTL0 },
      { label: 'keep-alive, 10 sockets', args: [...VARIANT, '--max-sockets', '10'], env: TTL0 },
      { label: 'keep-alive, 200 sockets', args: [...VARIANT, '--max-sockets', '200'], env: TTL0 },
      { label: 'no keep-alive, 50 sockets', args: [...VARIANT, '--no-keep-alive'], env: TTL0 },
    ],
  },
  {
    name: 'compiled',
    question: 'compiled JavaScript (as npm run start:prod runs it) against TypeScript through tsx',
    workloads: ['W1', 'W3'],
    variants: [
      { label: 'tsx src/cli.ts', args: nodeArguments('tsx', 'src/cli.ts', ['serve']) },
      { label: 'compiled cli.js', args: nodeArguments('compiled', 'src/cli.ts', ['serve']) },
    ],
  },
];

interface Row {
  experiment: string;
  variant: string;
  workload: WorkloadId;
  requestsPerSecond: number[];
  cpuMsPerOp: number[];
  latencyP99Ms: number[];
  errors: number;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const log = (message: string) => process.stderr.write(`[lean] ${message}\n`);

async function main(): Promise<void> {
  const selected = args.experiments.split(',').map((name) => {
    const found = EXPERIMENTS.find((experiment) => experiment.name === name.trim());
    if (found === undefined)
      throw new Error(`unknown experiment ${name}: use ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
    return found;
  });
  const rounds = Number(args.rounds);
  const duration = Number(args.duration);
  const warmup = Number(args.warmup);
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const logDirectory = resolve('bench/results/logs');
  mkdirSync(logDirectory, { recursive: true });

  compileForBench();
  const athena = await startChild({
    name: 'local-athena',
    args: nodeArguments('compiled', 'src/cli.ts', [
      'local-athena',
      '--port',
      '0',
      '--seed',
      'demo',
      '--latency-ms',
      args.latency,
    ]),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' },
    logFile: join(logDirectory, 'lean-local-athena.log'),
  });
  const athenaFixtures = new AthenaFixtures(athena.url);
  const fixtures: Fixtures = { ...(await athenaFixtures.fixtures()), terminatePool: [] };
  const worker = LoadWorker.start('compiled');
  const rows: Row[] = [];
  try {
    for (const experiment of selected) {
      const children: Child[] = [];
      for (const [index, variant] of experiment.variants.entries()) {
        children.push(
          await startChild({
            name: `${experiment.name}-${index}`,
            args: variant.args,
            env: {
              PATH: process.env.PATH ?? '',
              HOME: process.env.HOME ?? '/tmp',
              NODE_ENV: 'production',
              ATHENA_ENDPOINT: athena.url,
              AWS_ACCESS_KEY_ID: 'local',
              AWS_SECRET_ACCESS_KEY: 'local',
              AWS_REGION: 'us-east-1',
              PORT: '0',
              HOST: '127.0.0.1',
              AUTH_DISABLED: 'true',
              LOG_LEVEL: 'info',
              ...variant.env,
            },
            logFile: join(logDirectory, `lean-${experiment.name}-${index}.log`),
          }),
        );
      }
      // JIT warm-up of every process before anything is measured.
      for (const workloadId of experiment.workloads) {
        for (const [index, child] of children.entries()) {
          const variant = experiment.variants[index]!;
          await worker.run({
            url: child.url,
            workload: workloadId,
            style: 'graphql',
            verify: true,
            durationSeconds: warmup * 2,
            fixtures,
            uniqueDocuments: variant.uniqueDocuments,
          });
        }
      }
      for (let round = 1; round <= rounds; round += 1) {
        for (const workloadId of experiment.workloads) {
          for (const [index, child] of children.entries()) {
            const variant = experiment.variants[index]!;
            const command = {
              url: child.url,
              workload: workloadId,
              style: 'graphql' as const,
              verify: true,
              fixtures,
              uniqueDocuments: variant.uniqueDocuments,
            };
            await worker.run({ ...command, durationSeconds: warmup });
            const before = cpuSeconds(child.pid, ticks);
            const load = await worker.run({ ...command, durationSeconds: duration });
            const cpu = cpuSeconds(child.pid, ticks) - before;
            let row = rows.find(
              (r) => r.experiment === experiment.name && r.variant === variant.label && r.workload === workloadId,
            );
            if (row === undefined) {
              row = {
                experiment: experiment.name,
                variant: variant.label,
                workload: workloadId,
                requestsPerSecond: [],
                cpuMsPerOp: [],
                latencyP99Ms: [],
                errors: 0,
              };
              rows.push(row);
            }
            row.requestsPerSecond.push(load.requestsPerSecond);
            row.cpuMsPerOp.push((cpu * 1000) / Math.max(1, load.requests));
            row.latencyP99Ms.push(load.latencyP99Ms);
            row.errors += load.errors;
            log(
              `${experiment.name} round ${round} ${workloadId} ${variant.label}: ${load.requestsPerSecond.toFixed(0)} req/s, ${((cpu * 1000) / Math.max(1, load.requests)).toFixed(2)} ms CPU/op`,
            );
          }
        }
      }
      await Promise.all(children.map((child) => child.stop()));
    }
  } finally {
    worker.stop();
    athenaFixtures.destroy();
    await Promise.all(runningChildren().map((child) => child.stop()));
  }

  const lines = [
    '# Lean-path experiments',
    '',
    `${availableParallelism()} cores, Node ${process.version}, local Athena ${args.latency} ms per call, ${rounds} rounds of ${duration} s per cell, interleaved.`,
    '',
  ];
  for (const experiment of selected) {
    lines.push(
      `## ${experiment.name}: ${experiment.question}`,
      '',
      '| workload | variant | req/s | CPU ms/op | p99 ms | errors |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const row of rows.filter((candidate) => candidate.experiment === experiment.name)) {
      lines.push(
        `| ${row.workload} | ${row.variant} | ${mean(row.requestsPerSecond).toFixed(0)} (${row.requestsPerSecond.map((v) => v.toFixed(0)).join(', ')}) | ${mean(row.cpuMsPerOp).toFixed(2)} | ${mean(row.latencyP99Ms).toFixed(0)} | ${row.errors} |`,
      );
    }
    lines.push('');
  }
  const markdown = `${lines.join('\n')}\n`;
  writeFileSync(resolve('bench/results/lean-path.md'), markdown);
  writeFileSync(resolve('bench/results/lean-path.json'), `${JSON.stringify({ settings: args, rows }, null, 2)}\n`);
  process.stdout.write(markdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
