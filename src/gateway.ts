// createGateway builds the yoga instance; it never listens, so tests call `yoga.fetch` directly and
// the CLI decides where it is served.

import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { type AthenaPort, isAthenaError } from './athena/port.js';
import { type ResilienceState, ResilientAthenaPort } from './athena/resilient-port.js';
import { createAuthentication } from './auth/authentication-plugin.js';
import { createAuthenticator } from './auth/authenticator.js';
import { FULL_ACCESS_VIEWER, type Viewer } from './auth/viewer.js';
import type { GatewayConfig } from './config.js';
import type { AuditEvent, GatewayContext } from './context.js';
import { BadUserInputError, ERROR_CODES, UpstreamError } from './errors.js';
import { useJitForRepeatedQueries } from './execution/jit-execution.js';
import { graphiqlOptions } from './http/graphiql.js';
import { GraphiQLAssets } from './http/graphiql-assets.js';
import { useRequestBodyLimit } from './http/request-body-limit.js';
import { GracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { OperationDeadlines } from './lifecycle/operation-deadline.js';
import { useInlineTraceWhenAsked } from './observability/inline-trace.js';
import type { Logger } from './observability/logger.js';
import { useOperationalEndpoints } from './observability/operational-endpoints.js';
import { Readiness } from './observability/readiness.js';
import { currentRequestId } from './observability/request-scope.js';
import { GatewayTelemetry } from './observability/telemetry.js';
import { useCalculationsArgumentCheck } from './schema/calculation-connection.js';
import { CursorCodec } from './schema/cursors.js';
import { buildServedSchema, getSchema } from './schema/index.js';
import { createLoaders } from './schema/loaders.js';
import { corsPolicy } from './security/cors.js';
import { createDocumentCaches, type DocumentCaches } from './security/document-cache.js';
import { MAX_REQUEST_BODY_BYTES } from './security/limits.js';
import { securityPlugins } from './security/security-plugins.js';
import { DOCUMENT_ID_PARAMS, TrustedDocuments } from './security/trusted-documents.js';
import { CalculationStatusPoller, type PollCoordination, SessionStatusPoller } from './subscriptions/status-poller.js';
import { useSubscriptionGuards } from './subscriptions/subscription-guards.js';

export interface GatewayOptions {
  logger?: Logger | undefined;
  /** Extra yoga/envelop plugins (auth, limits, observability). */
  plugins?: Plugin<GatewayContext & Record<string, unknown>>[] | undefined;
  /** Who is calling. Default: JWT auth from `config.auth`, or full access when auth is off. */
  viewerFor?: ((request: Request) => Viewer | Promise<Viewer>) | undefined;
  /** The bounded parse cache; tests pass their own to count its entries. */
  documentCaches?: DocumentCaches | undefined;
  /** Metrics and per-operation log lines; the CLI makes it first, to hand its hooks to the adapter. */
  telemetry?: GatewayTelemetry | undefined;
  /** The port stack's breaker and concurrency cap (createPortStack's `resilient`), for the default readiness and metrics. */
  resilience?: ResilienceState | undefined;
  /** What /ready answers; by default it follows the breaker (`resilience`, or the port itself), and never probes. */
  readiness?: Readiness | undefined;
  /** Shutdown state: once begun, subscription streams end and connections close after their response. */
  shutdown?: GracefulShutdown | undefined;
  /** The trusted documents in force; default: read from `config.trustedDocumentsPath` when set (no reload). */
  trustedDocuments?: TrustedDocuments | undefined;
  /** Compile repeated queries with graphql-jit (default true; see execution/jit-execution.ts). */
  jit?: boolean | undefined;
  /** Replicas sharing Redis: one poller per watched session across all of them (see src/fleet/). */
  pollCoordination?: PollCoordination | undefined;
}

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Each gateway's authentication, for transports that must check a caller before any operation (a WebSocket's handshake). */
const viewerForByGateway = new WeakMap<Gateway, (request: Request) => Viewer | Promise<Viewer>>();

/** The gateway's way to tell who sends a request; undefined when auth is off. */
export function viewerForOf(gateway: Gateway): ((request: Request) => Viewer | Promise<Viewer>) | undefined {
  return viewerForByGateway.get(gateway);
}

export function createGateway(config: GatewayConfig, port: AthenaPort, options: GatewayOptions = {}): Gateway {
  const cursors = new CursorCodec(config.cursorSecret);
  const logger = options.logger;
  const audit = (event: AuditEvent) =>
    logger?.info({ audit: event, requestId: currentRequestId() }, `audit ${event.action} ${event.outcome}`);
  const viewerFor = options.viewerFor ?? createAuthenticator(config.auth, { logger })?.viewerFor;
  const authentication = viewerFor === undefined ? undefined : createAuthentication(viewerFor);
  const telemetry = options.telemetry ?? new GatewayTelemetry({ logger });
  const breaker = options.resilience ?? resilienceOf(port);
  if (options.telemetry === undefined && breaker !== undefined) telemetry.watchResilience(breaker);
  const readiness = options.readiness ?? new Readiness({ breakerState: breaker && (() => breaker.breakerState) });
  telemetry.metrics.watchReadiness(() => readiness.isReady());
  const deadlines = new OperationDeadlines(config.operationTimeoutMs);
  const shutdown = options.shutdown ?? new GracefulShutdown();
  const graphiqlAssets = new GraphiQLAssets();
  const trustedDocuments =
    options.trustedDocuments ??
    (config.trustedDocumentsPath === undefined ? undefined : new TrustedDocuments(config.trustedDocumentsPath));
  // One per gateway: every subscription to a session shares one upstream poll loop.
  const statusPoller = new SessionStatusPoller(port, {
    intervalMs: config.subscriptionPollMs,
    coordination: options.pollCoordination,
    onPollError: (sessionId, error, consecutiveFailures) =>
      logger?.warn({ sessionId, consecutiveFailures, err: error }, 'subscription status poll failed'),
  });
  const calculationStatusPoller = new CalculationStatusPoller(port, {
    intervalMs: config.subscriptionPollMs,
    coordination: options.pollCoordination,
    onPollError: (calculationId, error, consecutiveFailures) =>
      logger?.warn({ calculationId, consecutiveFailures, err: error }, 'subscription calculation status poll failed'),
  });

  const gateway = createYoga<Record<string, unknown>, GatewayContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    batching: false,
    // Relay's persisted-query id travels beside `query`, not in `extensions`.
    ...(trustedDocuments === undefined ? {} : { extraParamNames: [...DOCUMENT_ID_PARAMS] }),
    // No file uploads in this API: multipart requests are refused rather than parsed.
    multipart: false,
    // Checked by useRequestBodyLimit from Content-Length, without a stream pipeline per request.
    maxRequestBodySize: false,
    parserAndValidationCache: options.documentCaches ?? createDocumentCaches(),
    cors: corsPolicy(config.corsOrigins),
    logging:
      logger === undefined
        ? false
        : {
            debug: (...args) => logger.debug(args.map(forLog).join(' ')),
            info: (...args) => logger.info(args.map(forLog).join(' ')),
            warn: (...args) => logger.warn(args.map(forLog).join(' ')),
            error: (...args) => logger.error(args.map(forLog).join(' ')),
          },
    graphiql: config.graphiql ? graphiqlOptions(config) : false,
    // Assets from the npm package as separate cached files: no internet, no CDN (graphiql-assets.ts).
    renderGraphiQL: (graphiql) => graphiqlAssets.page(graphiql),
    maskedErrors: { maskError },
    plugins: [
      // Telemetry first, so that operations refused by auth or limits are logged and counted too.
      ...telemetry.plugins(),
      useRequestBodyLimit(MAX_REQUEST_BODY_BYTES),
      useOperationalEndpoints({ readiness, metrics: telemetry.metrics }),
      ...(config.graphiql ? [graphiqlAssets.plugin()] : []),
      // Before every parse-time limit: an operation outside the list is refused before it is parsed.
      ...(trustedDocuments === undefined ? [] : [trustedDocuments.plugin()]),
      ...securityPlugins(config, authentication?.plugin),
      deadlines.plugin(),
      useSubscriptionGuards(),
      shutdown.plugin(),
      useCalculationsArgumentCheck(),
      ...(options.jit === false ? [] : [useJitForRepeatedQueries()]),
      // Apollo's inline trace (extensions.ftv1), only for requests that ask with
      // `apollo-federation-include-trace: ftv1`, as a router does, on a copy of the schema of its own
      // (inline-trace.ts); errors in it are masked like the response's. After graphql-jit, whose
      // compiled query it replaces for those requests. Off by default against real AWS (field
      // timings are for the router, not for any caller): APOLLO_INLINE_TRACE=true.
      ...(config.inlineTrace
        ? [
            useInlineTraceWhenAsked({
              buildSchema: buildServedSchema,
              rewriteError: (error) => maskError(error, 'Unexpected error.') as GraphQLError,
            }),
          ]
        : []),
      // After both: the tracing plugin wraps whichever `execute` runs, so resolvers run in the operation's span.
      ...telemetry.tracingPlugins(),
      ...(options.plugins ?? []),
      // Disposing the gateway (shutdown) ends every subscription, so open streams do not hold the server.
      {
        onDispose: () => {
          statusPoller.close();
          calculationStatusPoller.close();
        },
      },
    ],
    context: async ({ request }): Promise<GatewayContext> => {
      // Client gone or deadline passed: either one cancels this operation's upstream work.
      const signal = deadlines.signalFor(request);
      return {
        port,
        loaders: createLoaders(port, { signal }),
        viewer: authentication ? await authentication.viewerOf(request) : FULL_ACCESS_VIEWER,
        cursors,
        signal,
        audit,
        statusPoller,
        calculationStatusPoller,
      };
    },
  });
  if (viewerFor !== undefined) viewerForByGateway.set(gateway, viewerFor);
  return gateway;
}

/**
 * What yoga's own log lines may say about an error: its name and message. A GraphQLError's
 * string form quotes the source around its location, and the query text may carry secrets
 * inline (a Spark property holding a key), so it is never logged.
 */
function forLog(value: unknown): string {
  if (!(value instanceof Error)) return String(value);
  const error = value instanceof GraphQLError && value.originalError instanceof Error ? value.originalError : value;
  return `${error.name}: ${error.message}`;
}

/** The resilience layer's state, when the port given is that layer itself. */
function resilienceOf(port: AthenaPort): ResilienceState | undefined {
  return port instanceof ResilientAthenaPort ? port : undefined;
}

/**
 * The one place where failures become client errors: our own errors pass unchanged, upstream
 * failures become UPSTREAM_ERROR (or the code they stand for), and anything else is masked, so no
 * stack, AWS message or internal detail reaches a client.
 */
export function maskError(error: unknown, message: string): Error {
  const located = error instanceof GraphQLError ? error : undefined;
  const original = located?.originalError ?? error;
  const at = { nodes: located?.nodes, path: located?.path, source: located?.source, positions: located?.positions };

  if (
    located !== undefined &&
    (located.originalError === undefined || located.originalError === null || original instanceof GraphQLError)
  ) {
    return located;
  }
  if (isAthenaError(original)) {
    if (original.kind === 'invalid-request') {
      const input = new BadUserInputError('Athena rejected an argument as invalid.');
      return new GraphQLError(input.message, { ...at, extensions: input.extensions });
    }
    const upstream =
      original.kind === 'throttled'
        ? new UpstreamError('Athena is throttling requests and did not answer after retries. Try again shortly.')
        : original.kind === 'aborted'
          ? // A client that went away reads nothing: whoever reads this hit the operation's deadline.
            new UpstreamError('Athena did not answer before the operation deadline. Try again shortly.')
          : new UpstreamError();
    return new GraphQLError(upstream.message, { ...at, extensions: upstream.extensions });
  }
  return new GraphQLError(message, { ...at, extensions: { code: ERROR_CODES.INTERNAL_SERVER_ERROR } });
}
