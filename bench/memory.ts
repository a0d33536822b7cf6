// Peak memory of the gateway started the way users start it, measured from outside.
//
//   npx tsx bench/memory.ts [--runtime tsx|compiled] [--seconds 8] [--latency 30] [--graphiql]
//
// A local Athena service with the demo data runs in its own process (so its memory is not counted),
// the gateway runs as `npm start` does (node with tsx's loader) or as `npm run start:prod` does
// (compiled JavaScript; `npm run build` first), and autocannon drives W1..W4-like load at it from
// this process. RSS is sampled from /proc; the V8 heap, external memory and array buffers come
// from the gateway's own /metrics. Logs at the default level (info), as users run it. Keep runs short on a
// shared machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'tsx' },
    seconds: { type: 'string', default: '8' },
    latency: { type: 'string', default: '30' },
    graphiql: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);

function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Starts a process and resolves with the first JSON log line that `match` accepts. */
function startAndWait(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  match: (line: Record<string, unknown>) => boolean,
) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<{ child: ChildProcess; line: Record<string, unknown> }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (match(line)) resolve({ child, line });
      } catch {
        // Not JSON: not a line we wait for.
      }
    });
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const athena = await startAndWait(
    'node',
    ['--import', 'tsx', 'src/cli.ts', 'local-athena', '--port', '0', '--latency-ms', values.latency!],
    {},
    (line) => typeof line.url === 'string',
  );
  const athenaUrl = athena.line.url as string;
  const gatewayArgs =
    values.runtime === 'compiled' ? ['dist/src/cli.js', 'serve'] : ['--import', 'tsx', 'src/cli.ts', 'serve'];
  const gateway = await startAndWait(
    'node',
    gatewayArgs,
    {
      PORT: '0',
      HOST: '127.0.0.1',
      ATHENA_ENDPOINT: athenaUrl,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      GRAPHIQL: 'true',
      INTROSPECTION: 'true',
      LOG_LEVEL: 'info',
      ...(values.runtime === 'compiled' ? { NODE_ENV: 'production' } : {}),
    },
    (line) => typeof line.port === 'number',
  ).catch(async (error: unknown) => {
    athena.child.kill();
    throw error;
  });
  const pid = gateway.child.pid!;
  const url = `http://127.0.0.1:${gateway.line.port as number}`;
  const report: Record<string, unknown> = {
    runtime: values.runtime,
    latencyMs: Number(values.latency),
    secondsPerPhase: seconds,
    started: rssMb(pid),
  };
  try {
    if (values.graphiql) {
      const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
      await page.text();
      report.afterGraphiQL = rssMb(pid);
    }
    const first = (await await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ sessions(workGroup: "primary", first: 20) { edges { node { sessionId } } } }' }),
    }).then((response) => response.json())) as { data: { sessions: { edges: { node: { sessionId: string } }[] } } };
    const ids = first.data.sessions.edges.map((edge) => edge.node.sessionId);
    const summary =
      'id sessionId workGroup description notebookVersion engineVersion { selectedEngineVersion effectiveEngineVersion } status { state stateChangeReason startDateTime lastModifiedDateTime endDateTime idleSinceDateTime }';
    const engine =
      'engineConfiguration { coordinatorDpuSize maxConcurrentDpus defaultExecutorDpuSize sparkProperties { key value } additionalConfigs { key value } }';
    const phases: [string, number, string[]][] = [
      [
        'W1',
        10,
        [
          JSON.stringify({
            query: `{ sessions(workGroup: "primary", first: 20) { edges { cursor node { ${summary} } } pageInfo { hasNextPage endCursor } } }`,
          }),
        ],
      ],
      [
        'W2',
        10,
        [
          JSON.stringify({
            query: `{ sessions(workGroup: "primary", first: 20) { edges { cursor node { ${summary} ${engine} } } } }`,
          }),
        ],
      ],
      [
        'W3',
        10,
        ids.map((id) =>
          JSON.stringify({
            query: `query W3($id: String!) { session(sessionId: $id) { ${summary} ${engine} statistics { dpuExecutionInMillis } } }`,
            variables: { id },
          }),
        ),
      ],
      [
        'W4',
        50,
        [
          JSON.stringify({
            query: `query S($id: String!) { session(sessionId: $id) { sessionId status { state } } }`,
            variables: { id: ids[0] },
          }),
        ],
      ],
    ];
    const peaks: Record<string, number> = {};
    for (const [name, connections, bodies] of phases) {
      let next = 0;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid).rss)), 100);
      const result = await autocannon({
        url: `${url}/graphql`,
        connections,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: bodies[next++ % bodies.length],
            }),
          },
        ],
      });
      clearInterval(sampler);
      peaks[name] = Math.round(Math.max(peak, rssMb(pid).rss));
      report[`${name}`] = {
        connections,
        requestsPerSecond: Math.round(result.requests.average),
        errors: result.errors + result.non2xx,
        peakRssMb: peaks[name],
      };
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN) / 1024 / 1024;
    report.end = {
      ...rssMb(pid),
      heapUsedMb: gauge('nodejs_heap_size_used_bytes'),
      heapTotalMb: gauge('nodejs_heap_size_total_bytes'),
      externalMb: gauge('nodejs_external_memory_bytes'),
    };
    report.peakRssMb = rssMb(pid).hwm;
  } finally {
    gateway.child.kill('SIGTERM');
    athena.child.kill('SIGTERM');
  }
  process.stdout.write(
    `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 10) / 10 : value), 2)}\n`,
  );
}

await main();
