// Every start and terminate (and every refused attempt) is one structured pino line naming the
// caller; tokens never reach the log. The CLI says at start-up, loudly, when auth is off.
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers.js';
import { bearer, post, READ, send, startProductionStack, token, WRITE } from './support.js';

const lines: Record<string, any>[] = [];
/** Every line of the file's run, never cleared. */
const allLines: Record<string, any>[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') {
          lines.push(JSON.parse(line));
          allLines.push(JSON.parse(line));
        }
      callback();
    },
  }),
);
const auditLines = () => lines.filter((line) => line.audit !== undefined);

let stack: Stack;
let active: string[];
const issued: string[] = [];
const as = async (options: Parameters<typeof token>[0]) => {
  const jwt = await token(options);
  issued.push(jwt);
  return bearer(jwt);
};

beforeAll(async () => {
  stack = await startProductionStack({ gateway: { logger } });
  const response = await send(
    stack,
    post('{ sessions(workGroup: "primary", first: 10) { edges { node { sessionId } } } }', undefined, await as({})),
  );
  active = response.json!.data.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
});
afterAll(() => stack.close());
beforeEach(() => {
  lines.length = 0;
  stack.resetCalls();
});

const terminate = (sessionId: string) =>
  `mutation { terminateSession(input: { sessionId: "${sessionId}" }) { state } }`;

describe('audit lines', () => {
  it('terminate by an unrestricted caller: subject, session and outcome', async () => {
    const sessionId = active.pop()!;
    await send(stack, post(terminate(sessionId), undefined, await as({ sub: 'alice' })));
    expect(auditLines()).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'audit terminateSession ok',
        audit: { action: 'terminateSession', subject: 'alice', sessionId, outcome: 'ok' },
      }),
    ]);
  });

  it('terminate by a caller limited to the session’s work group also names the work group', async () => {
    const sessionId = active.pop()!;
    await send(stack, post(terminate(sessionId), undefined, await as({ sub: 'bob', workgroups: ['primary'] })));
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'terminateSession', subject: 'bob', sessionId, workGroup: 'primary', outcome: 'ok' },
    ]);
  });

  it('terminate of a session hidden from the caller is audited as not-found, and nothing is terminated', async () => {
    const sessionId = active.pop()!;
    await send(stack, post(terminate(sessionId), undefined, await as({ sub: 'mallory', workgroups: ['analytics'] })));
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'terminateSession', subject: 'mallory', sessionId, outcome: 'not-found' },
    ]);
    expect(stack.calls().TerminateSession).toBeUndefined();
  });

  it('a terminate or start refused for want of scope is audited as forbidden', async () => {
    await send(stack, post(terminate('some-id'), undefined, await as({ sub: 'reader', scope: READ })));
    await send(
      stack,
      post(
        'mutation { startSession(input: { workGroup: "sandbox" }) { session { sessionId } } }',
        undefined,
        await as({ sub: 'reader', scope: READ }),
      ),
    );
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'terminateSession', subject: 'reader', sessionId: 'some-id', outcome: 'forbidden' },
      { action: 'startSession', subject: 'reader', workGroup: 'sandbox', outcome: 'forbidden' },
    ]);
  });

  it('start: subject, work group, and the new session', async () => {
    const response = await send(
      stack,
      post(
        'mutation { startSession(input: { workGroup: "sandbox" }) { session { sessionId } } }',
        undefined,
        await as({ sub: 'carol', scope: WRITE }),
      ),
    );
    const sessionId = response.json?.data.startSession.session.sessionId;
    expect(sessionId).toEqual(expect.any(String));
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'startSession', subject: 'carol', sessionId, workGroup: 'sandbox', outcome: 'ok' },
    ]);
  });

  it('start in a work group hidden from the caller is audited as not-found', async () => {
    await send(
      stack,
      post(
        'mutation { startSession(input: { workGroup: "analytics" }) { session { sessionId } } }',
        undefined,
        await as({ sub: 'dave', workgroups: ['primary'] }),
      ),
    );
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'startSession', subject: 'dave', workGroup: 'analytics', outcome: 'not-found' },
    ]);
  });

  it('calculations: a start refused for want of scope, and a stop of a calculation that does not exist', async () => {
    const sessionId = active[0]!;
    await send(
      stack,
      post(
        `mutation { startCalculation(input: { sessionId: "${sessionId}", codeBlock: "1" }) { calculation { calculationId } } }`,
        undefined,
        await as({ sub: 'reader', scope: READ }),
      ),
    );
    const calculationId = '00000000-0000-4000-8000-000000000000';
    await send(
      stack,
      post(
        `mutation { stopCalculation(input: { calculationId: "${calculationId}" }) { state } }`,
        undefined,
        await as({ sub: 'writer', scope: WRITE }),
      ),
    );
    expect(auditLines().map((line) => line.audit)).toEqual([
      { action: 'startCalculation', subject: 'reader', sessionId, outcome: 'forbidden' },
      { action: 'stopCalculation', subject: 'writer', calculationId, outcome: 'not-found' },
    ]);
  });

  it('no bearer token ever appears in the log', () => {
    expect(issued.length).toBeGreaterThan(5);
    expect(allLines.length).toBeGreaterThan(5);
    const everything = JSON.stringify(allLines);
    for (const jwt of issued) expect(everything).not.toContain(jwt.split('.')[2]);
  });
});

describe('the CLI at start-up', () => {
  /** Starts `serve` on an ephemeral port and returns its log lines up to "gateway ready". */
  const startUpLines = (env: Record<string, string>) =>
    new Promise<Record<string, any>[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOCAL_ATHENA_SEED: 'none', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const seen: Record<string, any>[] = [];
      let buffered = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no "gateway ready" line; saw ${JSON.stringify(seen)}`));
      }, 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const complete = buffered.split('\n');
        buffered = complete.pop() ?? '';
        for (const line of complete) {
          if (!line.startsWith('{')) continue;
          const parsed = JSON.parse(line) as Record<string, any>;
          seen.push(parsed);
          if (String(parsed.msg).startsWith('gateway ready')) {
            clearTimeout(timer);
            child.kill('SIGTERM');
            resolve(seen);
          }
        }
      });
      child.on('error', reject);
    });

  it('warns, before it is ready, that auth is off in local mode', async () => {
    const lines = await startUpLines({});
    const warning = lines.findIndex((line) => line.auth === 'off');
    expect(lines[warning]).toMatchObject({
      level: 40,
      msg: expect.stringMatching(/^AUTH IS OFF: every caller has full access/),
      introspection: true,
      graphiql: true,
    });
    expect(warning).toBeLessThan(lines.findIndex((line) => String(line.msg).startsWith('gateway ready')));
  }, 60_000);
});
