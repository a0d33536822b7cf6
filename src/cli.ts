#!/usr/bin/env node
// Wires config -> adapter -> gateway -> HTTP. Commands: serve, print-schema, local-athena.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printSchema } from 'graphql';
import { CachingAthenaPort } from './athena/caching-port.js';
import { SdkAthenaAdapter } from './athena/sdk-adapter.js';
import { ConfigError, loadConfig } from './config.js';
import { startLocalAthena } from './local-athena/server.js';
import { createLogger } from './logger.js';
import { getSchema } from './schema/index.js';
import { createGateway } from './server.js';

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const local = config.athena.mode === 'embedded' ? await startLocalAthena({ seed: config.localSeed }) : undefined;
  const settings = local ? { ...config.athena, endpoint: local.url } : config.athena;
  if (local) {
    logger.warn(
      { athena: local.url, seed: config.localSeed },
      'ATHENA_ENDPOINT is unset: serving the embedded local Athena session service (demo data, no AWS account). Auth is off.',
    );
  }
  const adapter = new SdkAthenaAdapter({ settings });
  // Outermost, so that identical reads share one call and cached answers skip every layer below.
  const port = new CachingAthenaPort(adapter, { ttlMs: config.cacheTtlMs });
  const yoga = createGateway({ ...config, athena: settings }, port, { logger });
  const server = createServer(yoga);
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    logger.info({ port, mode: config.athena.mode }, `gateway ready at http://localhost:${port}/graphql`);
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      adapter.destroy();
      void (local?.close() ?? Promise.resolve()).then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), config.shutdownGraceMs).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function writeSchemaFiles(): Promise<void> {
  await writeFile(resolve(process.cwd(), 'schema.graphql'), `${printSchema(getSchema())}\n`);
  process.stdout.write('wrote schema.graphql\n');
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
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got ${values.port}`);
  if (values.seed !== 'demo' && values.seed !== 'none') throw new ConfigError(`--seed must be demo or none, got ${values.seed}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new ConfigError(`--latency-ms must be a number >= 0, got ${values['latency-ms']}`);
  const service = await startLocalAthena({ port, host: values.host, seed: values.seed, latencyMs });
  process.stdout.write(`${JSON.stringify({ msg: 'local Athena session service ready', url: service.url, seed: values.seed })}\n`);
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
