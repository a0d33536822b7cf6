// Slow clients: a request trickled a byte at a time, or headers that never end, must not hold a
// socket for Node's default 300 s. Over a real socket, since the timeouts are the HTTP server's.
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server-timeouts.js';
import { type Stack, startStack } from '../helpers.js';

const TIMEOUTS = { headersTimeoutMs: 400, requestTimeoutMs: 800, idleTimeoutMs: 400 };
let stack: Stack;
let server: Server;
let port: number;

beforeAll(async () => {
  stack = await startStack();
  server = createHttpServer(stack.yoga, TIMEOUTS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

/** Writes `head`, then `trickle` one byte at a time every 100 ms; resolves with what the server answered when it closed the socket. */
function trickle(
  head: string,
  trickled: string,
  giveUpMs: number,
): Promise<{ closedBy: 'server' | 'test'; answer: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let done = false;
    const finish = (closedBy: 'server' | 'test') => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedBy, answer });
    };
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => finish('server'));
    socket.on('error', () => finish('server'));
    socket.write(head);
    const timer = setInterval(() => {
      if (sent < trickled.length && !socket.destroyed) socket.write(trickled[sent++]!);
    }, 100);
    const giveUp = setTimeout(() => finish('test'), giveUpMs);
  });
}

describe('HTTP server timeouts', () => {
  it('a body trickled a byte at a time is cut off at the request timeout with 408', async () => {
    const body = JSON.stringify({ query: '{ __typename }' }).padEnd(200, ' ');
    const head = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // 200 bytes at 10 per second would take 20 s; Node's default would wait 300 s.
    const { closedBy, answer } = await trickle(head, body, 15_000);
    expect(closedBy).toBe('server');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('headers that never end are cut off at the headers timeout', async () => {
    const { closedBy, answer } = await trickle(
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      `X-Slow: ${'a'.repeat(150)}`,
      15_000,
    );
    expect(closedBy).toBe('server');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('an idle keep-alive connection is closed after the idle timeout; a request in time is answered', async () => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await sleep(100);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    // Nothing more is sent: the server closes the connection by itself.
    await closed;
  });
});
