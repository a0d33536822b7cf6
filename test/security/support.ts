// Shared by the security suites: a production-like gateway (auth on, introspection and GraphiQL
// off), signed tokens, a raw request helper, and the checks every hostile answer must pass.
import { createHmac } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { GatewayConfig } from '../../src/config.js';
import { type Stack, type StackOptions, startStack } from '../helpers.js';

export const SECRET = 'security-suite-secret-0123456789-abcdefghij';
export const ISSUER = 'https://issuer.test/';
export const AUDIENCE = 'athena-sessions-gateway';
export const ALLOWED_ORIGIN = 'https://app.example.com';

/** What ATHENA_ENDPOINT=aws with AUTH_JWT_SECRET, issuer and audience gives, pointed at the local service. */
export const PRODUCTION_CONFIG: Partial<Omit<GatewayConfig, 'athena'>> = {
  auth: { jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE, disabled: false },
  introspection: false,
  graphiql: false,
  inlineTrace: false,
  corsOrigins: [ALLOWED_ORIGIN],
};

export function startProductionStack(options: StackOptions = {}): Promise<Stack> {
  return startStack({ ...options, config: { ...PRODUCTION_CONFIG, ...options.config } });
}

export const READ = 'sessions:read';
export const WRITE = 'sessions:write';

export interface TokenOptions {
  scope?: string | unknown;
  workgroups?: string[] | unknown;
  sub?: string;
  /** Seconds from now; negative for the past. */
  expiresIn?: number | null;
  issuer?: string | null;
  audience?: string | null;
  notBefore?: number;
  secret?: string;
  alg?: 'HS256' | 'HS384' | 'HS512';
  claims?: JWTPayload;
}

/** An HS256 token the production stack accepts, unless the options spoil it. */
export async function token(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { ...options.claims };
  if (options.scope !== undefined) claims.scope = options.scope as string;
  else claims.scope = `${READ} ${WRITE}`;
  claims.workgroups = options.workgroups === undefined ? ['*'] : (options.workgroups as string[]);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(options.sub ?? 'alice')
    .setIssuedAt(now);
  if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.issuer !== null) jwt.setIssuer(options.issuer ?? ISSUER);
  if (options.audience !== null) jwt.setAudience(options.audience ?? AUDIENCE);
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

export const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

/** A JWT with `alg: none` and no signature, the oldest trick there is. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** An HS256 token assembled by hand, for headers jose refuses to produce (such as an unknown `crit`). */
export function handSignedToken(header: Record<string, unknown>, claims: JWTPayload, secret = SECRET): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Claims the production stack accepts, for hand-made tokens. */
export function validClaims(): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'alice',
    scope: `${READ} ${WRITE}`,
    workgroups: ['*'],
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
  /** The first error's code, or undefined when there is none (or no JSON body). */
  code: string | undefined;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | ReadableStream<Uint8Array>;
}

export const GRAPHQL_ACCEPT = 'application/graphql-response+json, application/json';

export async function send(stack: Stack, request: RawRequest): Promise<RawResponse> {
  const init: RequestInit & { duplex?: 'half' } = {
    method: request.method ?? 'POST',
    headers: { accept: GRAPHQL_ACCEPT, ...request.headers },
  };
  if (request.body !== undefined) {
    init.body = request.body;
    if (typeof request.body !== 'string') init.duplex = 'half';
  }
  const response = await stack.yoga.fetch(`http://gateway.test${request.path ?? '/graphql'}`, init);
  const text = await response.text();
  let json: RawResponse['json'];
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, code: json?.errors?.[0]?.extensions?.code };
}

/** A JSON POST of one operation. */
export function post(
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): RawRequest {
  return { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) };
}

/** A GET with the operation in the query string. */
export function get(
  query: string,
  headers: Record<string, string> = {},
  extra: Record<string, string> = {},
): RawRequest {
  const params = new URLSearchParams({ query, ...extra });
  return { method: 'GET', path: `/graphql?${params}`, headers };
}

const LEAK =
  /\n\s+at |\bat [\w.<>]+ \(|\.[cm]?[jt]s:\d+|node_modules|Exception|amazonaws|x-amz|AWS|aws-sdk|\bstack\b/gi;

/**
 * Nothing a hostile request gets back may hint at the internals: no 500, no stack, no AWS
 * wording. `echo` is what the request itself sent: a syntax error may quote the caller's own text.
 */
export function expectNoLeak(response: RawResponse, echo = ''): void {
  // 503 is the one 5xx a caller may see: the JWKS endpoint is down (AUTH_UNAVAILABLE).
  if (response.code !== 'AUTH_UNAVAILABLE') expect(response.status).toBeLessThan(500);
  const leaks = [...response.text.matchAll(LEAK)]
    .map(([match]) => match)
    .filter((match) => !echo.toLowerCase().includes(match.toLowerCase()));
  expect(leaks).toEqual([]);
  expect(response.json?.errors?.every((error) => typeof error.extensions?.code === 'string') ?? true).toBe(true);
}

export const repeat = (count: number, render: (index: number) => string, separator = ' ') =>
  Array.from({ length: count }, (_, index) => render(index)).join(separator);

/** What a graphql-ws client got for one operation: the first error's code (or the socket's close code), data, and every message text. */
export interface WebSocketAnswer {
  code: string | null;
  data: unknown;
  /** Set when the socket was closed instead of the operation being answered. */
  closeCode: number | undefined;
  text: string;
}

/**
 * The graphql-ws Subscribe payload that stands for an HTTP request, or undefined when the
 * request is not one an operation over a socket can be (another method, content type or header,
 * or a body that is not a GraphQL-over-HTTP object: graphql-ws refuses such messages itself).
 */
export function asWebSocketOperation(
  request: RawRequest,
): { payload: Record<string, unknown>; authorization: string | undefined } | undefined {
  if (
    (request.method ?? 'POST') !== 'POST' ||
    (request.path ?? '/graphql') !== '/graphql' ||
    typeof request.body !== 'string'
  )
    return undefined;
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  if (
    headers['content-type'] !== 'application/json' ||
    Object.keys(headers).some((name) => name !== 'content-type' && name !== 'authorization')
  )
    return undefined;
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query, variables, operationName, extensions, ...rest } = body as Record<string, unknown>;
  const objectOrAbsent = (value: unknown) =>
    value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value));
  if (
    typeof query !== 'string' ||
    Object.keys(rest).length > 0 ||
    !objectOrAbsent(variables) ||
    !objectOrAbsent(extensions)
  )
    return undefined;
  if (operationName !== undefined && typeof operationName !== 'string') return undefined;
  return { payload: body as Record<string, unknown>, authorization: headers.authorization };
}

/** Sends one operation over a fresh graphql-ws socket (token in the connection params) and reports what came back. */
export function sendOverWebSocket(
  url: string,
  operation: { payload: Record<string, unknown>; authorization: string | undefined },
): Promise<WebSocketAnswer> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const messages: string[] = [];
    let answer: WebSocketAnswer | undefined;
    const finish = (value: WebSocketAnswer) => {
      answer ??= value;
      socket.close();
    };
    socket.on('open', () =>
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: operation.authorization === undefined ? {} : { authorization: operation.authorization },
        }),
      ),
    );
    socket.on('message', (raw) => {
      const text = raw.toString();
      messages.push(text);
      const message = JSON.parse(text) as { type: string; payload?: any };
      if (message.type === 'connection_ack')
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: operation.payload }));
      else if (message.type === 'next') {
        finish({
          code: message.payload.errors?.[0]?.extensions?.code ?? null,
          data: message.payload.data,
          closeCode: undefined,
          text: messages.join('\n'),
        });
      } else if (message.type === 'error')
        finish({
          code: message.payload[0]?.extensions?.code ?? null,
          data: undefined,
          closeCode: undefined,
          text: messages.join('\n'),
        });
      else if (message.type === 'complete')
        finish({ code: null, data: undefined, closeCode: undefined, text: messages.join('\n') });
    });
    socket.on('error', () => {});
    socket.on('close', (code) =>
      resolve(answer ?? { code: null, data: undefined, closeCode: code, text: messages.join('\n') }),
    );
  });
}
