// Exact upstream calls per operation: one request at a time, with nothing else running, counted
// by the local Athena service. The first cycle runs on a cold target; the following cycles repeat
// it at once (warm: within CACHE_TTL_MS for a gateway that caches).
import type { AthenaFixtures } from './athena-fixtures.js';
import {
  type CycleContext,
  type Fixtures,
  type RequestStyle,
  type StepEnvironment,
  type WorkloadId,
  workload,
} from './workloads.js';

export interface ProbeResult {
  /** Upstream calls per operation on the first, cold cycle, and by Athena operation. */
  cold: number;
  coldByOperation: Record<string, number>;
  /** Upstream calls per operation over the warm cycles. */
  warm: number;
  warmByOperation: Record<string, number>;
  /** Answers that were errors or stale. */
  problems: number;
  /** The first answer's bytes (the bare server serves them). */
  sample: string;
}

export async function probe(
  url: string,
  style: RequestStyle,
  workloadId: WorkloadId,
  fixtures: Fixtures,
  athena: AthenaFixtures,
  cycles = 4,
): Promise<ProbeResult> {
  const steps = workload(workloadId).steps(style);
  const pool = [...fixtures.terminatePool];
  // The same operation every cycle: W3 reads one session, not the next one in turn.
  const environment: StepEnvironment = { fixtures, next: () => 0, claim: () => pool.shift() };
  let problems = 0;
  let sample: string | undefined;

  await athena.resetCalls();
  let cold: Record<string, number> = {};
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    const context: CycleContext = {};
    for (const step of steps) {
      const request = step.request(context, environment);
      const response = await fetch(new URL(request.path, url), {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
      const body = await response.text();
      sample ??= body;
      if (!response.ok || step.check?.(body, context) !== undefined) problems += 1;
    }
    if (cycle === 0) cold = await athena.calls();
  }
  const all = await athena.calls();
  const warmByCycle = Object.fromEntries(
    Object.entries(all)
      .map(([operation, count]) => [operation, (count - (cold[operation] ?? 0)) / (cycles - 1)] as const)
      .filter(([, count]) => count > 0),
  );
  const perOperation = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).map(([operation, count]) => [operation, count / steps.length]));
  return {
    cold: total(cold) / steps.length,
    coldByOperation: perOperation(cold),
    warm: total(warmByCycle) / steps.length,
    warmByOperation: perOperation(warmByCycle),
    problems,
    sample: sample ?? '',
  };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);
