// `npm run bench`: the side-by-side benchmark. Starts the local Athena service with a fixed
// per-call latency, every target in a process of its own, and a load generator in another; probes
// each target for its exact upstream calls per operation; then measures every workload on every
// target, interleaved (W1: A B C D E, W2: A B C D E, ..., then the next round), and writes
// bench/results/latest.md and latest.json. Bounded in time; every child is stopped at the end.
//
//   npm run bench -- [--latency 30] [--rounds 2] [--duration 3] [--warmup 1] [--runtime compiled|tsx]
//                    [--targets gateway,rest,...] [--workloads W1,W2,...] [--budget-minutes 9] [--name latest]
//   npm run bench -- --replicas 3 [--workloads W1,W3,W4] ...: one replica, N without Redis, N with Redis (bench/replicas.ts)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { LoadWorker } from './load-client.js';
import { type ProbeResult, probe } from './probe.js';
import { type Child, cpuSeconds, peakRssBytes, resetPeakRss, runningChildren, startChild } from './processes.js';
import { runReplicaBench } from './replicas.js';
import { type BenchReport, type Cell, type Measurement, renderMarkdown, summarize } from './report.js';
import { nodeArguments, type Runtime, TARGETS, type TargetSpec, target } from './targets.js';
import { type Fixtures, WORKLOAD_IDS, type WorkloadId, workload } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    latency: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    targets: { type: 'string', default: TARGETS.map((spec) => spec.name).join(',') },
    workloads: { type: 'string', default: WORKLOAD_IDS.join(',') },
    'budget-minutes': { type: 'string', default: '9' },
    name: { type: 'string', default: 'latest' },
    runtime: { type: 'string', default: 'compiled' },
    replicas: { type: 'string' },
  },
});

const settings = {
  latencyMs: positiveNumber('latency', args.latency),
  rounds: Math.max(1, Math.round(positiveNumber('rounds', args.rounds))),
  durationSeconds: positiveNumber('duration', args.duration),
  warmupSeconds: positiveNumber('warmup', args.warmup),
  budgetMinutes: positiveNumber('budget-minutes', args['budget-minutes']),
  /** The gateway's default CACHE_TTL_MS, as its configuration says. */
  gatewayTtlMs: loadConfig({}).cacheTtlMs,
  runtime: runtimeOf(args.runtime),
};
const targets = args.targets.split(',').map((name) => target(name.trim()));
const workloads = args.workloads.split(',').map((id) => workload(id.trim() as WorkloadId));
const resultsDirectory = resolve('bench/results');
const logDirectory = join(resultsDirectory, 'logs');
const ticksPerSecond = clockTicks();
const startedAt = new Date();
const deadline = startedAt.getTime() + settings.budgetMinutes * 60_000;

function positiveNumber(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return number;
}

function runtimeOf(value: string): Runtime {
  if (value !== 'compiled' && value !== 'tsx') throw new Error(`--runtime must be compiled or tsx, got ${value}`);
  return value;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const log = (message: string) =>
  process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let worker: LoadWorker | undefined;
let athenaFixtures: AthenaFixtures | undefined;

async function stopEverything(): Promise<void> {
  worker?.stop();
  athenaFixtures?.destroy();
  await Promise.all(runningChildren().map((child) => child.stop()));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every child process`);
    void stopEverything().finally(() => process.exit(130));
  });
}

/** A W6 pool big enough for the slot's warm-up and measurement, from the last rate seen. */
function poolSize(lastRequestsPerSecond: number | undefined): number {
  const perSecond = lastRequestsPerSecond ?? 1_000;
  const cycles =
    (perSecond * (settings.warmupSeconds + settings.durationSeconds)) / workload('W6').steps('rest').length;
  return Math.min(4_000, Math.max(200, Math.ceil(cycles * 1.5) + 20));
}

async function main(): Promise<void> {
  mkdirSync(logDirectory, { recursive: true });
  log(
    `settings ${JSON.stringify({ ...settings, targets: targets.map((spec) => spec.name), workloads: workloads.map((w) => w.id) })}`,
  );

  if (settings.runtime === 'compiled') {
    log('compiling to dist/bench-build');
    compileForBench();
  }
  const athena = await startChild({
    name: 'local-athena',
    args: nodeArguments(settings.runtime, 'src/cli.ts', [
      'local-athena',
      '--port',
      '0',
      '--seed',
      'demo',
      '--latency-ms',
      String(settings.latencyMs),
    ]),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' },
    logFile: join(logDirectory, 'local-athena.log'),
  });
  athenaFixtures = new AthenaFixtures(athena.url);
  const fixtures: Fixtures = { ...(await athenaFixtures.fixtures()), terminatePool: [] };
  log(`local Athena at ${athena.url} (pid ${athena.pid}), ${settings.latencyMs} ms per call`);

  const children = new Map<string, Child>();
  for (const spec of targets) {
    const child = await startChild({
      name: spec.name,
      args: nodeArguments(settings.runtime, spec.entry, spec.entryArgs),
      env: spec.env(athena.url),
      logFile: join(logDirectory, `${spec.name}.log`),
    });
    children.set(spec.name, child);
    log(`${spec.label} at ${child.url} (pid ${child.pid})`);
  }
  worker = LoadWorker.start(settings.runtime);

  const cells = new Map<string, Cell>();
  const cell = (spec: TargetSpec, workloadId: WorkloadId): Cell => {
    const key = `${spec.name}/${workloadId}`;
    let found = cells.get(key);
    if (found === undefined) {
      found = { target: spec.name, workload: workloadId, measurements: [], failures: [] };
      cells.set(key, found);
    }
    return found;
  };

  // Probes first, while every target is fresh: cold means cold.
  const samples = new Map<WorkloadId, string>();
  for (const spec of targets.filter((candidate) => candidate.upstream)) {
    const child = children.get(spec.name)!;
    for (const { id } of workloads) {
      try {
        const probeFixtures =
          id === 'W6' ? { ...fixtures, terminatePool: (await athenaFixtures.startPool(4)).slice(0, 4) } : fixtures;
        const result: ProbeResult = await probe(child.url, spec.style, id, probeFixtures, athenaFixtures);
        cell(spec, id).probe = result;
        if (spec.name === 'gateway' || !samples.has(id)) if (spec.style === 'graphql') samples.set(id, result.sample);
        if (id === 'W6') await athenaFixtures.terminate(await athenaFixtures.listAll('sandbox'));
        log(
          `probe ${spec.name} ${id}: cold ${result.cold.toFixed(2)} warm ${result.warm.toFixed(2)} calls/op, ${result.problems} problems`,
        );
      } catch (error) {
        cell(spec, id).failures.push(`probe: ${(error as Error).message}`);
        log(`probe ${spec.name} ${id} FAILED: ${(error as Error).message}`);
      }
      // Let a caching gateway's entries expire, so the next workload's probe starts cold too.
      if (spec.name === 'gateway') await sleep(settings.gatewayTtlMs + 100);
    }
  }

  const lastRate = new Map<string, number>();
  let skipped = 0;
  const slotSeconds = settings.warmupSeconds + settings.durationSeconds + 1.5;
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const { id } of workloads) {
      for (const spec of targets) {
        if (Date.now() + slotSeconds * 1000 > deadline) {
          skipped += 1;
          cell(spec, id).failures.push(
            `round ${round}: skipped, the time budget of ${settings.budgetMinutes} min ran out`,
          );
          continue;
        }
        const child = children.get(spec.name)!;
        try {
          const measurement = await measure(spec, child, athena, id, round, fixtures, samples, lastRate);
          cell(spec, id).measurements.push(measurement);
          lastRate.set(`${spec.name}/${id}`, measurement.load.requestsPerSecond);
          log(
            `round ${round} ${id} ${spec.name}: ${measurement.load.requestsPerSecond.toFixed(0)} req/s, p99 ${measurement.load.latencyP99Ms} ms, ` +
              `${measurement.cpuMsPerOp.toFixed(2)} ms CPU/op, ${measurement.upstreamPerOp.toFixed(2)} calls/op, errors ${measurement.load.errors}, stale ${measurement.load.stale}`,
          );
        } catch (error) {
          cell(spec, id).failures.push(`round ${round}: ${(error as Error).message}`);
          log(`round ${round} ${id} ${spec.name} FAILED: ${(error as Error).message}`);
        }
      }
    }
  }

  const peakRssMb: Record<string, number> = {};
  for (const name of children.keys()) {
    const peaks = [...cells.values()]
      .filter((entry) => entry.target === name)
      .flatMap((entry) => entry.measurements.map((m) => m.peakRssMb));
    peakRssMb[name] = Math.max(...peaks, startupPeakRss.get(name) ?? 0);
  }
  const report: BenchReport = summarize({
    startedAt: startedAt.toISOString(),
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: {
      cores: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))),
    },
    settings: {
      ...settings,
      targets: targets.map((spec) => spec.name),
      workloads: workloads.map((w) => w.id),
      connections: Object.fromEntries(workloads.map((w) => [w.id, w.connections])),
    },
    targets: targets.map((spec) => ({ name: spec.name, label: spec.label })),
    workloads: workloads.map((w) => ({ id: w.id, title: w.title, connections: w.connections })),
    cells: [...cells.values()],
    peakRssMb,
    skippedSlots: skipped,
  });
  writeFileSync(join(resultsDirectory, `${args.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDirectory, `${args.name}.md`), renderMarkdown(report));
  log(`wrote ${join('bench/results', `${args.name}.md`)} and .json`);
  process.stdout.write(renderMarkdown(report));
}

const startupPeakRss = new Map<string, number>();

async function measure(
  spec: TargetSpec,
  child: Child,
  athena: Child,
  workloadId: WorkloadId,
  round: number,
  fixtures: Fixtures,
  samples: Map<WorkloadId, string>,
  lastRate: Map<string, number>,
): Promise<Measurement> {
  const athenaClient = athenaFixtures!;
  let pool: string[] = [];
  if (!startupPeakRss.has(spec.name)) startupPeakRss.set(spec.name, peakRssBytes(child.pid) / 2 ** 20);
  if (workloadId === 'W6' && spec.upstream) {
    pool = await athenaClient.startPool(poolSize(lastRate.get(`${spec.name}/W6`)));
    await worker!.setPool(pool);
  }
  if (spec.name === 'bare') {
    const response = await fetch(new URL('/_bare/body', child.url), {
      method: 'PUT',
      body: samples.get(workloadId) ?? '{"data":null}',
    });
    if (!response.ok) throw new Error(`bare server: HTTP ${response.status}`);
  }
  const command = { url: child.url, workload: workloadId, style: spec.style, verify: spec.verify, fixtures };
  await worker!.run({ ...command, durationSeconds: settings.warmupSeconds });

  await athenaClient.resetCalls();
  const rssReset = resetPeakRss(child.pid);
  const cpuBefore = cpuSeconds(child.pid, ticksPerSecond);
  const athenaCpuBefore = cpuSeconds(athena.pid, ticksPerSecond);
  const load = await worker!.run({ ...command, durationSeconds: settings.durationSeconds });
  const cpu = cpuSeconds(child.pid, ticksPerSecond) - cpuBefore;
  const athenaCpu = cpuSeconds(athena.pid, ticksPerSecond) - athenaCpuBefore;
  const upstreamCalls = await athenaClient.calls();
  const peakRssMb = peakRssBytes(child.pid) / 2 ** 20;

  if (pool.length > 0 && load.poolLeft > 0) await athenaClient.terminate(pool.slice(pool.length - load.poolLeft));
  const upstream = Object.values(upstreamCalls).reduce((sum, count) => sum + count, 0);
  const requests = Math.max(load.requests, 1);
  return {
    round,
    load,
    cpuMsPerOp: (cpu * 1000) / requests,
    athenaCpuMsPerOp: (athenaCpu * 1000) / requests,
    upstreamCalls,
    upstreamPerOp: upstream / requests,
    upstreamPerSecond: upstream / load.durationSeconds,
    peakRssMb,
    peakRssIsPerMeasurement: rssReset,
  };
}

const run =
  args.replicas === undefined
    ? main
    : () =>
        runReplicaBench({
          replicas: Math.max(2, Math.round(positiveNumber('replicas', args.replicas!))),
          latencyMs: settings.latencyMs,
          rounds: settings.rounds,
          durationSeconds: settings.durationSeconds,
          warmupSeconds: settings.warmupSeconds,
          runtime: settings.runtime,
          // The issue's replica workloads unless others are named.
          workloads: process.argv.includes('--workloads') ? workloads.map((w) => w.id) : ['W1', 'W3', 'W4'],
          name: args.name === 'latest' ? 'replicas' : args.name,
        });

run()
  .catch((error: unknown) => {
    log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopEverything());
