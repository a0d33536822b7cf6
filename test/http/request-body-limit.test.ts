// The request body limit, checked from Content-Length when there is one and counted as the body
// streams when there is none (chunked), over real node:http.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRequestBodyLimit } from '../../src/http/request-body-limit.js';

const LIMIT = 200;
const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { echo(text: String!): String! }',
    resolvers: { Query: { echo: (_: unknown, args: { text: string }) => args.text } },
  }),
  maxRequestBodySize: false,
  plugins: [useRequestBodyLimit(LIMIT)],
  logging: false,
});
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const body = (text: string) =>
  JSON.stringify({ query: 'query ($text: String!) { echo(text: $text) }', variables: { text } });

/** POSTs the body in chunks; without a Content-Length node:http sends it chunked. */
function post(chunks: string[], withLength: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const total = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(withLength ? { 'content-length': total } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('useRequestBodyLimit', () => {
  it('answers bodies within the limit, with or without a Content-Length', async () => {
    for (const withLength of [true, false]) {
      const answer = await post([body('hello')], withLength);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ data: { echo: 'hello' } });
    }
  });

  it('refuses a Content-Length over the limit with 413', async () => {
    const answer = await post([body('x'.repeat(LIMIT))], true);
    expect(answer.status).toBe(413);
    expect(answer.text).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a chunked body that grows over the limit with 413', async () => {
    const text = body('y'.repeat(LIMIT));
    const answer = await post([text.slice(0, 100), text.slice(100)], false);
    expect(answer.status).toBe(413);
    expect(answer.text).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a Content-Length that is not one non-negative integer with 400', async () => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '12, 12' },
      body: body('hi'),
    });
    expect(response.status).toBe(400);
  });
});
