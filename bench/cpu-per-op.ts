// CPU per operation of gateway variants measured side by side, for a loaded, shared machine: the
// gateway process's own CPU time (/proc/<pid>/stat) over a fixed number of requests does not depend
// on how many other processes compete for the cores, where req/s does.
//
//   npx tsx bench/cpu-per-op.ts [--workloads W1,W3] [--requests 3000] [--rounds 3] [--latency 30]
//       [--env CACHE_TTL_MS=0] [--build name=/path/to/a/checkout ...] [--no-tracing-on]
//       [--variant name=VAR=value,VAR2=value ...]
//
// Variants, all started at once and measured in turn, round after round (interleaved, so a change
// in the machine's load hits every variant alike):
//   off      the gateway as `serve` runs it, no OTEL_* variables (tracing's packages never load)
//   on       the same with OTEL_EXPORTER_OTLP_ENDPOINT at an OTLP/HTTP receiver this script runs
//            in-process (it accepts and discards, counting what arrives)
//   --variant  this build's `serve` with more environment variables (APOLLO_INLINE_TRACE=true, ...;
//            OTEL_EXPORTER_OTLP_ENDPOINT=sink points at the in-process receiver)
//   <name>   `serve` of another checkout, compiled there first (`git archive <commit> | tar -x -C
//            <dir>`, a node_modules link, `node node_modules/typescript/bin/tsc -p bench/tsconfig.json`)
// Every gateway runs compiled JavaScript with NODE_ENV=production, as in `npm run bench`, with a
// preload that records which modules it resolved (bench/module-log.ts): the report says how many
// OpenTelemetry modules each variant loaded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { type Child, cpuSeconds, runningChildren, startChild } from './processes.js';
import { COMPILED_DIRECTORY, compiledPath, nodeArguments, target } from './targets.js';
import { type CycleContext, type Fixtures, type StepEnvironment, type WorkloadId, workload } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'W1,W3' },
    requests: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    latency: { type: 'string', default: '30' },
    env: { type: 'string', multiple: true, default: [] },
    build: { type: 'string', multiple: true, default: [] },
    variant: { type: 'string', multiple: true, default: [] },
    'no-tracing-on': { type: 'boolean', default: false },
  },
});

const resultsDirectory = resolve('bench/results/cpu-per-op');
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Variant {
  name: string;
  script: string;
  env: Record<string, string>;
  moduleLog: string;
  child?: Child;
}

/** An OTLP/HTTP receiver that accepts every export and keeps nothing but counts. */
async function startOtlpSink(): Promise<{
  url: string;
  exports: () => number;
  bytes: () => number;
  close: () => void;
}> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      exports += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, exports: () => exports, bytes: () => bytes, close: () => server.close() };
}

async function drive(url: string, workloadId: WorkloadId, fixtures: Fixtures, amount: number): Promise<number> {
  let turn = 0;
  const environment: StepEnvironment = { fixtures, next: () => turn++, claim: () => undefined };
  const steps = workload(workloadId).steps('graphql');
  let failed = 0;
  const result = await autocannon({
    url,
    connections: workload(workloadId).connections,
    amount,
    timeout: 10,
    requests: steps.map((step) => ({
      setupRequest: (request: Record<string, unknown>, context: CycleContext) => ({
        ...request,
        ...step.request(context, environment),
      }),
      onResponse: (_status: number, body: string, context: CycleContext) => {
        if (step.check?.(body, context) !== undefined) failed += 1;
      },
    })),
  });
  const errors = result.errors + result.non2xx + failed;
  if (errors > 0) throw new Error(`${url} ${workloadId}: ${errors} failed requests`);
  return result.requests.total;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const workloads = args.workloads.split(',') as WorkloadId[];
  const amount = Number(args.requests);
  rmSync(resultsDirectory, { recursive: true, force: true });
  mkdirSync(resultsDirectory, { recursive: true });
  compileForBench();
  const extraEnv = Object.fromEntries(args.env.map((pair) => pair.split('=', 2) as [string, string]));
  const sink = await startOtlpSink();
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
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    logFile: join(resultsDirectory, 'local-athena.log'),
  });
  const fixtures = new AthenaFixtures(athena.url);
  const gatewayEnv = { ...target('gateway').env(athena.url), ...extraEnv };
  const variant = (name: string, script: string, env: Record<string, string> = {}): Variant => ({
    name,
    script,
    env: { ...gatewayEnv, ...env },
    moduleLog: join(resultsDirectory, `${name}.modules`),
  });
  const variants: Variant[] = [
    variant('off', resolve(compiledPath('src/cli.ts'))),
    ...(args['no-tracing-on']
      ? []
      : [variant('on', resolve(compiledPath('src/cli.ts')), { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url })]),
    ...args.variant.map((spec) => {
      const [name, ...rest] = spec.split('=');
      const pairs = rest.join('=').split(',');
      const env = Object.fromEntries(
        pairs.map((pair) => pair.split('=', 2)).map(([key, value]) => [key!, value === 'sink' ? sink.url : value!]),
      );
      return variant(name!, resolve(compiledPath('src/cli.ts')), env);
    }),
    ...args.build.map((spec) => {
      const [name, directory] = spec.split('=', 2) as [string, string];
      return variant(name, resolve(directory, COMPILED_DIRECTORY, 'src/cli.js'));
    }),
  ];
  try {
    for (const each of variants) {
      each.child = await startChild({
        name: each.name,
        args: ['--import', resolve(compiledPath('bench/module-log.ts')), each.script, 'serve'],
        env: { ...each.env, BENCH_MODULE_LOG: each.moduleLog },
        logFile: join(resultsDirectory, `${each.name}.log`),
      });
    }
    const data: Fixtures = { ...(await fixtures.fixtures()), terminatePool: [] };
    const cpu = new Map<string, number[]>();
    const calls = new Map<string, number[]>();
    for (let round = 1; round <= Number(args.rounds); round += 1) {
      for (const workloadId of workloads) {
        for (const each of variants) {
          const child = each.child!;
          await drive(child.url, workloadId, data, Number(args.warmup));
          await fixtures.resetCalls();
          const before = cpuSeconds(child.pid, ticksPerSecond);
          const requests = await drive(child.url, workloadId, data, amount);
          const msPerOp = ((cpuSeconds(child.pid, ticksPerSecond) - before) * 1000) / requests;
          const upstream = Object.values(await fixtures.calls()).reduce((sum, count) => sum + count, 0) / requests;
          const key = `${workloadId} ${each.name}`;
          cpu.set(key, [...(cpu.get(key) ?? []), msPerOp]);
          calls.set(key, [...(calls.get(key) ?? []), upstream]);
          process.stdout.write(
            `round ${round} ${key}: ${msPerOp.toFixed(3)} ms CPU/op, ${upstream.toFixed(3)} upstream calls/op\n`,
          );
        }
      }
    }
    const lines = [
      `CPU ms per operation of the gateway process, median of ${args.rounds} rounds of ${amount} requests (after ${args.warmup} warm-up), ${args.latency} ms Athena latency${args.env.length > 0 ? `, ${args.env.join(' ')}` : ''}:`,
      '| workload | variant | CPU ms/op (median) | each round | vs off | upstream calls/op |',
      '| --- | --- | ---: | --- | ---: | ---: |',
    ];
    for (const workloadId of workloads) {
      const off = median(cpu.get(`${workloadId} off`)!);
      for (const each of variants) {
        const key = `${workloadId} ${each.name}`;
        const value = median(cpu.get(key)!);
        lines.push(
          `| ${workloadId} | ${each.name} | ${value.toFixed(3)} | ${cpu
            .get(key)!
            .map((sample) => sample.toFixed(3))
            .join(
              ' ',
            )} | ${(value - off >= 0 ? '+' : '') + (value - off).toFixed(3)} | ${median(calls.get(key)!).toFixed(3)} |`,
        );
      }
    }
    lines.push('', 'Modules each variant resolved (ESM loader):');
    for (const each of variants) {
      const urls = new Set(readFileSync(each.moduleLog, 'utf8').split('\n').filter(Boolean));
      const otel = [...urls].filter((url) => /node_modules\/(@opentelemetry|@envelop\/opentelemetry)\//.test(url));
      lines.push(`  ${each.name}: ${urls.size} modules, ${otel.length} of them OpenTelemetry's`);
    }
    lines.push(`OTLP receiver: ${sink.exports()} exports, ${(sink.bytes() / 2 ** 20).toFixed(1)} MB received.`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    fixtures.destroy();
    sink.close();
    await Promise.all(runningChildren().map((child) => child.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
