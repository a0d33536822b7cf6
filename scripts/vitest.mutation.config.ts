// The vitest config of a mutation run (scripts/mutation.mjs): the project's config, running only the
// test files named in MUTATION_TEST_FILES, and counting a test file that fails to load as failed.
//
// The files are chosen here rather than with Stryker's `testFiles` option because, with that
// option, StrykerJS (9.6 to 10.1) activates a static mutant (a module-level value, evaluated once
// at import) only after the module was imported, so the tests never see it and it is reported as
// survived (stryker-js issues #6144, #6209). Without it, Stryker activates static mutants before
// the test files load.
import type { RunnerTestCase } from 'vitest';
import { defineConfig } from 'vitest/config';
import { type Reporter, experimental_getRunnerTask as runnerTaskOf } from 'vitest/node';
import base from '../vitest.config.js';

const testFiles = process.env.MUTATION_TEST_FILES?.split(',').filter((file) => file !== '') ?? [];
if (testFiles.length === 0) throw new Error('MUTATION_TEST_FILES must name the test files of the mutation run');

/**
 * A static mutant that makes a module throw while a test file loads (the module under test, or
 * the test file's own module-level setup, such as a table of cursors) leaves that file with no
 * test, and Stryker's vitest runner scores a run in which no test failed as survived, although
 * `npm test` would fail. This gives a file with errors of its own one failed test that carries
 * them, which Stryker reads as a kill. Stryker reads the files' tasks after the run, so adding
 * to them here is enough. (A vitest test task has fields only vitest fills; Stryker reads these.)
 */
const fileErrorsAsFailedTest: Reporter = {
  onTestRunEnd(testModules) {
    for (const file of testModules.map((module) => runnerTaskOf(module))) {
      const errors = file.result?.errors ?? [];
      if (errors.length === 0) continue;
      const failed: Pick<RunnerTestCase, 'type' | 'id' | 'name' | 'mode' | 'file' | 'suite' | 'result'> = {
        type: 'test',
        id: `${file.id}_load`,
        name: 'the test file loads and its hooks pass',
        mode: 'run',
        file,
        suite: file,
        result: { state: 'fail', errors },
      };
      file.tasks.push(failed as RunnerTestCase);
    }
  },
};

// Replaced, not merged: vitest's mergeConfig would append these to the project's own include.
export default defineConfig({
  ...base,
  test: { ...base.test, include: testFiles, reporters: ['default', fileErrorsAsFailedTest] },
});
