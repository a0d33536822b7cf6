// `npm run bench:profile -- --target gateway --workload W1 [--seconds 10] [--latency 30]`:
// runs one target under one workload with `node --cpu-prof`, then prints where its CPU time went:
// self time by package (or our own source directory) and the hottest functions. The .cpuprofile
// is kept in bench/results/profiles/ (open it in Chrome DevTools or speedscope for the flame graph).
// `--build <dir>` profiles the gateway of another checkout compiled there (see bench/cpu-per-op.ts), to
// compare layers between builds.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { runningChildren, startChild } from './processes.js';
import { COMPILED_DIRECTORY, nodeArguments, target } from './targets.js';
import { type CycleContext, type StepEnvironment, type WorkloadId, workload } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: 'gateway' },
    workload: { type: 'string', default: 'W1' },
    seconds: { type: 'string', default: '10' },
    latency: { type: 'string', default: '30' },
    top: { type: 'string', default: '25' },
    env: { type: 'string', multiple: true, default: [] },
    build: { type: 'string' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the system's monotonic clock (process.hrtime's clock). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame comes from: a package name, one of our directories, or a V8/Node bucket. */
function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = url.slice(inModules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  const own = /\/(src|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]!.split('/').slice(0, -1).join('/') || '.'}` : url;
}

/** Origins grouped by layer, for a per-request breakdown that compares targets. */
function layer(where: string): string {
  if (where.startsWith('@smithy/') || where.startsWith('@aws-sdk/') || where.startsWith('@aws/')) return 'AWS SDK';
  if (
    where === 'graphql-yoga' ||
    where.startsWith('@whatwg-node/') ||
    where.startsWith('@envelop/') ||
    where.startsWith('@graphql-tools/') ||
    where.startsWith('@graphql-yoga/')
  )
    return 'GraphQL server (yoga, whatwg-node, envelop)';
  if (
    where === 'graphql' ||
    where === 'graphql-jit' ||
    where.startsWith('@pothos/') ||
    where === 'dataloader' ||
    where === 'graphql-scalars'
  )
    return 'GraphQL execution (graphql-js/jit, Pothos, DataLoader)';
  if (where === '@escape.tech/graphql-armor' || where.startsWith('graphql-armor'))
    return 'GraphQL server (yoga, whatwg-node, envelop)';
  if (where.startsWith('@opentelemetry/')) return 'OpenTelemetry';
  if (where === 'pino' || where === 'prom-client' || where === 'sonic-boom')
    return 'logs and metrics (pino, prom-client)';
  if (where.startsWith('src/')) return 'gateway code (src/)';
  if (where.startsWith('bench/')) return 'baseline code (bench/)';
  if (where === '(garbage collector)') return 'garbage collector';
  if (where === 'node (core)' || where === '(native)' || where === '(program)')
    return 'Node.js core and native (HTTP, sockets, streams, timers)';
  return 'other';
}

/** Self time by function and origin, counting only the samples taken from `fromMicros` on (the load, not the start-up). */
export function summarizeProfile(profile: CpuProfile, top: number, fromMicros = 0, requests = 0): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at >= fromMicros) selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  });
  const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!;
    const where = origin(node.callFrame.url, node.callFrame.functionName);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + micros);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${where}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const idle = byOrigin.get('(idle)') ?? 0;
  const busy = total - idle;
  const table = (entries: Map<string, number>) =>
    [...entries]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, micros]) =>
          `  ${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      )
      .join('\n');
  const byLayer = new Map<string, number>();
  for (const [where, micros] of byOrigin)
    if (where !== '(idle)') byLayer.set(layer(where), (byLayer.get(layer(where)) ?? 0) + micros);
  const layers =
    requests > 0
      ? [...byLayer]
          .sort((a, b) => b[1] - a[1])
          .map(([name, micros]) => `  ${(micros / 1000 / requests).toFixed(3).padStart(7)} ms/request  ${name}`)
          .join('\n')
      : '';
  const inclusive = inclusiveMicros(profile, fromMicros);
  const inclusiveTable = [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, micros]) =>
        `  ${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${requests > 0 ? `${(micros / 1000 / requests).toFixed(3).padStart(7)} ms/request` : `${(micros / 1000).toFixed(0).padStart(6)} ms`}  ${name}`,
    )
    .join('\n');
  return [
    `busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled`,
    ...(requests > 0 ? [`CPU per request by layer (${requests} requests):`, layers] : []),
    'self time by origin:',
    table(byOrigin),
    'hottest functions (self time):',
    table(byFunction),
    'inclusive time by package or source file (a sample counts for every one on its stack; after an await, the stack starts at the resumed function):',
    inclusiveTable,
  ].join('\n');
}

/** A package, or one of our source files (src/athena/resilient-port.js): finer than `origin`, to tell our layers apart. */
function inclusiveOrigin(url: string, functionName: string): string {
  const own = /\/(src|bench)\/(.*)$/.exec(url);
  return own && !url.includes('node_modules/') ? `${own[1]}/${own[2]}` : origin(url, functionName);
}

/** Time spent in frames of each origin or in what they called, each sample counted once per origin on its stack. */
function inclusiveMicros(profile: CpuProfile, fromMicros: number): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const stacks = new Map<number, Set<string>>();
  const originsOn = (id: number): Set<string> => {
    let found = stacks.get(id);
    if (found !== undefined) return found;
    const node = byId.get(id)!;
    const above = parent.get(id);
    found = new Set(above === undefined ? [] : originsOn(above));
    if (node.callFrame.url !== '') found.add(inclusiveOrigin(node.callFrame.url, node.callFrame.functionName));
    stacks.set(id, found);
    return found;
  };
  const result = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < fromMicros || byId.get(id)!.callFrame.functionName === '(idle)') return;
    for (const where of originsOn(id)) result.set(where, (result.get(where) ?? 0) + delta);
  });
  return result;
}

function profileBusyMicros(profile: CpuProfile, fromMicros: number): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let at = profile.startTime;
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at >= fromMicros && !idle.has(id)) busy += delta;
  });
  return busy;
}

async function main(): Promise<void> {
  const spec = target(args.target);
  const workloadId = args.workload as WorkloadId;
  const profileDirectory = resolve('bench/results/profiles');
  mkdirSync(profileDirectory, { recursive: true });
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
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    logFile: join(profileDirectory, 'local-athena.log'),
  });
  const fixtures = new AthenaFixtures(athena.url);
  try {
    const extraEnv = Object.fromEntries(args.env.map((pair) => pair.split('=', 2) as [string, string]));
    const started = Date.now();
    const child = await startChild({
      name: spec.name,
      args: [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDirectory}`,
        ...(args.build === undefined
          ? nodeArguments('compiled', spec.entry, spec.entryArgs)
          : [resolve(args.build, COMPILED_DIRECTORY, 'src/cli.js'), 'serve']),
      ],
      env: { ...spec.env(athena.url), ...extraEnv },
      logFile: join(profileDirectory, `${spec.name}.log`),
    });
    const data = {
      ...(await fixtures.fixtures()),
      terminatePool: workloadId === 'W6' ? await fixtures.startPool(3000) : [],
    };
    const pool = [...data.terminatePool];
    let turn = 0;
    const environment: StepEnvironment = { fixtures: data, next: () => turn++, claim: () => pool.shift() };
    const steps = workload(workloadId).steps(spec.style);
    // Warm-up first (JIT, caches, sockets); the summary counts only what follows it.
    const warmupSeconds = Math.min(3, Number(args.seconds) / 2);
    await autocannon({
      url: child.url,
      connections: workload(workloadId).connections,
      duration: warmupSeconds,
      requests: steps.map((step) => ({
        setupRequest: (request: Record<string, unknown>, context: CycleContext) => ({
          ...request,
          ...step.request(context, environment),
        }),
      })),
    });
    const loadStartedMicros = Number(process.hrtime.bigint() / 1000n);
    const result = await autocannon({
      url: child.url,
      connections: workload(workloadId).connections,
      duration: Number(args.seconds) - warmupSeconds,
      requests: steps.map((step) => ({
        setupRequest: (request: Record<string, unknown>, context: CycleContext) => ({
          ...request,
          ...step.request(context, environment),
        }),
        onResponse: (_status: number, body: string, context: CycleContext) => void step.check?.(body, context),
      })),
    });
    process.stdout.write(
      `${spec.name} ${workloadId}: ${(result.requests.total / result.duration).toFixed(0)} req/s, p99 ${result.latency.p99} ms\n`,
    );
    await child.stop(10_000);
    // CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile: thread 0 is the main thread (under
    // tsx, its module loader runs in a thread of its own and writes a profile too).
    const written = readdirSync(profileDirectory)
      .filter(
        (name) =>
          name.endsWith('.cpuprofile') &&
          name.split('.')[4] === '0' &&
          statSync(join(profileDirectory, name)).mtimeMs >= started,
      )
      .sort()
      .at(-1);
    if (written === undefined) throw new Error('no .cpuprofile was written');
    process.stdout.write(`profile: bench/results/profiles/${written}\n`);
    const profile = JSON.parse(readFileSync(join(profileDirectory, written), 'utf8')) as CpuProfile;
    process.stdout.write(`${summarizeProfile(profile, Number(args.top), loadStartedMicros, result.requests.total)}\n`);
    process.stdout.write(
      `CPU per request under load: ${(profileBusyMicros(profile, loadStartedMicros) / 1000 / result.requests.total).toFixed(2)} ms\n`,
    );
  } finally {
    fixtures.destroy();
    await Promise.all(runningChildren().map((child) => child.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
