// The vitest config of a mutation run (scripts/mutation.mjs): the project's config, running only the
// test files named in MUTATION_TEST_FILES. The files are chosen here rather than with Stryker's
// `testFiles` option because, with that option, StrykerJS (9.6 to 10.1) activates a static mutant
// (a module-level value, evaluated once at import) only after the module was imported, so the tests
// never see it and it is reported as survived (stryker-js issues #6144, #6209). Without it, Stryker
// activates static mutants before the test files load.
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

const testFiles = process.env.MUTATION_TEST_FILES?.split(',').filter((file) => file !== '') ?? [];
if (testFiles.length === 0) throw new Error('MUTATION_TEST_FILES must name the test files of the mutation run');

// Replaced, not merged: vitest's mergeConfig would append these to the project's own include.
export default defineConfig({ ...base, test: { ...base.test, include: testFiles } });
