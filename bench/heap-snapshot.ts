// Where the gateway's memory goes: a V8 heap snapshot of the gateway process taken under a W1-W4
// load, summarised as retained size by origin (the package or source file whose code holds it).
//
//   npx tsx bench/heap-snapshot.ts [--runtime compiled|tsx] [--seconds 8] [--latency 30] [--graphiql]
//   npx tsx bench/heap-snapshot.ts --analyze bench/results/heap/<file>.heapsnapshot
//
// The gateway runs as `npm run start:prod` (compiled, the default) or `npm start` (tsx) does, with
// `--heapsnapshot-signal=SIGUSR2` (a node flag: no endpoint in the product); half-way through the
// load this script sends the signal and V8 writes the snapshot to bench/results/heap/. `--graphiql`
// loads the GraphiQL page and its assets first, as a browser would.
//
// Attribution: retained sizes come from the dominator tree (what would be freed if the object went).
// Every object is attributed to its nearest dominator that has an origin: a function (the script
// it was compiled from), a function's scope (the first function found using it), or a script. So a
// module-level LRU cache counts for the module whose functions close over it, and an SDK client for
// the SDK when only the SDK's closures hold it. What only V8's roots dominate stays "V8 / unattributed".
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { runningChildren, startChild } from './processes.js';
import { nodeArguments, type Runtime, target } from './targets.js';
import { type CycleContext, type StepEnvironment, type WorkloadId, workload } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'compiled' },
    seconds: { type: 'string', default: '8' },
    latency: { type: 'string', default: '30' },
    graphiql: { type: 'boolean', default: false },
    analyze: { type: 'string' },
    top: { type: 'string', default: '30' },
  },
});

const heapDirectory = resolve('bench/results/heap');

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Which bucket an origin (a script URL) belongs to. */
function bucket(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    if (name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name.startsWith('@aws/')) return 'AWS SDK';
    if (name === 'tsx' || name === 'esbuild' || name === 'get-tsconfig') return 'TypeScript loader (tsx)';
    if (name === 'typescript') return 'TypeScript compiler';
    if (name === '@graphql-yoga/render-graphiql' || name === 'graphiql' || name.startsWith('@graphiql/'))
      return 'GraphiQL';
    if (name === 'graphql' || name === 'graphql-jit' || name.startsWith('@pothos/') || name === 'graphql-scalars')
      return 'graphql-js, graphql-jit, Pothos (schema and compiled queries)';
    if (
      name === 'graphql-yoga' ||
      name.startsWith('@graphql-yoga/') ||
      name.startsWith('@envelop/') ||
      name.startsWith('@whatwg-node/') ||
      name.startsWith('@graphql-tools/') ||
      name.startsWith('@escape.tech/')
    )
      return 'GraphQL server (yoga, envelop, whatwg-node, armor)';
    if (name === 'pino' || name === 'prom-client' || name === 'sonic-boom' || name === 'thread-stream')
      return 'logs and metrics (pino, prom-client)';
    if (name.startsWith('@opentelemetry/')) return 'OpenTelemetry';
    if (name === '@apollo/subgraph' || name.startsWith('@apollo/')) return 'Apollo federation';
    return `other package: ${name}`;
  }
  if (url.startsWith('node:') || !url.includes('/')) return 'Node.js core';
  const own = /\/(src|bench)\/(.*)$/.exec(url);
  if (own) {
    const file = `${own[1]}/${own[2]}`.replace(/\.(js|ts)$/, '');
    if (file.includes('graphiql')) return 'GraphiQL';
    if (file.startsWith('src/athena/caching-port')) return 'caching port (src/athena/caching-port)';
    return `gateway code: ${file.split('/').slice(0, 2).join('/')}`;
  }
  return url;
}

export function analyzeHeapSnapshot(path: string, top: number): string {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const { meta } = raw.snapshot;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const typeOffset = meta.node_fields.indexOf('type');
  const nameOffset = meta.node_fields.indexOf('name');
  const selfSizeOffset = meta.node_fields.indexOf('self_size');
  const edgeCountOffset = meta.node_fields.indexOf('edge_count');
  const edgeTypeOffset = meta.edge_fields.indexOf('type');
  const edgeNameOffset = meta.edge_fields.indexOf('name_or_index');
  const edgeToOffset = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const closureType = nodeTypes.indexOf('closure');
  const codeType = nodeTypes.indexOf('code');
  const stringTypes = new Set(['string', 'concatenated string', 'sliced string'].map((t) => nodeTypes.indexOf(t)));
  const { nodes, edges, strings } = raw;
  const count = nodes.length / nodeFieldCount;

  const firstEdge = new Uint32Array(count + 1);
  for (let node = 0, edge = 0; node < count; node += 1) {
    firstEdge[node] = edge;
    edge += nodes[node * nodeFieldCount + edgeCountOffset]! * edgeFieldCount;
    firstEdge[node + 1] = edge;
  }
  const edgeName = (edge: number) => {
    const type = edges[edge + edgeTypeOffset]!;
    const value = edges[edge + edgeNameOffset]!;
    return edgeTypes[type] === 'element' || edgeTypes[type] === 'hidden' ? String(value) : strings[value]!;
  };
  const target = (edge: number) => edges[edge + edgeToOffset]! / nodeFieldCount;
  const holds = (edge: number) => {
    const type = edges[edge + edgeTypeOffset]!;
    return type !== weak && type !== shortcut;
  };

  // Reverse postorder from the root (node 0), iteratively; then the dominators (Cooper, Harvey, Kennedy).
  const order = new Int32Array(count).fill(-1);
  const postorder: number[] = [];
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const visited = new Uint8Array(count);
  visited[0] = 1;
  for (let node = 0; node < count; node += 1) cursor[node] = firstEdge[node]!;
  while (stack.length > 0) {
    const node = stack[stack.length - 1]!;
    if (cursor[node]! < firstEdge[node + 1]!) {
      const edge = cursor[node]!;
      cursor[node] = edge + edgeFieldCount;
      if (!holds(edge)) continue;
      const next = target(edge);
      if (visited[next] === 0) {
        visited[next] = 1;
        stack.push(next);
      }
    } else {
      stack.pop();
      order[node] = postorder.length;
      postorder.push(node);
    }
  }
  const predecessors: number[][] = Array.from({ length: count }, () => []);
  for (let node = 0; node < count; node += 1) {
    if (visited[node] === 0) continue;
    for (let edge = firstEdge[node]!; edge < firstEdge[node + 1]!; edge += edgeFieldCount)
      if (holds(edge)) predecessors[target(edge)]!.push(node);
  }
  const dominator = new Int32Array(count).fill(-1);
  dominator[0] = 0;
  const intersect = (a: number, b: number) => {
    let left = a;
    let right = b;
    while (left !== right) {
      while (order[left]! < order[right]!) left = dominator[left]!;
      while (order[right]! < order[left]!) right = dominator[right]!;
    }
    return left;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let index = postorder.length - 2; index >= 0; index -= 1) {
      const node = postorder[index]!;
      let candidate = -1;
      for (const from of predecessors[node]!) {
        if (dominator[from] === -1) continue;
        candidate = candidate === -1 ? from : intersect(from, candidate);
      }
      if (candidate !== -1 && dominator[node] !== candidate) {
        dominator[node] = candidate;
        changed = true;
      }
    }
  }

  // Origins: functions by their script, scopes and scripts by the first function naming them.
  const label = new Array<string | undefined>(count);
  const nameOf = (node: number) => strings[nodes[node * nodeFieldCount + nameOffset]!]!;
  const childNamed = (node: number, name: string) => {
    for (let edge = firstEdge[node]!; edge < firstEdge[node + 1]!; edge += edgeFieldCount)
      if (edgeName(edge) === name) return target(edge);
    return -1;
  };
  const scriptUrl = (script: number): string | undefined => {
    const name = childNamed(script, 'name');
    if (name === -1) return undefined;
    const type = nodes[name * nodeFieldCount + typeOffset]!;
    return stringTypes.has(type) && nameOf(name) !== '' ? nameOf(name) : undefined;
  };
  for (let node = 0; node < count; node += 1) {
    if (nodes[node * nodeFieldCount + typeOffset] !== closureType) continue;
    const shared = childNamed(node, 'shared');
    if (shared === -1) continue;
    let script = childNamed(shared, 'script');
    if (script === -1) script = childNamed(shared, 'script_or_debug_info');
    const url = script === -1 ? undefined : scriptUrl(script);
    if (url === undefined) continue;
    const origin = bucket(url);
    label[node] = origin;
    label[shared] ??= origin;
    label[script] ??= origin;
    const context = childNamed(node, 'context');
    if (context !== -1) label[context] ??= origin;
  }

  // Retained sizes (children before parents in postorder), then each node's self size to its origin.
  const retained = new Float64Array(count);
  for (const node of postorder) {
    retained[node] = retained[node]! + nodes[node * nodeFieldCount + selfSizeOffset]!;
    if (node !== 0) retained[dominator[node]!] = retained[dominator[node]!]! + retained[node]!;
  }
  const origin = new Array<string>(count);
  const byOrigin = new Map<string, number>();
  for (let index = postorder.length - 1; index >= 0; index -= 1) {
    const node = postorder[index]!;
    origin[node] = label[node] ?? (node === 0 ? 'V8 / unattributed' : origin[dominator[node]!]!);
    const self = nodes[node * nodeFieldCount + selfSizeOffset]!;
    byOrigin.set(origin[node]!, (byOrigin.get(origin[node]!) ?? 0) + self);
  }
  // Code objects (compiled functions) apart: they are what the loaded code itself costs.
  let codeBytes = 0;
  for (let node = 0; node < count; node += 1)
    if (nodes[node * nodeFieldCount + typeOffset] === codeType)
      codeBytes += nodes[node * nodeFieldCount + selfSizeOffset]!;
  const total = retained[0]!;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1).padStart(6);
  const rows = [...byOrigin]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => `| ${name} | ${mb(bytes)} | ${((100 * bytes) / total).toFixed(1)} % |`);
  // The largest single objects by retained size below the roots' own children, for the "what is it" question.
  const biggest = postorder
    .filter((node) => node !== 0 && dominator[node] !== 0 && label[node] === undefined)
    .sort((a, b) => retained[b]! - retained[a]!)
    .slice(0, 12)
    .map(
      (node) =>
        `| ${nodeTypes[nodes[node * nodeFieldCount + typeOffset]!]} ${JSON.stringify(nameOf(node).slice(0, 60))} | ${mb(retained[node]!)} | ${origin[node]} |`,
    );
  return [
    `${path}: ${count} objects, ${mb(total).trim()} MB reachable (V8 heap; code objects ${mb(codeBytes).trim()} MB of it)`,
    '',
    '| origin | MB | share |',
    '| --- | ---: | ---: |',
    ...rows,
    '',
    'largest objects without an origin of their own (retained MB, attributed to):',
    '| object | MB | origin |',
    '| --- | ---: | --- |',
    ...biggest,
  ].join('\n');
}

/** RSS by mapping, from /proc/<pid>/smaps: the node binary, shared libraries, anonymous memory (V8's heap, malloc). */
function rssByMapping(pid: number): string {
  const byKind = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) {
      const path = mapping[1]!.trim();
      kind =
        path === ''
          ? 'anonymous (V8 heap spaces, malloc arenas, thread stacks)'
          : path.startsWith('[')
            ? path
            : path.endsWith('/node')
              ? 'node binary (code and data)'
              : 'shared libraries and other files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss) byKind.set(kind, (byKind.get(kind) ?? 0) + Number(rss[1]) * 1024);
  }
  const total = [...byKind.values()].reduce((sum, bytes) => sum + bytes, 0);
  return [
    `RSS ${(total / 2 ** 20).toFixed(1)} MB by mapping:`,
    ...[...byKind]
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => `  ${(bytes / 2 ** 20).toFixed(1).padStart(6)} MB  ${name}`),
  ].join('\n');
}

/** V8's own view: heap spaces (used of committed) and memory outside the heap, from the gateway's /metrics. */
async function heapMetrics(url: string): Promise<string> {
  const response = await fetch(new URL('/metrics', url));
  if (!response.ok) return `/metrics: HTTP ${response.status}`;
  const text = await response.text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  const spaces = [...text.matchAll(/^nodejs_heap_space_size_used_bytes\{space="([^"]+)"\} (\S+)$/gm)].map(
    ([, space, used]) =>
      `${space} ${(Number(used) / 2 ** 20).toFixed(1)} of ${(value(new RegExp(`^nodejs_heap_space_size_total_bytes\\{space="${space}"\\} (\\S+)$`, 'm')) / 2 ** 20).toFixed(1)}`,
  );
  return [
    `V8 heap used ${(value(/^nodejs_heap_size_used_bytes (\S+)$/m) / 2 ** 20).toFixed(1)} MB of ${(value(/^nodejs_heap_size_total_bytes (\S+)$/m) / 2 ** 20).toFixed(1)} MB committed; external ${(value(/^nodejs_external_memory_bytes (\S+)$/m) / 2 ** 20).toFixed(1)} MB`,
    `heap spaces, MB used of committed: ${spaces.join(', ')}`,
  ].join('\n');
}

async function load(url: string, workloadId: WorkloadId, environment: StepEnvironment, seconds: number) {
  const steps = workload(workloadId).steps('graphql');
  return autocannon({
    url,
    connections: workload(workloadId).connections,
    duration: seconds,
    requests: steps.map((step) => ({
      setupRequest: (request: Record<string, unknown>, context: CycleContext) => ({
        ...request,
        ...step.request(context, environment),
      }),
    })),
  });
}

async function main(): Promise<void> {
  if (args.analyze !== undefined) {
    process.stdout.write(`${analyzeHeapSnapshot(args.analyze, Number(args.top))}\n`);
    return;
  }
  const runtime = args.runtime as Runtime;
  const seconds = Number(args.seconds);
  mkdirSync(heapDirectory, { recursive: true });
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
    logFile: join(heapDirectory, 'local-athena.log'),
  });
  const fixtures = new AthenaFixtures(athena.url);
  try {
    const started = Date.now();
    const gateway = await startChild({
      name: 'gateway',
      args: [
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${heapDirectory}`,
        ...nodeArguments(runtime, 'src/cli.ts', ['serve']),
      ],
      env: target('gateway').env(athena.url),
      logFile: join(heapDirectory, 'gateway.log'),
    });
    if (args.graphiql) {
      const page = await (await fetch(new URL('/graphql', gateway.url), { headers: { accept: 'text/html' } })).text();
      for (const [, asset] of page.matchAll(/(?:src|href)="([^"]+)"/g))
        await (await fetch(new URL(asset!, gateway.url))).arrayBuffer();
    }
    const data = { ...(await fixtures.fixtures()), terminatePool: [] };
    let turn = 0;
    const environment: StepEnvironment = { fixtures: data, next: () => turn++, claim: () => undefined };
    const running = (['W1', 'W2', 'W3', 'W4'] as const).map((id) => load(gateway.url, id, environment, seconds));
    await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2));
    process.stdout.write(`${rssByMapping(gateway.pid)}\n${await heapMetrics(gateway.url)}\n`);
    gateway.process.kill('SIGUSR2');
    const results = await Promise.all(running);
    process.stdout.write(`requests under load: ${results.map((result) => result.requests.total).join(', ')} (W1-W4)\n`);
    // V8 writes the file synchronously in the gateway; wait until its size stops changing.
    let file: string | undefined;
    for (let previous = -1; ; ) {
      file = readdirSync(heapDirectory)
        .filter((name) => name.endsWith('.heapsnapshot') && statSync(join(heapDirectory, name)).mtimeMs >= started)
        .sort()
        .at(-1);
      const size = file === undefined ? -1 : statSync(join(heapDirectory, file)).size;
      if (size > 0 && size === previous) break;
      previous = size;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await gateway.stop(10_000);
    const path = join(heapDirectory, file!);
    if (!existsSync(path)) throw new Error('no heap snapshot was written');
    process.stdout.write(`${analyzeHeapSnapshot(path, Number(args.top))}\n`);
  } finally {
    fixtures.destroy();
    await Promise.all(runningChildren().map((child) => child.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
