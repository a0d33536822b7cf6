// Turns the measurements into the summary (JSON) and the markdown table, and checks them against
// the performance issue's targets.
import type { LoadResult } from './load-worker.js';
import type { ProbeResult } from './probe.js';
import type { TargetName } from './targets.js';
import type { WorkloadId } from './workloads.js';

export interface Measurement {
  round: number;
  load: LoadResult;
  /** Target process CPU (user + system) per answered request. */
  cpuMsPerOp: number;
  /** The local Athena service's CPU per answered request (it shares the machine). */
  athenaCpuMsPerOp: number;
  upstreamCalls: Record<string, number>;
  upstreamPerOp: number;
  upstreamPerSecond: number;
  peakRssMb: number;
  /** False when the kernel did not let VmHWM be reset: the peak is then since the process started. */
  peakRssIsPerMeasurement: boolean;
}

export interface Cell {
  target: TargetName;
  workload: WorkloadId;
  probe?: ProbeResult | undefined;
  measurements: Measurement[];
  failures: string[];
}

export interface Summary {
  target: TargetName;
  workload: WorkloadId;
  rounds: number;
  requestsPerSecond: number;
  requestsPerSecondByRound: number[];
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  stale: number;
  callsPerOpCold: number | null;
  callsPerOpWarm: number | null;
  callsColdByOperation: Record<string, number> | null;
  callsPerOpUnderLoad: number;
  upstreamPerSecond: number;
  upstreamPerSecondByOperation: Record<string, number>;
  cpuMsPerOp: number;
  athenaCpuMsPerOp: number;
  peakRssMb: number;
  vsRest: { requestsPerSecond: number; latencyP99: number; cpuMsPerOpDelta: number } | null;
  failures: string[];
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchInput {
  startedAt: string;
  elapsedSeconds: number;
  machine: { cores: number; cpuModel: string; node: string; platform: string; loadAverageAtEnd: number[] };
  settings: Record<string, unknown> & {
    latencyMs: number;
    gatewayTtlMs: number;
    rounds: number;
    durationSeconds: number;
    warmupSeconds: number;
    runtime: string;
  };
  targets: { name: TargetName; label: string }[];
  workloads: { id: WorkloadId; title: string; connections: number }[];
  cells: Cell[];
  peakRssMb: Record<string, number>;
  skippedSlots: number;
}

export interface BenchReport extends Omit<BenchInput, 'cells'> {
  summaries: Summary[];
  goals: Goal[];
  cells: Cell[];
}

const mean = (values: number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function summarizeCell(cell: Cell): Omit<Summary, 'vsRest'> {
  const { measurements } = cell;
  const seconds = sum(measurements.map((m) => m.load.durationSeconds));
  const byOperation: Record<string, number> = {};
  for (const m of measurements)
    for (const [operation, count] of Object.entries(m.upstreamCalls))
      byOperation[operation] = (byOperation[operation] ?? 0) + count / seconds;
  return {
    target: cell.target,
    workload: cell.workload,
    rounds: measurements.length,
    requestsPerSecond: mean(measurements.map((m) => m.load.requestsPerSecond)),
    requestsPerSecondByRound: measurements.map((m) => Number(m.load.requestsPerSecond.toFixed(1))),
    latencyP50Ms: mean(measurements.map((m) => m.load.latencyP50Ms)),
    latencyP99Ms: mean(measurements.map((m) => m.load.latencyP99Ms)),
    errors: sum(measurements.map((m) => m.load.errors)),
    stale: sum(measurements.map((m) => m.load.stale)),
    callsPerOpCold: cell.probe?.cold ?? null,
    callsPerOpWarm: cell.probe?.warm ?? null,
    callsColdByOperation: cell.probe?.coldByOperation ?? null,
    callsPerOpUnderLoad:
      sum(measurements.map((m) => sum(Object.values(m.upstreamCalls)))) /
      Math.max(1, sum(measurements.map((m) => m.load.requests))),
    upstreamPerSecond: sum(Object.values(byOperation)),
    upstreamPerSecondByOperation: byOperation,
    cpuMsPerOp: mean(measurements.map((m) => m.cpuMsPerOp)),
    athenaCpuMsPerOp: mean(measurements.map((m) => m.athenaCpuMsPerOp)),
    peakRssMb: Math.max(...measurements.map((m) => m.peakRssMb)),
    failures: cell.failures,
  };
}

export function summarize(input: BenchInput): BenchReport {
  const base = input.cells.map(summarizeCell);
  const find = (target: TargetName, workload: WorkloadId) =>
    base.find((s) => s.target === target && s.workload === workload && s.rounds > 0);
  const summaries: Summary[] = base.map((summary) => {
    const rest = find('rest', summary.workload);
    return {
      ...summary,
      vsRest:
        rest === undefined || summary.rounds === 0
          ? null
          : {
              requestsPerSecond: summary.requestsPerSecond / rest.requestsPerSecond,
              latencyP99: summary.latencyP99Ms / rest.latencyP99Ms,
              cpuMsPerOpDelta: summary.cpuMsPerOp - rest.cpuMsPerOp,
            },
    };
  });
  // The probes' sample answers were for the bare server; they would only bloat the JSON.
  const cells = input.cells.map((cell) => ({
    ...cell,
    probe: cell.probe && { ...cell.probe, sample: `(${cell.probe.sample.length} bytes)` },
  }));
  return { ...input, summaries, goals: evaluateGoals(summaries, input), cells };
}

/** The contract's minimum upstream calls per operation, cold, for each workload's operation. */
const CONTRACT_MINIMA: Record<WorkloadId, number> = { W1: 1, W2: 21, W3: 1, W4: 1, W5: 1, W6: 1 };

function evaluateGoals(summaries: Summary[], input: BenchInput): Goal[] {
  const get = (target: TargetName, workload: WorkloadId) =>
    summaries.find((s) => s.target === target && s.workload === workload && s.rounds > 0);
  const goals: Goal[] = [];
  const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const add = (goal: string, measured: string, met: boolean | null) => goals.push({ goal, measured, met });
  const ttlWindowsPerSecond = 1000 / input.settings.gatewayTtlMs;

  for (const target of ['gateway', 'gateway-ttl0'] as const) {
    for (const workload of Object.keys(CONTRACT_MINIMA) as WorkloadId[]) {
      const cold = summaries.find((s) => s.target === target && s.workload === workload)?.callsPerOpCold;
      if (cold === null || cold === undefined) continue;
      add(
        `${target} ${workload}: upstream calls/op cold <= contract minimum ${CONTRACT_MINIMA[workload]}`,
        fixed(cold),
        cold <= CONTRACT_MINIMA[workload] + 1e-9,
      );
    }
  }
  const w2 = get('gateway', 'W2');
  if (w2) {
    const lists = w2.upstreamPerSecondByOperation.ListSessions ?? 0;
    const gets = w2.upstreamPerSecondByOperation.GetSession ?? 0;
    add(
      `W2 warm: at most one ListSessions per CACHE_TTL_MS window (${ttlWindowsPerSecond.toFixed(1)}/s), no GetSession`,
      `${fixed(lists)} ListSessions/s, ${fixed(gets)} GetSession/s`,
      lists <= ttlWindowsPerSecond + 1 && gets === 0,
    );
  }
  const w4 = get('gateway', 'W4');
  const w4rest = get('rest', 'W4');
  if (w4) {
    const statuses = w4.upstreamPerSecondByOperation.GetSessionStatus ?? 0;
    add(
      `W4: at most one GetSessionStatus per session per window (${ttlWindowsPerSecond.toFixed(1)}/s) for 50 pollers`,
      `${fixed(statuses)}/s`,
      statuses <= ttlWindowsPerSecond + 1,
    );
    if (w4rest) {
      const ratio = w4rest.upstreamPerSecond / Math.max(w4.upstreamPerSecond, 1e-9);
      add(
        'W4: at least 100x fewer upstream calls per second than the REST baseline',
        `${fixed(ratio, 0)}x fewer`,
        ratio >= 100,
      );
    }
  }
  const ratioGoal = (target: TargetName, workload: WorkloadId, minimum: number, withP99: boolean, label: string) => {
    const summary = get(target, workload);
    if (summary?.vsRest == null) return;
    const rpsMet = summary.vsRest.requestsPerSecond >= minimum;
    const p99Met = summary.vsRest.latencyP99 <= 1;
    add(
      `${label}: req/s >= ${minimum}x REST${withP99 ? ', p99 no worse' : ''}`,
      `${fixed(summary.vsRest.requestsPerSecond)}x, p99 ${fixed(summary.latencyP99Ms, 0)} vs ${fixed(summary.latencyP99Ms / summary.vsRest.latencyP99, 0)} ms`,
      rpsMet && (!withP99 || p99Met),
    );
  };
  ratioGoal('gateway', 'W1', 1.0, true, 'W1 (default)');
  ratioGoal('gateway', 'W3', 1.0, true, 'W3 (default)');
  ratioGoal('gateway', 'W2', 5.0, true, 'W2 warm (default)');
  ratioGoal('gateway', 'W4', 1.5, true, 'W4 (default)');
  ratioGoal('gateway-ttl0', 'W1', 0.8, false, 'W1 cold (CACHE_TTL_MS=0)');
  ratioGoal('gateway-ttl0', 'W3', 0.9, false, 'W3 cold (CACHE_TTL_MS=0)');
  for (const workload of ['W1', 'W3'] as const) {
    const summary = get('gateway-ttl0', workload);
    if (summary?.vsRest == null) continue;
    add(
      `${workload} cold: gateway CPU/op within 0.5 ms of REST`,
      `${summary.vsRest.cpuMsPerOpDelta >= 0 ? '+' : ''}${fixed(summary.vsRest.cpuMsPerOpDelta)} ms`,
      summary.vsRest.cpuMsPerOpDelta <= 0.5,
    );
  }
  for (const target of ['gateway', 'gateway-ttl0'] as const) {
    const peak = input.peakRssMb[target];
    if (peak !== undefined) add(`${target}: peak RSS under 200 MB through the run`, `${fixed(peak, 0)} MB`, peak < 200);
  }
  const naive = get('naive-graphql', 'W2');
  if (w2 && naive) {
    const ratio = w2.requestsPerSecond / naive.requestsPerSecond;
    add('W2 (default): req/s >= 10x the naive GraphQL baseline', `${fixed(ratio, 1)}x`, ratio >= 10);
  }
  for (const target of ['gateway', 'gateway-ttl0'] as const) {
    const w6 = get(target, 'W6');
    if (w6)
      add(
        `${target} W6: nothing stale after a terminate, no errors`,
        `${w6.stale} stale, ${w6.errors} errors`,
        w6.stale === 0 && w6.errors === 0,
      );
  }
  return goals;
}

export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const s = report.settings;
  const fixed = (value: number | null | undefined, digits = 1) =>
    value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
  lines.push('# Benchmark results', '');
  lines.push(
    `Run ${report.startedAt}, ${report.elapsedSeconds.toFixed(0)} s. Machine: ${report.machine.cores} cores (${report.machine.cpuModel}), ` +
      `Node ${report.machine.node}, ${report.machine.platform}; load average at the end ${report.machine.loadAverageAtEnd.join(' ')}.`,
  );
  lines.push(
    `Local Athena: ${s.latencyMs} ms per call. Each target x workload: ${s.warmupSeconds} s warm-up, then ${s.durationSeconds} s measured, ` +
      `${s.rounds} round(s), interleaved. Gateway default CACHE_TTL_MS=${s.gatewayTtlMs}. Every process runs ${s.runtime === 'compiled' ? 'compiled JavaScript' : 'TypeScript through tsx'} with NODE_ENV=production.`,
  );
  if (report.skippedSlots > 0)
    lines.push('', `**${report.skippedSlots} measurement(s) skipped: the time budget ran out.**`);
  lines.push('');
  const label = (name: TargetName) => report.targets.find((t) => t.name === name)?.label ?? name;
  for (const workload of report.workloads) {
    lines.push(`## ${workload.id}: ${workload.title} (${workload.connections} connections)`, '');
    lines.push(
      '| target | req/s | x REST | p50 ms | p99 ms | errors | stale | calls/op cold | calls/op warm | calls/op under load | upstream calls/s | CPU ms/op | CPU vs REST | peak RSS MB |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const summary of report.summaries.filter((candidate) => candidate.workload === workload.id)) {
      const measured = summary.rounds > 0;
      lines.push(
        `| ${label(summary.target)} | ${measured ? fixed(summary.requestsPerSecond, 0) : 'failed'} | ${fixed(summary.vsRest?.requestsPerSecond, 2)} | ` +
          `${measured ? fixed(summary.latencyP50Ms, 0) : '–'} | ${measured ? fixed(summary.latencyP99Ms, 0) : '–'} | ${measured ? summary.errors : '–'} | ${measured ? summary.stale : '–'} | ` +
          `${fixed(summary.callsPerOpCold, 2)} | ${fixed(summary.callsPerOpWarm, 2)} | ${measured ? fixed(summary.callsPerOpUnderLoad, 3) : '–'} | ` +
          `${measured ? fixed(summary.upstreamPerSecond, 0) : '–'} | ${measured ? fixed(summary.cpuMsPerOp, 2) : '–'} | ` +
          `${summary.vsRest ? `${summary.vsRest.cpuMsPerOpDelta >= 0 ? '+' : ''}${summary.vsRest.cpuMsPerOpDelta.toFixed(2)}` : '–'} | ${measured ? fixed(summary.peakRssMb, 0) : '–'} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Against the targets of the performance issue', '');
  lines.push('| target | measured | met |', '| --- | --- | :---: |');
  for (const goal of report.goals)
    lines.push(`| ${goal.goal} | ${goal.measured} | ${goal.met === null ? '–' : goal.met ? 'yes' : '**no**'} |`);
  lines.push('');
  lines.push(
    'Peak RSS through the whole run (MB): ' +
      Object.entries(report.peakRssMb)
        .map(([name, mb]) => `${name} ${mb.toFixed(0)}`)
        .join(', ') +
      '.',
  );
  const failures = report.summaries.flatMap((summary) =>
    summary.failures.map((failure) => `${summary.target} ${summary.workload}: ${failure}`),
  );
  if (failures.length > 0) {
    lines.push('', '## Failures', '');
    for (const failure of failures) lines.push(`- ${failure}`);
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}
