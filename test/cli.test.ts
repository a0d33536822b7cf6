// The CLI as users run it: bad configuration stops it at once with a message naming the variable.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('cli serve', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'us-east-1' }, 'AUTH_JWT_SECRET'],
    [{ ATHENA_ENDPOINT: 'https://athena.us-east-1.amazonaws.com' }, 'AUTH_JWT_SECRET'],
    [{ CORS_ORIGINS: 'https://a.com/path' }, 'CORS_ORIGINS'],
    [{ CACHE_TTL_MS: 'forever' }, 'CACHE_TTL_MS'],
  ])('%j exits 1 naming %s, without a stack trace', async (env, variable) => {
    const { code, stderr } = await runCli(['serve'], env);
    expect(code).toBe(1);
    expect(stderr).toContain(variable);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown command exits 1 with the list of commands', async () => {
    const { code, stderr } = await runCli(['frobnicate'], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/serve, print-schema or local-athena/);
  });
});
