// The loader hooks behind bench/module-log.ts; they run in the loader's own thread.
import { appendFileSync } from 'node:fs';
import type { ResolveHook } from 'node:module';

const file = process.env.BENCH_MODULE_LOG;

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  if (file !== undefined) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
};
