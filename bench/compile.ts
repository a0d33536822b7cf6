// Compiles the sources and the benchmark's own targets to dist/bench-build, so that every process
// of a run executes plain JavaScript, as `npm run start:prod` does.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export function compileForBench(): void {
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.json'], {
    stdio: 'inherit',
  });
}
