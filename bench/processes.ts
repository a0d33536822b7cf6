// Child processes of the benchmark (the local Athena service and every target), and what Linux
// says about them: CPU time from /proc/<pid>/stat, peak RSS from /proc/<pid>/status.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Child {
  name: string;
  pid: number;
  /** The URL the process printed when it was ready. */
  url: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL if it is still there after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();

/** Every child still running; the orchestrator stops them all on the way out, whatever happens. */
export function runningChildren(): Child[] {
  return [...running];
}

export interface StartOptions {
  name: string;
  /** Arguments to node, script included. */
  args: string[];
  env: Record<string, string>;
  logFile: string;
  readyTimeoutMs?: number;
}

/**
 * Starts `node <args>` and waits for its first stdout line that is JSON with a `url` (our targets
 * and the local Athena service) or with a `port` and a ready message (the gateway's pino log).
 * Everything the process writes goes to `logFile`.
 */
export function startChild(options: StartOptions): Promise<Child> {
  const child = spawn(process.execPath, options.args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr!.pipe(log);
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${options.name} did not say it was ready within ${options.readyTimeoutMs ?? 30_000} ms (see ${options.logFile})`,
        ),
      );
    }, options.readyTimeoutMs ?? 30_000);
    let ready = false;
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready)
        reject(
          new Error(
            `${options.name} exited before it was ready (code ${code}, signal ${signal}; see ${options.logFile})`,
          ),
        );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      if (ready) return;
      const url = readyUrl(line);
      if (url === undefined) return;
      ready = true;
      clearTimeout(timer);
      const started: Child = {
        name: options.name,
        pid: child.pid!,
        url,
        process: child,
        stop: (graceMs = 3_000) => stopChild(started, graceMs),
      };
      running.add(started);
      child.once('exit', () => running.delete(started));
      resolve(started);
    });
  });
}

function readyUrl(line: string): string | undefined {
  let message: { url?: unknown; port?: unknown; msg?: unknown };
  try {
    message = JSON.parse(line) as typeof message;
  } catch {
    return undefined;
  }
  if (typeof message.url === 'string') return message.url;
  if (typeof message.port === 'number' && typeof message.msg === 'string' && message.msg.includes('ready'))
    return `http://127.0.0.1:${message.port}`;
  return undefined;
}

async function stopChild(child: Child, graceMs: number): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** User plus system CPU time the process has used, in seconds. */
export function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Peak resident set size (VmHWM) in bytes. */
export function peakRssBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Resets VmHWM to the current RSS (Linux >= 4.0), so a peak can be read per measurement. False when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
