// The gateway composed as `serve` composes it, with one lever changed, for the lean-path
// experiments (bench/lean-path.ts): what each lever is worth, measured rather than assumed.
//
//   --no-jit              graphql-js only (the gateway compiles repeated queries with graphql-jit)
//   --max-sockets N       the SDK client's sockets per origin (ATHENA_MAX_SOCKETS; default 50)
//   --no-keep-alive       a new TCP connection per upstream call
//
// Environment as for `serve` (ATHENA_ENDPOINT, CACHE_TTL_MS, ...). Prints {"msg":"ready","url":...}.
import { Agent, createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { AthenaClient } from '@aws-sdk/client-athena';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createPortStack } from '../src/athena/port-stack.js';
import { createAthenaClient } from '../src/athena/sdk-adapter.js';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';

const { values } = parseArgs({
  options: {
    'no-jit': { type: 'boolean', default: false },
    'max-sockets': { type: 'string' },
    'no-keep-alive': { type: 'boolean', default: false },
  },
});

const config = loadConfig(process.env);
const settings = {
  ...config.athena,
  maxSockets: values['max-sockets'] === undefined ? config.athena.maxSockets : Number(values['max-sockets']),
};
const client = values['no-keep-alive']
  ? new AthenaClient({
      region: settings.region,
      endpoint: settings.endpoint,
      maxAttempts: settings.maxAttempts,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: settings.connectTimeoutMs,
        requestTimeout: settings.requestTimeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: new Agent({ keepAlive: false, maxSockets: settings.maxSockets }),
      }),
    })
  : createAthenaClient(settings);
// The stack `serve` builds (cache, resilience, adapter), so the benchmark measures what users run.
const stack = createPortStack({ ...config, athena: settings }, { client });
const yoga = createGateway(config, stack.port, { jit: !values['no-jit'], resilience: stack.resilient });
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const listening = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${listening}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
