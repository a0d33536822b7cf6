// A bounded soak (about 13 s, see soak-child.ts) in a child process: no unhandled rejection, no
// unexpected answer, every answer within the deadline (plus slack for a busy machine), recovery
// afterwards, a process that exits by itself promptly once everything is closed (no leaked timer or
// socket), and a heap after GC that does not grow from the second fault cycle to the third.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Growth allowed from the second cycle to the third: noise is well under 1 MB; a leak of a few KB per operation is not. */
const MAX_HEAP_GROWTH_BYTES = 2 * 1024 * 1024;

it('survives 3 cycles of faults with no leak, then exits by itself', { timeout: 90_000 }, async () => {
  const { ATHENA_ENDPOINT: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/reliability/soak-child.ts'], {
    cwd: REPO_ROOT,
    env: { ...env, NODE_NO_WARNINGS: '1' },
  });
  let stdout = '';
  let stderr = '';
  let reportedAt: number | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (reportedAt === undefined && stdout.includes('\n')) reportedAt = performance.now();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const exitedAfterReportMs = performance.now() - (reportedAt ?? Number.NaN);

  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
  console.info(
    `reliability figures ${JSON.stringify({ soak: { ...report, exitedAfterReportMs: Math.round(exitedAfterReportMs) } })}`,
  );

  expect(report.problems).toEqual({ unhandledRejections: 0, uncaughtExceptions: 0 });
  expect(report.unexpected).toEqual([]);
  // Every fault phase ran and was felt, and the breaker did its job.
  for (const cycle of report.cycles) {
    expect(cycle.operations).toBeGreaterThan(20);
    expect(cycle.byCode.ok).toBeGreaterThan(0);
    expect(cycle.byCode.UPSTREAM_ERROR).toBeGreaterThan(0);
    expect(cycle.ms.max).toBeLessThan(report.deadlineMs + 1_500);
  }
  expect(Number(report.breakerOpened)).toBeGreaterThan(0);
  expect(report.recovered).toBe(true);
  expect(report.finalCheckOk).toBe(true);

  // Nothing keeps the process alive once the gateway, the client and the service are closed.
  expect(exitedAfterReportMs).toBeLessThan(3_000);
  expect(report.heapBytes.secondHalf - report.heapBytes.firstHalf).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
});
