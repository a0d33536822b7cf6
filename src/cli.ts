#!/usr/bin/env node
// Wires config -> adapter -> gateway -> HTTP. Commands: serve, print-schema, local-athena.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printSchema } from 'graphql';
import { createPortStack } from './athena/port-stack.js';
import { ConfigError, type GatewayConfig, loadConfig } from './config.js';
import { Fleet } from './fleet/fleet.js';
import { createGateway } from './gateway.js';
import { createHttpServer } from './http/server-timeouts.js';
import { attachWebSocketServer } from './http/websocket.js';
import { closeHttpServer, GracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { startLocalAthena } from './local-athena/server.js';
import { createLogger, type Logger } from './observability/logger.js';
import { athenaProbe, Readiness } from './observability/readiness.js';
import { GatewayTelemetry } from './observability/telemetry.js';
import { startTracing } from './observability/tracing.js';
import { getClientSchema, getSubgraphSdl } from './schema/index.js';
import { TrustedDocuments } from './security/trusted-documents.js';

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  // Readable lines for a person at a terminal who asked for nothing else; JSON for everything else.
  const logger = createLogger(config.logLevel, undefined, {
    pretty: process.stdout.isTTY === true && !config.logLevelFromEnv && !config.production,
  });
  const local =
    config.athena.mode === 'embedded' ? await startLocalAthena({ seed: config.localSeed, live: true }) : undefined;
  const settings = local ? { ...config.athena, endpoint: local.url } : config.athena;
  if (local) {
    logger.warn(
      { athena: local.url, seed: config.localSeed },
      'ATHENA_ENDPOINT is unset: serving the embedded local Athena session service (demo data, no AWS account).',
    );
  }
  logAuthMode(logger, config);
  const tracing = config.tracing === undefined ? undefined : await startTracing(config.tracing);
  if (config.tracing)
    logger.info({ otlp: config.tracing.url, service: config.tracing.serviceName }, 'traces exported over OTLP/HTTP');
  const telemetry = new GatewayTelemetry({ logger, processMetrics: true, tracing });
  // REDIS_URL: replicas share calls, caches, invalidations and pollers; ATHENA_RATE_LIMIT: one budget.
  const fleet = new Fleet({
    settings: config.fleet,
    cacheTtlMs: config.cacheTtlMs,
    subscriptionPollMs: config.subscriptionPollMs,
    upstreamCallMs: config.athena.requestTimeoutMs * config.athena.maxAttempts,
    logger,
    metrics: telemetry.metrics,
  });
  const athena = createPortStack({ ...config, athena: settings }, { telemetry, fleet });
  await fleet.connected();
  const readiness = new Readiness({
    breakerState: () => athena.resilient.breakerState,
    probe: athenaProbe(athena.resilient),
    probeIntervalMs: config.readyProbeIntervalMs,
    probeTimeoutMs: config.athena.requestTimeoutMs,
    onChange: (report) =>
      report.ready ? logger.info({ readiness: report }, 'ready') : logger.warn({ readiness: report }, 'not ready'),
  });
  const shutdown = new GracefulShutdown();
  const trustedDocuments =
    config.trustedDocumentsPath === undefined
      ? undefined
      : new TrustedDocuments(config.trustedDocumentsPath, {
          onReload: (outcome) =>
            outcome.ok
              ? logger.info({ trustedDocuments: outcome.documents }, 'trusted documents reloaded')
              : logger.error(
                  { err: outcome.error },
                  'trusted documents not reloaded: the previous manifest stays in force',
                ),
        });
  if (trustedDocuments) {
    // Frontends deploy more often than the gateway: a new manifest takes effect without a restart.
    trustedDocuments.watch();
    process.on('SIGHUP', () => void trustedDocuments.reload());
    logger.info(
      { path: trustedDocuments.path, documents: trustedDocuments.size },
      'trusted documents only: other operations are refused (reload: SIGHUP or a change of the file)',
    );
  }
  const yoga = createGateway({ ...config, athena: settings }, athena.port, {
    logger,
    telemetry,
    readiness,
    shutdown,
    trustedDocuments,
    pollCoordination: fleet.pollCoordination,
  });
  const server = createHttpServer(yoga, config.http);
  // graphql-ws subscriptions (and operations) on the same port and path as HTTP.
  const webSockets = attachWebSocketServer(server, yoga, { allowedOrigins: config.corsOrigins });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://localhost:${port}/graphql`;
    const workGroups = local?.store.workGroupNames();
    logger.info(
      {
        port,
        mode: config.athena.mode,
        fleet: fleet.link === undefined ? 'off' : fleet.link.state,
        ...(workGroups ? { workGroups } : {}),
      },
      startBanner(config, url, workGroups),
    );
    readiness.start();
  });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for in-flight operations');
      process.exit(1);
    }
    stopping = true;
    logger.info(
      { signal, graceMs: config.shutdownGraceMs },
      'shutting down: no new connections, finishing in-flight operations',
    );
    readiness.markShuttingDown();
    shutdown.begin();
    // Subscriptions over WebSocket end with 1001 (going away); SSE streams end with `complete`.
    await webSockets.dispose();
    const { drained, durationMs } = await closeHttpServer(server, config.shutdownGraceMs);
    await yoga.dispose();
    trustedDocuments?.close();
    athena.destroy();
    await fleet.close();
    await local?.close();
    await tracing?.shutdown();
    logger.info(
      { drained, durationMs: Math.round(durationMs) },
      drained ? 'stopped' : 'stopped after the grace period: unfinished requests were cut',
    );
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) =>
    void stop(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** The first thing a newcomer reads: where to click, what to try, and how to leave the demo. */
function startBanner(config: GatewayConfig, url: string, workGroups: string[] | undefined): string {
  const lines = [`gateway ready at ${url}`];
  if (config.graphiql) lines.push(`  GraphiQL:    open ${url} in a browser`);
  if (workGroups !== undefined) {
    lines.push(`  demo data:   work groups ${workGroups.join(', ')} (embedded local Athena, no AWS account)`);
    lines.push(
      '  real AWS:    ATHENA_ENDPOINT=aws AWS_REGION=<region> AUTH_JWKS_URL=<your JWKS URL> npm start (standard AWS credential chain)',
    );
  }
  lines.push(`  operations:  ${url.replace(/\/graphql$/, '')}/health, /ready, /metrics`);
  return lines.join('\n');
}

/** Says at start-up, where nobody can miss it, who may call this gateway. */
function logAuthMode(logger: Logger, config: GatewayConfig): void {
  const exposure = { introspection: config.introspection, graphiql: config.graphiql, corsOrigins: config.corsOrigins };
  if (config.auth.disabled) {
    logger.warn(
      { auth: 'off', ...exposure },
      !config.athena.local
        ? "AUTH IS OFF (AUTH_DISABLED=true): anyone who can reach this port can start and terminate Spark sessions with this process's AWS credentials."
        : 'AUTH IS OFF: every caller has full access (sessions:read, sessions:write, sessions:connect, every work group). Set AUTH_JWT_SECRET or AUTH_JWKS_URL to require bearer JWTs.',
    );
    return;
  }
  const { jwtSecret, issuer, audience } = config.auth;
  logger.info(
    { auth: jwtSecret !== undefined ? 'HS256' : 'JWKS (RS256/ES256)', issuer, audience, ...exposure },
    'auth on: bearer JWTs required',
  );
}

async function writeSchemaFiles(): Promise<void> {
  await writeFile(resolve(process.cwd(), 'schema.graphql'), `${printSchema(getClientSchema())}\n`);
  await writeFile(resolve(process.cwd(), 'subgraph.graphql'), `${getSubgraphSdl()}\n`);
  process.stdout.write('wrote schema.graphql (client API) and subgraph.graphql (federation subgraph SDL)\n');
}

async function localAthena(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string', default: 'demo' },
      'latency-ms': { type: 'string', default: '0' },
    },
  });
  const port = Number(values.port);
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port must be 0..65535, got ${values.port}`);
  if (values.seed !== 'demo' && values.seed !== 'none')
    throw new ConfigError(`--seed must be demo or none, got ${values.seed}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new ConfigError(`--latency-ms must be a number >= 0, got ${values['latency-ms']}`);
  const service = await startLocalAthena({ port, host: values.host, seed: values.seed, live: true, latencyMs });
  process.stdout.write(
    `${JSON.stringify({ msg: 'local Athena session service ready', url: service.url, seed: values.seed })}\n`,
  );
  const stop = () => void service.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(): Promise<void> {
  const [command = 'serve', ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve();
    case 'print-schema':
      return writeSchemaFiles();
    case 'local-athena':
      return localAthena(rest);
    default:
      throw new ConfigError(`Unknown command ${command}: use serve, print-schema or local-athena`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
