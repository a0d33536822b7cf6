// The soak, run in its own process by soak.test.ts (node --expose-gc): the production wiring over
// real HTTP, mixed operations from several clients, faults switched on and off, the upstream
// stopped and restarted, three times through the same cycle of faults: the first warms up, and the
// heap after GC must not grow from the second to the third. It prints one JSON line of results, closes everything and then does NOT
// call process.exit: the process must end by itself, which it only does when no timer, socket or
// server was leaked.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPortStack } from '../../src/athena/port-stack.js';
import { createGateway } from '../../src/gateway.js';
import { closeHttpServer, GracefulShutdown } from '../../src/lifecycle/graceful-shutdown.js';
import type { FaultSpec, FaultTarget } from '../../src/local-athena/fault-injector.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { athenaProbe, Readiness } from '../../src/observability/readiness.js';
import { GatewayTelemetry } from '../../src/observability/telemetry.js';
import { testConfig } from '../test-config.js';

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 4);
/** Each fault phase lasts this long; a cycle is all phases once. */
const PHASE_MS = Number(process.env.SOAK_PHASE_MS ?? 500);
const DEADLINE_MS = 1_000;

const problems = { unhandledRejections: 0, uncaughtExceptions: 0, firstProblem: undefined as string | undefined };
process.on('unhandledRejection', (reason) => {
  problems.unhandledRejections += 1;
  problems.firstProblem ??= String((reason as Error)?.stack ?? reason);
});
process.on('uncaughtException', (error) => {
  problems.uncaughtExceptions += 1;
  problems.firstProblem ??= String(error.stack ?? error);
});

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let athena: LocalAthena = await startLocalAthena({ seed: 'demo' });
const athenaPort = athena.port;
const base = testConfig({
  logLevel: 'silent',
  operationTimeoutMs: DEADLINE_MS,
  upstreamConcurrency: 16,
  upstreamQueueLimit: 64,
  breakerFailureThreshold: 5,
  breakerOpenMs: 300,
});
const config = {
  ...base,
  athena: { ...base.athena, mode: 'embedded' as const, endpoint: athena.url, requestTimeoutMs: 300, maxAttempts: 3 },
};
const logger = createLogger('silent');
const telemetry = new GatewayTelemetry({ logger, processMetrics: true });
// The stack `serve` builds, cache included, under the soak's tighter resilience settings.
const stack = createPortStack(config, { telemetry });
const port = stack.resilient;
const readiness = new Readiness({
  breakerState: () => port.breakerState,
  probe: athenaProbe(port),
  probeIntervalMs: 200,
  probeTimeoutMs: 1_000,
});
const shutdown = new GracefulShutdown();
const yoga = createGateway(config, stack.port, { logger, telemetry, readiness, shutdown });
const server = createServer(yoga);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
readiness.start();

const sessionIds = (await athena.store.listSessionsPage({ workGroup: 'primary', limit: 100 })).sessions.map(
  (session) => session.sessionId,
);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

const OPERATIONS: (() => { query: string; variables?: Record<string, unknown> })[] = [
  () => ({
    query:
      'query Summary { sessions(workGroup: "primary", first: 50) { edges { node { id sessionId status { state } } } pageInfo { endCursor } } }',
  }),
  () => ({
    query:
      'query Details { sessions(workGroup: "analytics", first: 5) { edges { node { sessionId statistics { dpuExecutionInMillis } } } } }',
  }),
  () => ({
    query: 'query Status($id: String!) { session(sessionId: $id) { status { state } } }',
    variables: { id: pick(sessionIds) },
  }),
  () => ({
    query: 'query Detail($id: String!) { session(sessionId: $id) { engineConfiguration { maxConcurrentDpus } } }',
    variables: { id: pick(sessionIds) },
  }),
  () => ({
    query:
      'query Group { workGroup(name: "ml-experiments") { name sessions(first: 3) { edges { node { sessionId } } } } }',
  }),
  () => ({ query: 'query Missing { session(sessionId: "no-such-session") { sessionId } }' }),
  () => ({
    query:
      'mutation Start { startSession(input: { workGroup: "sandbox", description: "soak" }) { session { sessionId } } }',
  }),
];

interface PhaseStats {
  operations: number;
  byCode: Record<string, number>;
  maxMs: number;
  durations: number[];
}
const newStats = (): PhaseStats => ({ operations: 0, byCode: {}, maxMs: 0, durations: [] });
/** Cycle 1 warms up (JIT, pools, caches); cycles 2 and 3 are the halves that are compared. */
const cycles: [PhaseStats, PhaseStats, PhaseStats] = [newStats(), newStats(), newStats()];
let cycle = 0;
const startedSessions: string[] = [];
let running = true;
const unexpected: string[] = [];
/** Operations answered after the deadline, and the fault phase they started in. */
const slowest: { operation: string; ms: number; codes: string[]; phase: string }[] = [];
let currentPhase = 'warm-up';

async function client(): Promise<void> {
  while (running) {
    const { query, variables } = pick(OPERATIONS)();
    const started = performance.now();
    const phase = currentPhase;
    try {
      const response = await fetch(`${gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
      const ms = performance.now() - started;
      const stats = cycles[Math.min(cycle, cycles.length - 1)]!;
      stats.operations += 1;
      stats.maxMs = Math.max(stats.maxMs, ms);
      if (stats.durations.length < 20_000) stats.durations.push(ms);
      const codes = body.errors?.map((error) => error.extensions?.code ?? 'NONE') ?? ['ok'];
      for (const code of new Set(codes)) stats.byCode[code] = (stats.byCode[code] ?? 0) + 1;
      if (response.status >= 500 || codes.some((code) => code !== 'ok' && code !== 'UPSTREAM_ERROR')) {
        unexpected.push(`${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
      if (ms > DEADLINE_MS)
        slowest.push({
          operation: /^(query|mutation) (\w+)/.exec(query)?.[2] ?? '?',
          ms: Math.round(ms),
          codes: [...new Set(codes)],
          phase,
        });
      const started_ = body.data?.startSession?.session?.sessionId as string | undefined;
      if (started_ !== undefined) startedSessions.push(started_);
    } catch (error) {
      unexpected.push(`client failure: ${String(error)}`);
    }
    // Some read-backs: terminate what was started, and scrape like an operator.
    if (startedSessions.length > 0 && Math.random() < 0.2) {
      const id = startedSessions.shift()!;
      await fetch(`${gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation Stop($id: String!) { terminateSession(input: { sessionId: $id }) { state } }',
          variables: { id },
        }),
      }).then(
        (response) => response.arrayBuffer(),
        () => undefined,
      );
    }
    if (Math.random() < 0.05)
      await fetch(`${gateway}/metrics`).then(
        (response) => response.text(),
        () => undefined,
      );
    if (Math.random() < 0.05)
      await fetch(`${gateway}/ready`).then(
        (response) => response.text(),
        () => undefined,
      );
  }
}

type Phase = { name: string; apply: () => Promise<void> };
const faultPhase = (name: string, target: FaultTarget, spec: FaultSpec): Phase => ({
  name,
  apply: async () => athena.faults.set(target, spec),
});
const PHASES: Phase[] = [
  { name: 'calm', apply: async () => undefined },
  faultPhase('latency spike past the timeout', 'GetSessionStatus', { latencyMs: 2_000 }),
  faultPhase('500s', '*', { error: 'InternalServerException', rate: 0.5 }),
  { name: 'calm', apply: async () => undefined },
  faultPhase('throttling', 'ListSessions', { error: 'TooManyRequestsException', rate: 0.4 }),
  faultPhase('dropped connections', '*', { error: 'drop', rate: 0.3 }),
  {
    name: 'upstream restart',
    apply: async () => {
      await athena.close();
      await sleep(400);
      athena = await startLocalAthena({ seed: 'demo', port: athenaPort });
    },
  },
  { name: 'calm', apply: async () => undefined },
];

const soakStarted = performance.now();
const clients = Array.from({ length: CLIENTS }, () => client());
/** Heap after GC at the end of each cycle. */
const heap: number[] = [];
for (; cycle < cycles.length; cycle += 1) {
  for (const phase of PHASES) {
    athena.faults.clear();
    await phase.apply();
    currentPhase = phase.name;
    await sleep(PHASE_MS);
  }
  athena.faults.clear();
  currentPhase = 'calm';
  heap.push(heapAfterGc());
}
running = false;
await Promise.all(clients);
const soakMs = performance.now() - soakStarted;
const [heapStart = 0, heapFirstHalf = 0, heapSecondHalf = 0] = heap;

// Everything back to normal: the gateway recovers by itself.
const recovered = await (async () => {
  const until = performance.now() + 5_000;
  while (performance.now() < until) {
    const response = await fetch(`${gateway}/ready`);
    await response.arrayBuffer();
    if (response.status === 200) return true;
    await sleep(50);
  }
  return false;
})();
const finalCheck = await fetch(`${gateway}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: '{ sessions(workGroup: "analytics", first: 2) { edges { node { sessionId } } } }' }),
}).then((response) => response.json() as Promise<{ errors?: unknown }>);

readiness.stop();
shutdown.begin();
await closeHttpServer(server, 2_000);
await yoga.dispose();
stack.destroy();
await athena.close();
const metricsText = await telemetry.metrics.registry.metrics();
// Sockets closed above finish closing on the next turns of the loop.
await sleep(200);

const summarize = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
};
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    soakMs: Math.round(soakMs),
    clients: CLIENTS,
    deadlineMs: DEADLINE_MS,
    phaseMs: PHASE_MS,
    phases: PHASES.map((phase) => phase.name),
    cycles: cycles.map((stats) => ({
      operations: stats.operations,
      byCode: stats.byCode,
      ms: summarize(stats.durations),
    })),
    heapMb: { afterWarmUp: mb(heapStart), firstHalf: mb(heapFirstHalf), secondHalf: mb(heapSecondHalf) },
    heapBytes: { afterWarmUp: heapStart, firstHalf: heapFirstHalf, secondHalf: heapSecondHalf },
    recovered,
    finalCheckOk: finalCheck.errors === undefined,
    overDeadline: slowest.sort((a, b) => b.ms - a.ms).slice(0, 10),
    overDeadlineCount: slowest.length,
    unexpected: unexpected.slice(0, 5),
    unexpectedCount: unexpected.length,
    breakerOpened: /athena_circuit_breaker_transitions_total\{state="open"\} (\d+)/.exec(metricsText)?.[1] ?? '0',
    problems,
    activeResourcesAfterClose: process.getActiveResourcesInfo(),
  })}\n`,
);
