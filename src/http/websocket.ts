// GraphQL over WebSocket (the `graphql-transport-ws` protocol of graphql-ws), on the HTTP server's
// port and the GraphQL path, for clients such as Apollo Client's GraphQLWsLink and urql.
//
// One execution path for both transports: each operation a socket sends is handed to yoga as an
// HTTP request of its own (POST, `Accept: text/event-stream`) through `yoga.fetch`, and the events
// yoga answers are relayed as graphql-ws messages. So every rule of the HTTP path applies to it
// unchanged, including those that hook into HTTP request phases graphql-ws never runs: per-request
// authentication, body limit, introspection switch and hidden suggestions, operation limits,
// error codes and masking, deadlines, the operation log line, metrics and request id, subscription
// caps and token expiry. graphql-ws itself only parses messages and carries results.
//
// What only a socket has is checked here: the Origin of the upgrade (browsers apply no CORS to
// WebSockets), the token in the handshake (no anonymous socket is acknowledged when auth is on,
// and the socket closes when the token expires), the message size, and how many operations one
// socket may keep running.
import type { IncomingMessage, Server } from 'node:http';
import {
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  parse,
} from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ERROR_CODES } from '../errors.js';
import { type Gateway, viewerForOf } from '../gateway.js';
import { getSchema } from '../schema/index.js';
import { MAX_REQUEST_BODY_BYTES, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../security/limits.js';

export interface WebSocketOptions {
  /**
   * Browser origins that may open a socket (CORS_ORIGINS; `*` for any). Browsers do not apply
   * CORS to WebSockets, so without this check any web page could drive the API from the visitor's
   * network position. The gateway's own pages do not need a socket (GraphiQL uses SSE), and the
   * Host header is not trusted to say what "same origin" is: a DNS-rebinding page controls the
   * name it sends. Clients that send no Origin (servers, CLIs) are not browsers and are let in;
   * auth applies to them as to everyone.
   */
  allowedOrigins?: readonly string[] | undefined;
  /** Largest message a client may send; bigger ones close the socket (1009). Default: the HTTP body limit. */
  maxPayloadBytes?: number | undefined;
  /** WebSocket ping interval that keeps proxies from closing quiet sockets. Default 12 s. */
  keepAliveMs?: number | undefined;
}

export interface AttachedWebSocketServer {
  /** Closes every socket (1001 Going away) and detaches from the HTTP server. */
  dispose(): Promise<void>;
}

/** Close codes of this gateway's sockets beyond graphql-ws's own. */
export const WEBSOCKET_CLOSE = {
  /** graphql-ws's Unauthorized: no valid token in the handshake, or the token expired. */
  unauthorized: CloseCode.Unauthorized,
  /** More operations in flight on one socket than MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  tooManySubscriptions: 4429,
  /** The token could not be checked (JWKS unreachable): not the caller's fault, try again. */
  tryAgainLater: 1013,
} as const;

type ConnectionParams = Record<string, unknown> | undefined;
/** What graphql-ws gives each hook about a socket (`useServer`'s extra has no fields of ours). */
type SocketContext = Context<ConnectionParams, Extra & Partial<Record<PropertyKey, never>>>;

interface SocketState {
  /** Per operation id: what cancels that operation. */
  readonly operations: Map<string, AbortController>;
  /** Closes the socket when its token expires. */
  expiry?: ReturnType<typeof setTimeout> | undefined;
}

/** The context graphql-ws hands to `subscribe`: the HTTP request that stands for the operation. */
interface RelayedOperation {
  /** yoga.fetch's arguments (a Request of Node's own fetch is not read by yoga's body parser). */
  readonly url: URL;
  readonly init: RequestInit;
  readonly controller: AbortController;
}

/**
 * graphql-ws needs a document to tell subscriptions from queries; every operation is relayed as a
 * stream (a query's stream has one result), so one subscription document stands for all of them.
 * The client's own document is parsed and validated by yoga, once, on the HTTP path.
 */
const RELAY_DOCUMENT = parse('subscription Relayed { __typename }');

/** Upgrade headers that describe the socket or a body, not the caller; they do not belong on the operation's request. */
const NOT_FORWARDED = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'content-length',
  'content-type',
  'transfer-encoding',
  'accept',
]);

export function attachWebSocketServer(
  httpServer: Server,
  yoga: Gateway,
  options: WebSocketOptions = {},
): AttachedWebSocketServer {
  const anyOrigin = (options.allowedOrigins ?? []).includes('*');
  const allowedOrigins = new Set(
    (options.allowedOrigins ?? []).filter((origin) => origin !== '*').map(normalizeOrigin),
  );
  const viewerFor = viewerForOf(yoga);
  const webSocketServer = new WebSocketServer({
    server: httpServer,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes ?? MAX_REQUEST_BODY_BYTES,
    verifyClient: ({ origin }, accept) =>
      isAllowedOrigin(origin, anyOrigin, allowedOrigins) ? accept(true) : accept(false, 403, 'Origin not allowed'),
  });

  const sockets = new WeakMap<SocketContext, SocketState>();
  const stateOf = (ctx: SocketContext): SocketState => {
    let state = sockets.get(ctx);
    if (state === undefined) {
      state = { operations: new Map() };
      sockets.set(ctx, state);
    }
    return state;
  };
  const finish = (ctx: SocketContext, id: string) => {
    const running = sockets.get(ctx)?.operations;
    running?.get(id)?.abort();
    running?.delete(id);
  };

  const disposable = useServer<ConnectionParams>(
    {
      schema: getSchema(),
      onConnect: async (ctx) => {
        if (viewerFor === undefined) return true;
        const state = stateOf(ctx);
        try {
          const viewer = await viewerFor(
            new Request(requestUrl(ctx.extra.request), requestInit(ctx, 'connection', new AbortController().signal)),
          );
          if (viewer.expiresAt !== undefined) {
            const close = () => ctx.extra.socket.close(WEBSOCKET_CLOSE.unauthorized, 'Token expired');
            const remainingMs = viewer.expiresAt.getTime() - Date.now();
            // setTimeout holds at most 2^31-1 ms (~24 days); a token that outlives that is not closed by time.
            if (remainingMs <= 0) close();
            else if (remainingMs < 2 ** 31) state.expiry = setTimeout(close, remainingMs);
          }
          return true;
        } catch (error) {
          const unavailable = error instanceof GraphQLError && error.extensions.code === ERROR_CODES.AUTH_UNAVAILABLE;
          ctx.extra.socket.close(
            unavailable ? WEBSOCKET_CLOSE.tryAgainLater : WEBSOCKET_CLOSE.unauthorized,
            unavailable ? 'Authentication unavailable' : 'Unauthorized',
          );
          // graphql-ws would close again with 4403; ws ignores a second close of a closing socket.
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const running = stateOf(ctx).operations;
        if (running.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          ctx.extra.socket.close(WEBSOCKET_CLOSE.tooManySubscriptions, 'Too many subscriptions');
          return [tooManySubscriptions()];
        }
        const controller = new AbortController();
        running.set(id, controller);
        const body = JSON.stringify({
          query: payload.query,
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          extensions: payload.extensions ?? undefined,
        });
        const operation: RelayedOperation = {
          url: requestUrl(ctx.extra.request),
          init: requestInit(ctx, 'operation', controller.signal, body),
          controller,
        };
        return { schema: getSchema(), document: RELAY_DOCUMENT, contextValue: operation };
      },
      // The relayed results are already formatted (onNext below sends them unchanged), hence the cast.
      subscribe: (args) =>
        relay(yoga, args.contextValue as RelayedOperation) as unknown as AsyncGenerator<ExecutionResult>,
      onComplete: (ctx, id) => finish(ctx, id),
      onClose: (ctx) => {
        const state = sockets.get(ctx);
        if (state === undefined) return;
        clearTimeout(state.expiry);
        for (const controller of state.operations.values()) controller.abort();
        sockets.delete(ctx);
      },
      // Refusals before execution travel as graphql-ws `error` messages, as graphql-ws sends its own.
      onError: (ctx, id, _payload, errors) => {
        finish(ctx, id);
        const refused = errors[0]?.originalError;
        return refused instanceof OperationRefused ? refused.errors : errors.map((error) => error.toJSON());
      },
      // The results are yoga's, already formatted; they go out as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
    },
    webSocketServer,
    options.keepAliveMs,
  );

  return { dispose: async () => disposable.dispose() };
}

/** The errors yoga answered an operation with before running it (auth, parse, validation, limits). */
class OperationRefused extends Error {
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(errors[0]?.message ?? 'The operation was refused.');
  }
}

function tooManySubscriptions(): GraphQLError {
  return new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations may run at once on one connection.`, {
    extensions: { code: ERROR_CODES.TOO_MANY_SUBSCRIPTIONS },
  });
}

/**
 * Runs one operation through yoga's HTTP pipeline and yields its results. Hand-written rather
 * than an async generator: graphql-ws stops an operation with `return()`, which must cancel the
 * stream at once even while it waits for its next event (an async generator would queue the
 * `return` behind the pending `next`).
 */
function relay(yoga: Gateway, operation: RelayedOperation): AsyncIterableIterator<FormattedExecutionResult> {
  let reader: ReadableStreamDefaultReader<string> | undefined;
  let buffered = '';
  let first = true;
  let done = false;
  const end = async (): Promise<IteratorReturnResult<undefined>> => {
    done = true;
    operation.controller.abort();
    await reader?.cancel().catch(() => undefined);
    return { done: true, value: undefined };
  };
  /** The next SSE event, or undefined at the end of the stream. */
  const nextEvent = async (): Promise<{ event: string; data: string } | undefined> => {
    for (;;) {
      const boundary = buffered.indexOf('\n\n');
      if (boundary >= 0) {
        const block = buffered.slice(0, boundary);
        buffered = buffered.slice(boundary + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        // A block of comments only (yoga's keep-alive `:`) carries nothing.
        if (data.length === 0 && event === 'message') continue;
        return { event, data: data.join('\n') };
      }
      const chunk = await reader!.read();
      if (chunk.done) return undefined;
      buffered += chunk.value;
    }
  };

  return {
    async next(): Promise<IteratorResult<FormattedExecutionResult>> {
      if (done) return { done: true, value: undefined };
      if (reader === undefined) {
        const response = await yoga.fetch(operation.url, operation.init);
        if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || response.body === null) {
          // Refused before any stream (401, 403, 413...): yoga answered JSON errors.
          const body = (await response.json().catch(() => ({}))) as { errors?: GraphQLFormattedError[] };
          await end();
          throw new OperationRefused(
            body.errors ?? [{ message: 'Unexpected error.', extensions: { code: ERROR_CODES.INTERNAL_SERVER_ERROR } }],
          );
        }
        reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        if (done) await reader.cancel().catch(() => undefined);
      }
      for (;;) {
        const event = done ? undefined : await nextEvent();
        if (event === undefined || event.event === 'complete') return end();
        if (event.event !== 'next') continue;
        const result = JSON.parse(event.data) as FormattedExecutionResult;
        // Refused before execution (auth, parse, validation, limits): no data, and no error at a field.
        if (first && !('data' in result) && result.errors?.every((error) => error.path === undefined)) {
          await end();
          throw new OperationRefused(result.errors);
        }
        first = false;
        return { done: false, value: result };
      }
    },
    return: end,
    async throw(error?: unknown) {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Listed origins only (or any, with `*`), and clients that are not browsers. */
function isAllowedOrigin(origin: string | undefined, anyOrigin: boolean, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined || origin === '') return true;
  return anyOrigin || allowed.has(origin);
}

/** `https://App.example.com/` and `https://app.example.com` are one origin; an Origin header never has a path. */
function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/**
 * The request that stands for the socket's handshake or for one of its operations: the upgrade
 * request's headers, with the `Authorization` of the connection params (how browser clients pass a
 * token, since they cannot set headers on a WebSocket) taking precedence, and a signal that aborts
 * when the operation completes or the socket closes.
 */
function requestInit(
  ctx: SocketContext,
  kind: 'connection' | 'operation',
  signal: AbortSignal,
  body?: string,
): RequestInit {
  const upgrade = ctx.extra.request;
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const authorization = authorizationFrom(ctx.connectionParams);
  if (authorization !== undefined) headers.set('authorization', authorization);
  if (kind === 'connection') return { method: 'GET', headers, signal };
  headers.set('content-type', 'application/json');
  headers.set('accept', 'text/event-stream');
  return { method: 'POST', headers, body, signal };
}

/** `{ authorization }`, `{ Authorization }` or `{ headers: { authorization } }`: what client libraries' docs show. */
export function authorizationFrom(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (connectionParams === undefined || connectionParams === null) return undefined;
  const nested = connectionParams.headers;
  const candidates = [
    connectionParams.authorization,
    connectionParams.Authorization,
    typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>).authorization : undefined,
    typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>).Authorization : undefined,
  ];
  return candidates.find((value): value is string => typeof value === 'string' && value !== '');
}

function requestUrl(upgrade: IncomingMessage): URL {
  try {
    return new URL(upgrade.url ?? '/graphql', `http://${upgrade.headers.host ?? 'localhost'}`);
  } catch {
    // A Host header that is not a host: the URL only labels the request, so any valid one will do.
    return new URL('http://localhost/graphql');
  }
}
