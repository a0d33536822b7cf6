// GraphQL over WebSocket (the `graphql-transport-ws` protocol of graphql-ws), on the HTTP server's
// port and the GraphQL path, for clients such as Apollo Client's GraphQLWsLink and urql. It follows
// graphql-yoga's recipe: every operation goes through yoga's `getEnveloped`, so the schema, the
// plugins (limits, auth, masking) and the context factory are exactly those of HTTP requests.
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { maskError, type Gateway } from '../gateway.js';
import { ERROR_CODES } from '../errors.js';

export interface WebSocketOptions {
  /**
   * Browser origins, besides the gateway's own, that may open a socket (CORS_ORIGINS). Browsers
   * do not apply CORS to WebSockets, so without this check any web page could drive the API with
   * the visitor's network position. Clients that send no Origin (servers, CLIs) are not browsers
   * and are let in; auth applies to them as to everyone.
   */
  allowedOrigins?: readonly string[] | undefined;
  /** Largest message a client may send; bigger ones close the socket (1009). Default 1 MiB. */
  maxPayloadBytes?: number | undefined;
  /** WebSocket ping interval that keeps proxies from closing quiet sockets. Default 12 s. */
  keepAliveMs?: number | undefined;
}

export interface AttachedWebSocketServer {
  /** Closes every socket (1001 Going away) and detaches from the HTTP server. */
  dispose(): Promise<void>;
}

type ConnectionParams = Record<string, unknown> | undefined;
/** What graphql-ws gives each hook about a socket (`useServer`'s extra has no fields of ours). */
type SocketContext = Context<ConnectionParams, Extra & Partial<Record<PropertyKey, never>>>;
type Enveloped = ReturnType<Gateway['getEnveloped']>;

/** Upgrade headers that describe the socket, not the caller; they do not belong on the operation's request. */
const CONNECTION_HEADERS = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);

export function attachWebSocketServer(httpServer: Server, yoga: Gateway, options: WebSocketOptions = {}): AttachedWebSocketServer {
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const webSocketServer = new WebSocketServer({
    server: httpServer,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
    verifyClient: ({ origin, req }, accept) =>
      isAllowedOrigin(origin, req, allowedOrigins) ? accept(true) : accept(false, 403, 'Origin not allowed'),
  });

  // Per socket, per operation id: what cancels that operation's upstream calls.
  const operations = new WeakMap<SocketContext, Map<string, AbortController>>();
  // The enveloped functions an operation was prepared with, found again at execution.
  const envelopedByContext = new WeakMap<object, Enveloped>();
  const enveloped = (args: ExecutionArgs): Enveloped => {
    const found = envelopedByContext.get(args.contextValue as object);
    if (found === undefined) throw new Error('WebSocket operation executed without being prepared by onSubscribe');
    return found;
  };

  const finish = (ctx: SocketContext, id: string) => {
    const running = operations.get(ctx);
    running?.get(id)?.abort();
    running?.delete(id);
  };

  const disposable = useServer<ConnectionParams>(
    {
      execute: (args) => enveloped(args).execute(args),
      subscribe: (args) => enveloped(args).subscribe(args),
      onSubscribe: async (ctx, id, payload) => {
        const controller = new AbortController();
        const running = operations.get(ctx) ?? new Map<string, AbortController>();
        operations.set(ctx, running);
        running.set(id, controller);

        const request = requestFor(ctx, controller.signal);
        const params = { query: payload.query, operationName: payload.operationName ?? undefined, variables: payload.variables ?? undefined, extensions: payload.extensions ?? undefined };
        const operation = yoga.getEnveloped({ request, params });
        let errors: readonly GraphQLError[];
        try {
          const document = operation.parse(payload.query);
          errors = operation.validate(operation.schema, document);
          if (errors.length === 0) {
            const contextValue = await operation.contextFactory();
            envelopedByContext.set(contextValue, operation);
            return { schema: operation.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
          }
        } catch (error) {
          // Syntax errors, and auth refusing the caller (UNAUTHENTICATED), end here as an `error` message.
          errors = [asClientError(error)];
        }
        // graphql-ws does not call onComplete for an operation refused here.
        finish(ctx, id);
        return errors;
      },
      onComplete: (ctx, id) => finish(ctx, id),
      onClose: (ctx) => {
        for (const controller of operations.get(ctx)?.values() ?? []) controller.abort();
        operations.delete(ctx);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => withoutHttpExtension(error.toJSON())),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors === undefined ? undefined : ({ ...result, errors: result.errors.map((error) => withoutHttpExtension(error.toJSON())) } as FormattedExecutionResult),
    },
    webSocketServer,
    options.keepAliveMs,
  );

  return { dispose: async () => disposable.dispose() };
}

/** Same-origin pages, listed origins, and clients that are not browsers. */
function isAllowedOrigin(origin: string | undefined, request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowed.has('*') || allowed.has(origin)) return true;
  const host = request.headers.host;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The `Request` the context factory sees for one operation: the upgrade request's headers, with
 * the `Authorization` of the connection params (how browser clients pass a token, since they
 * cannot set headers on a WebSocket) taking precedence, and a signal that aborts when the
 * operation completes or the socket closes.
 */
function requestFor(ctx: SocketContext, signal: AbortSignal): Request {
  const upgrade = ctx.extra.request;
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (value === undefined || CONNECTION_HEADERS.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const authorization = authorizationFrom(ctx.connectionParams);
  if (authorization !== undefined) headers.set('authorization', authorization);
  return new Request(requestUrl(upgrade), { method: 'POST', headers, signal });
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

function asClientError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError && (error.originalError === undefined || error.originalError === null)) return error;
  const masked = maskError(error, 'Unexpected error.');
  return masked instanceof GraphQLError ? masked : new GraphQLError('Unexpected error.', { extensions: { code: ERROR_CODES.INTERNAL_SERVER_ERROR } });
}

/** `extensions.http` tells yoga which HTTP status to send; over a socket it means nothing and is dropped. */
function withoutHttpExtension(error: GraphQLFormattedError): GraphQLFormattedError {
  if (error.extensions === undefined || !('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions;
  return { ...error, extensions };
}
