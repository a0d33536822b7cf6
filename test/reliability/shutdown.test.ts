// Graceful shutdown: in-process for the mechanics (streams end with `complete`, in-flight requests
// finish, the grace period is enforced), and with the real CLI for the wiring (SIGTERM / SIGINT
// during in-flight operations, exit code 0).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttpServer, GracefulShutdown } from '../../src/lifecycle/graceful-shutdown.js';
import { eventually, sleep } from './support.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Reads an SSE (or any streamed) response as it arrives. */
function openStream(
  port: number,
  body: string,
): Promise<{ response: IncomingMessage; text: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        const ended = new Promise<void>((done, fail) => {
          response.on('end', done);
          response.on('error', fail);
        });
        resolve({ response, text: () => text, ended });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('in process', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
  });

  async function serveTestGateway(shutdown: GracefulShutdown) {
    const cleanedUp: string[] = [];
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { slow(ms: Int!): String } type Subscription { ticks: Int }',
        resolvers: {
          Query: {
            slow: async (_root: unknown, args: { ms: number }) => {
              await sleep(args.ms);
              return `slept ${args.ms}`;
            },
          },
          Subscription: {
            ticks: {
              subscribe: async function* () {
                try {
                  for (let tick = 1; ; tick += 1) {
                    yield { ticks: tick };
                    await sleep(50);
                  }
                } finally {
                  cleanedUp.push('ticks');
                }
              },
            },
          },
        },
      }),
      plugins: [shutdown.plugin()],
    });
    server = createServer(yoga);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { port: (server.address() as AddressInfo).port, cleanedUp, server };
  }

  it('ends open subscription streams with complete and lets in-flight operations finish', async () => {
    const shutdown = new GracefulShutdown();
    const { port, cleanedUp, server: httpServer } = await serveTestGateway(shutdown);
    const stream = await openStream(port, JSON.stringify({ query: 'subscription { ticks }' }));
    expect(await eventually(() => stream.text().includes('"ticks":2'))).toBe(true);
    const slow = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow(ms: 600) }' }),
    });
    await sleep(100);

    shutdown.begin();
    const closing = closeHttpServer(httpServer, 5_000);
    await stream.ended;
    expect(stream.text()).toMatch(/event: complete\ndata:\n\n$/);
    expect(await eventually(() => cleanedUp.includes('ticks'))).toBe(true);

    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toEqual({ data: { slow: 'slept 600' } });
    const { drained } = await closing;
    expect(drained).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/graphql?query={__typename}`)).rejects.toThrow();
  });

  it('cuts what is still running when the grace period ends', async () => {
    const shutdown = new GracefulShutdown();
    const { port, server: httpServer } = await serveTestGateway(shutdown);
    const tooSlow = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow(ms: 5000) }' }),
    }).then(
      () => 'answered',
      () => 'cut',
    );
    await sleep(100);
    shutdown.begin();
    const started = performance.now();
    const { drained } = await closeHttpServer(httpServer, 300);
    expect(drained).toBe(false);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await tooSlow).toBe('cut');
  });
});

interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  athenaUrl: string;
  lines: () => Record<string, any>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startCli(env: Record<string, string>): Promise<CliProcess> {
  const { ATHENA_ENDPOINT: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: REPO_ROOT,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_NO_WARNINGS: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const lines = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, any>);
  const started = await eventually(() => lines().some((line) => typeof line.port === 'number'), 20_000, 50);
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`the CLI did not start:\n${stdout}\n${stderr}`);
  }
  const port = lines().find((line) => typeof line.port === 'number')!.port as number;
  const athenaUrl = lines().find((line) => typeof line.athena === 'string')!.athena as string;
  return { child, port, athenaUrl, lines, exit };
}

async function localCalls(athenaUrl: string, operation: string): Promise<number> {
  const body = (await (await fetch(`${athenaUrl}/_local/calls`)).json()) as { counts: Record<string, number> };
  return body.counts[operation] ?? 0;
}

describe('the CLI', () => {
  let cli: CliProcess | undefined;
  afterEach(() => {
    if (cli !== undefined && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    cli = undefined;
  });

  it('on SIGTERM finishes the operations in flight, ends their streams, and exits 0', async () => {
    cli = await startCli({ SHUTDOWN_GRACE_MS: '10000', READY_PROBE_INTERVAL_MS: '0' });
    const gateway = `http://127.0.0.1:${cli.port}/graphql`;
    const list = (await (
      await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ sessions(workGroup: "analytics", first: 1) { edges { node { sessionId } } } }',
        }),
      })
    ).json()) as { data: { sessions: { edges: { node: { sessionId: string } }[] } } };
    const sessionId = list.data.sessions.edges[0]!.node.sessionId;
    expect((await fetch(`http://127.0.0.1:${cli.port}/ready`)).status).toBe(200);

    await fetch(`${cli.athenaUrl}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'GetSessionStatus', latencyMs: 1_500 }),
    });
    const query = JSON.stringify({
      query: `query InFlight { session(sessionId: "${sessionId}") { sessionId status { state } } }`,
    });
    const inFlight = [1, 2, 3].map((i) =>
      fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `in-flight-${i}` },
        body: query,
      }),
    );
    // The same query over SSE: its stream opens when the answer is ready, during the shutdown.
    const stream = openStream(cli.port, query);
    // The four identical reads in flight share one upstream call (the caching port).
    expect(await eventually(async () => (await localCalls(cli!.athenaUrl, 'GetSessionStatus')) === 1)).toBe(true);

    cli.child.kill('SIGTERM');
    // New connections are refused at once...
    expect(
      await eventually(
        async () =>
          fetch(`http://127.0.0.1:${cli!.port}/health`).then(
            () => false,
            () => true,
          ),
        3_000,
      ),
    ).toBe(true);
    // ...while the operations already running get their answers.
    for (const response of await Promise.all(inFlight)) {
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        data: { session: { sessionId, status: { state: expect.any(String) } } },
      });
    }
    const sse = await stream;
    await sse.ended;
    expect(sse.text()).toContain(`"sessionId":"${sessionId}"`);
    expect(sse.text()).toMatch(/event: complete\ndata:\n\n$/);

    const { code } = await cli.exit;
    expect(code).toBe(0);
    const lines = cli.lines();
    expect(lines.some((line) => line.msg?.startsWith('shutting down') && line.signal === 'SIGTERM')).toBe(true);
    expect(lines.find((line) => line.msg === 'stopped')).toMatchObject({ drained: true });
    expect(
      lines.filter(
        (line) => line.msg === 'graphql operation' && line.operationName === 'InFlight' && line.outcome === 'ok',
      ),
    ).toHaveLength(4);
  });

  it('on SIGINT past the grace period cuts what is left and still exits 0, promptly', async () => {
    cli = await startCli({ SHUTDOWN_GRACE_MS: '300', READY_PROBE_INTERVAL_MS: '0' });
    await fetch(`${cli.athenaUrl}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'GetSessionStatus', latencyMs: 20_000 }),
    });
    const stuck = fetch(`http://127.0.0.1:${cli.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ session(sessionId: "stuck") { sessionId } }' }),
    }).then(
      () => 'answered',
      () => 'cut',
    );
    expect(await eventually(async () => (await localCalls(cli!.athenaUrl, 'GetSessionStatus')) === 1)).toBe(true);
    const signalledAt = performance.now();
    cli.child.kill('SIGINT');
    const { code } = await cli.exit;
    expect(code).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(5_000);
    expect(await stuck).toBe('cut');
    expect(cli.lines().find((line) => line.msg?.startsWith('stopped'))).toMatchObject({ drained: false });
  });
});
