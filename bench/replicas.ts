// `npm run bench -- --replicas 3`: what a fleet costs Athena. Three set-ups side by side over one
// local Athena service, the load spread round robin over each set-up's replicas (autocannon's
// connections are dealt over the URLs): one replica; N replicas without Redis; N replicas sharing
// a redis-server the bench starts on a free port. Writes bench/results/replicas.md and .json.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { AthenaFixtures } from './athena-fixtures.js';
import { compileForBench } from './compile.js';
import { LoadWorker } from './load-client.js';
import type { LoadResult } from './load-worker.js';
import { type Child, peakRssBytes, resetPeakRss, runningChildren, startChild } from './processes.js';
import { nodeArguments, type Runtime } from './targets.js';
import { type Fixtures, type WorkloadId, workload } from './workloads.js';

export interface ReplicaBenchSettings {
  replicas: number;
  latencyMs: number;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  runtime: Runtime;
  workloads: WorkloadId[];
  name: string;
}

type SetupName = 'one-replica' | 'replicas-no-redis' | 'replicas-redis';

interface Setup {
  name: SetupName;
  label: string;
  children: Child[];
}

interface Row {
  setup: SetupName;
  label: string;
  workload: WorkloadId;
  round: number;
  requestsPerSecond: number;
  latencyP99Ms: number;
  errors: number;
  upstreamPerSecond: number;
  upstreamPerOp: number;
  upstreamPerSecondByOperation: Record<string, number>;
  rssMbPerProcess: number[];
}

const log = (message: string) => process.stderr.write(`[bench replicas] ${message}\n`);

export async function runReplicaBench(settings: ReplicaBenchSettings): Promise<void> {
  const resultsDirectory = resolve('bench/results');
  const logDirectory = join(resultsDirectory, 'logs');
  mkdirSync(logDirectory, { recursive: true });
  if (settings.runtime === 'compiled') {
    log('compiling to dist/bench-build');
    compileForBench();
  }
  let redis: ChildProcess | undefined;
  let worker: LoadWorker | undefined;
  const stopAll = async () => {
    worker?.stop();
    redis?.kill('SIGKILL');
    await Promise.all(runningChildren().map((child) => child.stop()));
  };
  try {
    const redisPort = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (redis.exitCode !== null) throw new Error("redis-server did not start (is Debian's redis-server installed?)");
    const redisUrl = `redis://127.0.0.1:${redisPort}`;

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
      logFile: join(logDirectory, 'replicas-local-athena.log'),
    });
    const fixturesClient = new AthenaFixtures(athena.url);
    const fixtures: Fixtures = { ...(await fixturesClient.fixtures()), terminatePool: [] };
    const gateway = (name: string, extra: Record<string, string>) =>
      startChild({
        name,
        args: nodeArguments(settings.runtime, 'src/cli.ts', ['serve']),
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'production',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          PORT: '0',
          HOST: '127.0.0.1',
          ATHENA_ENDPOINT: athena.url,
          AUTH_DISABLED: 'true',
          CURSOR_SECRET: 'bench-cursor-secret-of-at-least-32-bytes',
          LOG_LEVEL: 'warn',
          READY_PROBE_INTERVAL_MS: '0',
          ...extra,
        },
        logFile: join(logDirectory, `replicas-${name}.log`),
        // Up to seven processes start at once on a machine that may be busy.
        readyTimeoutMs: 120_000,
      });
    // Pino's ready line is at info; the bench reads it, so the gateways log at info after all.
    const many = (prefix: string, extra: Record<string, string>) =>
      Promise.all(
        Array.from({ length: settings.replicas }, (_, index) =>
          gateway(`${prefix}-${index + 1}`, { LOG_LEVEL: 'info', ...extra }),
        ),
      );
    const setups: Setup[] = [
      { name: 'one-replica', label: 'one replica', children: [await gateway('single', { LOG_LEVEL: 'info' })] },
      {
        name: 'replicas-no-redis',
        label: `${settings.replicas} replicas, no Redis`,
        children: await many('local', {}),
      },
      {
        name: 'replicas-redis',
        label: `${settings.replicas} replicas, Redis`,
        children: await many('redis', { REDIS_URL: redisUrl }),
      },
    ];
    worker = LoadWorker.start(settings.runtime);
    log(
      `local Athena ${athena.url}, Redis ${redisUrl}, ${setups.map((setup) => `${setup.label}: ${setup.children.map((child) => child.url).join(' ')}`).join('; ')}`,
    );

    const rows: Row[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const id of settings.workloads) {
        for (const setup of setups) {
          const urls = setup.children.map((child) => child.url);
          const command = {
            url: urls.length === 1 ? urls[0]! : urls,
            workload: id,
            style: 'graphql' as const,
            verify: true,
            fixtures,
          };
          await worker.run({ ...command, durationSeconds: settings.warmupSeconds });
          await fixturesClient.resetCalls();
          for (const child of setup.children) resetPeakRss(child.pid);
          const load: LoadResult = await worker.run({ ...command, durationSeconds: settings.durationSeconds });
          const calls = await fixturesClient.calls();
          const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
          const row: Row = {
            setup: setup.name,
            label: setup.label,
            workload: id,
            round,
            requestsPerSecond: load.requestsPerSecond,
            latencyP99Ms: load.latencyP99Ms,
            errors: load.errors,
            upstreamPerSecond: total / load.durationSeconds,
            upstreamPerOp: total / Math.max(1, load.requests),
            upstreamPerSecondByOperation: Object.fromEntries(
              Object.entries(calls).map(([operation, count]) => [operation, count / load.durationSeconds]),
            ),
            rssMbPerProcess: setup.children.map((child) => Math.round(peakRssBytes(child.pid) / 2 ** 20)),
          };
          rows.push(row);
          log(
            `round ${round} ${id} ${setup.label}: ${row.requestsPerSecond.toFixed(0)} req/s, p99 ${row.latencyP99Ms} ms, ${row.upstreamPerSecond.toFixed(1)} upstream calls/s, errors ${row.errors}`,
          );
        }
      }
    }
    const report = {
      startedAt: new Date().toISOString(),
      machine: {
        cores: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))),
      },
      settings,
      rows,
    };
    writeFileSync(join(resultsDirectory, `${settings.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderReplicaMarkdown(report);
    writeFileSync(join(resultsDirectory, `${settings.name}.md`), markdown);
    process.stdout.write(markdown);
    log(`wrote bench/results/${settings.name}.md and .json`);
  } finally {
    await stopAll();
  }
}

function renderReplicaMarkdown(report: {
  startedAt: string;
  machine: Record<string, unknown>;
  settings: ReplicaBenchSettings;
  rows: Row[];
}): string {
  const { settings } = report;
  const lines = [
    `# Replicas: ${settings.replicas} gateway processes, with and without Redis`,
    '',
    `${report.startedAt}; ${JSON.stringify(report.machine)}; Athena latency ${settings.latencyMs} ms; ${settings.rounds} round(s) of ${settings.durationSeconds} s after ${settings.warmupSeconds} s warm-up; load spread round robin over the replicas.`,
    '',
    '| workload | set-up | req/s | p99 ms | errors | fleet upstream calls/s | vs one replica | calls/op | calls/s by operation | RSS MB per process |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  for (const id of settings.workloads) {
    const baseline = average(
      report.rows
        .filter((row) => row.workload === id && row.setup === 'one-replica')
        .map((row) => row.upstreamPerSecond),
    );
    for (const setup of ['one-replica', 'replicas-no-redis', 'replicas-redis'] as const) {
      const rows = report.rows.filter((row) => row.workload === id && row.setup === setup);
      if (rows.length === 0) continue;
      const perSecond = average(rows.map((row) => row.upstreamPerSecond));
      const operations = [...new Set(rows.flatMap((row) => Object.keys(row.upstreamPerSecondByOperation)))].sort();
      const byOperation = operations
        .map(
          (operation) =>
            `${operation} ${average(rows.map((row) => row.upstreamPerSecondByOperation[operation] ?? 0)).toFixed(1)}`,
        )
        .join(', ');
      lines.push(
        `| ${id} ${workload(id).title} | ${rows[0]!.label} | ${average(rows.map((row) => row.requestsPerSecond)).toFixed(0)} | ${average(rows.map((row) => row.latencyP99Ms)).toFixed(0)} | ` +
          `${rows.reduce((sum, row) => sum + row.errors, 0)} | ${perSecond.toFixed(1)} | ${baseline > 0 ? `${(perSecond / baseline).toFixed(2)}x` : 'n/a'} | ` +
          `${average(rows.map((row) => row.upstreamPerOp)).toFixed(3)} | ${byOperation || 'none'} | ${rows.at(-1)!.rssMbPerProcess.join(', ')} |`,
      );
    }
  }
  lines.push(
    '',
    'Targets: with Redis, fleet upstream calls/s within 1.1x of one replica; without Redis, about 3x.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
