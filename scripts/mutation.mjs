// Mutation testing (StrykerJS, vitest runner) of the modules whose bugs would be silent: a cache
// that serves stale data, a cursor that resumes in the wrong place, a breaker or a queue that lets
// too much through, a cost bound that undercounts. Each module is mutated on its own and checked
// by its own test files only, so one run fits in minutes on a small shared machine.
//
//   npm run test:mutation -- <module> [<module> ...] [--concurrency N] [--test-files a.test.ts,b.test.ts]
//   npm run test:mutation -- all
// --test-files replaces the module's test files (a quicker lower bound: fewer tests kill fewer mutants).
// The test files are chosen by scripts/vitest.mutation.config.ts, not by Stryker's `testFiles`
// option, with which static mutants (module-level values) were always reported as survived.
//
// Reports: reports/mutation/<module>.html and .json (git-ignored). Not part of `npm test`.
import { Stryker } from '@stryker-mutator/core';

/** The caching port's tests, which also watch the cache policy it reads. */
const CACHING_PORT_TESTS = [
  'test/athena/caching-port.test.ts',
  'test/athena/caching-port-work-groups.test.ts',
  'test/athena/calculation-caching.test.ts',
  'test/athena/caching-port-calculations.test.ts',
];

/** Module name -> the file mutated and the test files that must kill its mutants. */
export const MODULES = {
  'caching-port': {
    mutate: 'src/athena/caching-port.ts',
    testFiles: CACHING_PORT_TESTS,
  },
  // What each read is filed under and what each write makes stale: seen through both ports.
  'cache-policy': {
    mutate: 'src/athena/cache-policy.ts',
    testFiles: ['test/athena/cache-policy.test.ts', ...CACHING_PORT_TESTS, 'test/fleet/fleet-port.test.ts'],
  },
  cursors: {
    mutate: 'src/schema/cursors.ts',
    testFiles: ['test/schema/cursors.test.ts'],
  },
  'circuit-breaker': {
    mutate: 'src/athena/circuit-breaker.ts',
    testFiles: ['test/athena/circuit-breaker.test.ts', 'test/athena/resilient-port.test.ts'],
  },
  'resilient-port': {
    mutate: 'src/athena/resilient-port.ts',
    testFiles: ['test/athena/resilient-port.test.ts'],
  },
  'operation-cost': {
    mutate: 'src/security/operation-cost.ts',
    testFiles: [
      'test/security/operation-cost.test.ts',
      'test/security/operation-cost-edges.test.ts',
      'test/security/operation-limits.test.ts',
    ],
  },
};

function parseArguments(argv) {
  const names = [];
  // Two workers at most: the machine is shared, and each worker runs a vitest of its own.
  let concurrency = 2;
  let testFiles;
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === '--test-files') testFiles = argv[++i].split(',');
    else if (argument === '--concurrency') concurrency = Number(argv[++i]);
    else if (argument.startsWith('--concurrency=')) concurrency = Number(argument.slice('--concurrency='.length));
    else names.push(argument);
  }
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency must be a positive integer');
  const selected = names.length === 0 || names.includes('all') ? Object.keys(MODULES) : names;
  for (const name of selected) {
    if (!(name in MODULES))
      throw new Error(`unknown module "${name}"; one of: ${Object.keys(MODULES).join(', ')}, all`);
  }
  return { selected, concurrency, testFiles };
}

/** Stryker's mutation score: detected mutants over valid ones (compile errors and ignored ones do not count). */
function scoreOf(results) {
  const count = (...statuses) => results.filter((result) => statuses.includes(result.status)).length;
  const detected = count('Killed', 'Timeout');
  const undetected = count('Survived', 'NoCoverage');
  return {
    detected,
    undetected,
    score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
  };
}

async function run(name, concurrency, testFilesOverride) {
  const { mutate } = MODULES[name];
  const testFiles = testFilesOverride ?? MODULES[name].testFiles;
  // Read by scripts/vitest.mutation.config.ts in Stryker's workers, which inherit this environment.
  process.env.MUTATION_TEST_FILES = testFiles.join(',');
  const stryker = new Stryker({
    testRunner: 'vitest',
    // The project's vitest config (its graphql alias matters), narrowed to the module's test files.
    vitest: { configFile: 'scripts/vitest.mutation.config.ts', related: false },
    mutate: [mutate],
    coverageAnalysis: 'perTest',
    concurrency,
    // A mutant that runs longer than its tests' dry-run time x 1.5 plus this is scored a timeout
    // (detected). Stryker's 5 s let equivalent operation-cost mutants, whose tests start a gateway,
    // pass for detected on a busy 2-core machine; a mutant that hangs still fails it.
    timeoutMS: 15_000,
    // One sandbox directory per module, so that runs of different modules may overlap.
    tempDirName: `reports/.stryker-tmp-${name}`,
    // The sandbox is a copy of the project: never copy reports (other runs' sandboxes among them).
    ignorePatterns: ['/reports'],
    cleanTempDir: 'always',
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  });
  const results = await stryker.runMutationTest();
  return { name, mutate, ...scoreOf(results) };
}

const { selected, concurrency, testFiles } = parseArguments(process.argv.slice(2));
const summary = [];
for (const name of selected) summary.push(await run(name, concurrency, testFiles));
console.log('\nmutation score (killed + timeout) / (killed + timeout + survived + no coverage):');
for (const { mutate, detected, undetected, score } of summary) {
  console.log(
    `  ${mutate.padEnd(34)} ${score.toFixed(2).padStart(6)}%  (${detected} detected, ${undetected} undetected)`,
  );
}
