// createGateway builds the yoga instance; it never listens, so tests call `yoga.fetch` directly and
// the CLI decides where it is served.
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { isAthenaError, type AthenaPort } from './athena/port.js';
import type { GatewayConfig } from './config.js';
import type { AuditEvent, GatewayContext } from './context.js';
import { CursorCodec } from './cursors.js';
import { BadUserInputError, UpstreamError } from './errors.js';
import { DEFAULT_GRAPHIQL_DOCUMENT } from './graphiql.js';
import { useJitForRepeatedQueries } from './jit-execution.js';
import { createLoaders } from './loaders.js';
import type { Logger } from './logger.js';
import { useRequestBodyLimit } from './request-body-limit.js';
import { getSchema } from './schema/index.js';
import { FULL_ACCESS_VIEWER, type Viewer } from './viewer.js';

export interface GatewayOptions {
  logger?: Logger | undefined;
  /** Extra yoga/envelop plugins (auth, limits, observability). */
  plugins?: Plugin<GatewayContext & Record<string, unknown>>[] | undefined;
  /** Who is calling; auth replaces the default, which allows everything. */
  viewerFor?: ((request: Request) => Viewer | Promise<Viewer>) | undefined;
  /** Compile repeated queries with graphql-jit (default true; see jit-execution.ts). */
  jit?: boolean | undefined;
}

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** yoga's default limit on a request body. */
const MAX_REQUEST_BODY_BYTES = 25_000_000;

export function createGateway(config: GatewayConfig, port: AthenaPort, options: GatewayOptions = {}): Gateway {
  const cursors = new CursorCodec(config.cursorSecret);
  const logger = options.logger;
  const audit = (event: AuditEvent) => logger?.info({ audit: event }, `audit ${event.action} ${event.outcome}`);

  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    batching: false,
    // The same limit, checked without a stream per request (request-body-limit.ts).
    maxRequestBodySize: false,
    logging: logger === undefined ? false : {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    graphiql: config.graphiql ? { title: 'Athena Spark sessions', defaultQuery: DEFAULT_GRAPHIQL_DOCUMENT } : false,
    // Assets inlined from the npm package: GraphiQL works with no internet and no CDN. Loaded on
    // the first GraphiQL page only: the inlined assets cost ~80 MB of RSS in every process otherwise.
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    maskedErrors: { maskError },
    plugins: [useRequestBodyLimit(MAX_REQUEST_BODY_BYTES), ...(options.jit === false ? [] : [useJitForRepeatedQueries()]), ...(options.plugins ?? [])],
    context: async ({ request }): Promise<GatewayContext> => ({
      port,
      loaders: createLoaders(port, { signal: request.signal }),
      viewer: options.viewerFor ? await options.viewerFor(request) : FULL_ACCESS_VIEWER,
      cursors,
      signal: request.signal,
      audit,
    }),
  });
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

  if (located !== undefined && (located.originalError === undefined || located.originalError === null || original instanceof GraphQLError)) {
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
          ? new UpstreamError('The request was cancelled before Athena answered.')
          : new UpstreamError();
    return new GraphQLError(upstream.message, { ...at, extensions: upstream.extensions });
  }
  return new GraphQLError(message, { ...at, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
