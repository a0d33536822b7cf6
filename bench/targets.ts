// The five targets, each started in a process of its own against the same local Athena service.
import type { RequestStyle } from './workloads.js';

export type TargetName = 'gateway' | 'gateway-ttl0' | 'rest' | 'naive-graphql' | 'bare';
export const TARGET_NAMES: readonly TargetName[] = ['gateway', 'gateway-ttl0', 'rest', 'naive-graphql', 'bare'];

export interface TargetSpec {
  name: TargetName;
  label: string;
  style: RequestStyle;
  /** Whether its answers are checked (the bare server's fixed bytes are not answers). */
  verify: boolean;
  /** Whether it calls Athena at all (the bare server does not). */
  upstream: boolean;
  /** The TypeScript entry point and its arguments (see `nodeArguments` for how it is run). */
  entry: string;
  entryArgs: string[];
  env: (athenaUrl: string) => Record<string, string>;
}

/**
 * How every process of a run executes TypeScript: `compiled` (the default) runs the JavaScript
 * that `compileForBench` wrote, as `npm run start:prod` does; `tsx` runs the sources through tsx's
 * loader (no build, but ~36 MB more RSS per process and slower start-up).
 */
export type Runtime = 'compiled' | 'tsx';
export const COMPILED_DIRECTORY = 'dist/bench-build';

export function nodeArguments(runtime: Runtime, entry: string, entryArgs: readonly string[] = []): string[] {
  return runtime === 'tsx' ? ['--import', 'tsx', entry, ...entryArgs] : [compiledPath(entry), ...entryArgs];
}

export function compiledPath(entry: string): string {
  return `${COMPILED_DIRECTORY}/${entry.replace(/\.ts$/, '.js')}`;
}

/** Nothing of the caller's environment leaks in (a CACHE_TTL_MS in the shell would change the "default" gateway). */
const base = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  TMPDIR: process.env.TMPDIR ?? '/tmp',
  NODE_ENV: 'production',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  PORT: '0',
});

const gatewayEnv = (athenaUrl: string): Record<string, string> => ({
  ...base(),
  ATHENA_ENDPOINT: athenaUrl,
  HOST: '127.0.0.1',
  AUTH_DISABLED: 'true',
  CURSOR_SECRET: 'bench-cursor-secret-0123456789abcdef',
  LOG_LEVEL: 'info',
  // The readiness probe's own GetSessionStatus calls would land in the exact per-operation counts.
  READY_PROBE_INTERVAL_MS: '0',
  // As against AWS by default: a loopback ATHENA_ENDPOINT turns Apollo's inline trace on, whose
  // plugin wraps every field's resolver for every request, asked for ftv1 or not (~25 % more CPU
  // per operation, docs/performance.md); `npm run bench:cpu -- --variant ftv1=APOLLO_INLINE_TRACE=true`.
  APOLLO_INLINE_TRACE: 'false',
});

export const TARGETS: readonly TargetSpec[] = [
  {
    name: 'gateway',
    label: 'gateway (default)',
    style: 'graphql',
    verify: true,
    upstream: true,
    entry: 'src/cli.ts',
    entryArgs: ['serve'],
    env: gatewayEnv,
  },
  {
    name: 'gateway-ttl0',
    label: 'gateway CACHE_TTL_MS=0',
    style: 'graphql',
    verify: true,
    upstream: true,
    entry: 'src/cli.ts',
    entryArgs: ['serve'],
    env: (athenaUrl) => ({ ...gatewayEnv(athenaUrl), CACHE_TTL_MS: '0' }),
  },
  {
    name: 'rest',
    label: 'REST baseline',
    style: 'rest',
    verify: true,
    upstream: true,
    entry: 'bench/rest-baseline.ts',
    entryArgs: [],
    env: (athenaUrl) => ({ ...base(), ATHENA_ENDPOINT: athenaUrl }),
  },
  {
    name: 'naive-graphql',
    label: 'naive GraphQL',
    style: 'graphql',
    verify: true,
    upstream: true,
    entry: 'bench/naive-graphql.ts',
    entryArgs: [],
    env: (athenaUrl) => ({ ...base(), ATHENA_ENDPOINT: athenaUrl }),
  },
  {
    name: 'bare',
    label: 'bare node:http (ceiling)',
    style: 'graphql',
    verify: false,
    upstream: false,
    entry: 'bench/bare-server.ts',
    entryArgs: [],
    env: () => base(),
  },
];

export function target(name: string): TargetSpec {
  const found = TARGETS.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`unknown target ${name}: use ${TARGET_NAMES.join(', ')}`);
  return found;
}
