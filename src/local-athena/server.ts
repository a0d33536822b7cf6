/**
 * The local Athena (for Apache Spark) session service: an emulator that speaks the real AWS
 * JSON 1.1 wire protocol (POST /, X-Amz-Target: AmazonAthena.<Operation>), so the unmodified
 * @aws-sdk/client-athena talks to it over HTTP. SigV4 signatures are accepted unchecked (and
 * unsigned requests too). /_local/ is its control API (control-api.ts).
 *
 * Where its behaviour is a guess about the real service's, and the demo's timings:
 * docs/local-athena.md.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { AthenaError } from './athena-error.js';
import { CallCounter } from './call-counter.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { handleControlRequest } from './control-api.js';
import { seedDemoData } from './demo-seed.js';
import type { FaultDecision } from './fault-injector.js';
import { FaultInjector } from './fault-injector.js';
import { NextTokenCodec } from './next-token.js';
import type { AthenaOperationName } from './operation-names.js';
import { isAthenaOperationName } from './operation-names.js';
import { getCalculationExecutionOperation } from './operations/get-calculation-execution.js';
import { getCalculationExecutionCodeOperation } from './operations/get-calculation-execution-code.js';
import { getCalculationExecutionStatusOperation } from './operations/get-calculation-execution-status.js';
import { getSessionOperation } from './operations/get-session.js';
import { getSessionEndpointOperation } from './operations/get-session-endpoint.js';
import { getSessionStatusOperation } from './operations/get-session-status.js';
import { getWorkGroupOperation } from './operations/get-work-group.js';
import { listCalculationExecutionsOperation } from './operations/list-calculation-executions.js';
import { listSessionsOperation } from './operations/list-sessions.js';
import { listWorkGroupsOperation } from './operations/list-work-groups.js';
import type { AthenaOperation, OperationContext } from './operations/operation.js';
import { startCalculationExecutionOperation } from './operations/start-calculation-execution.js';
import { startSessionOperation } from './operations/start-session.js';
import { stopCalculationExecutionOperation } from './operations/stop-calculation-execution.js';
import { terminateSessionOperation } from './operations/terminate-session.js';
import { isJsonObject } from './request-validator.js';
import type { LifecycleTimings } from './session-model.js';
import { SessionStore } from './session-store.js';

export interface LocalAthenaOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** 'demo' fills the store with the demo work groups (see demo-seed.ts). Default 'none'. */
  seed?: 'demo' | 'none';
  /**
   * With the demo seed: false (default) keeps the demo a still picture (tests read it); true makes
   * it live: sessions start, run calculations and idle out on their own (demo-seed.ts).
   */
  live?: boolean;
  /** Default: the system clock. A ManualClock makes the lifecycle deterministic. */
  clock?: Clock;
  /** creatingMs, createdMs, terminatingMs, calculationQueuedMs, calculationMs, defaultIdleTimeoutMinutes. */
  timings?: Partial<LifecycleTimings>;
  /** Latency added to every call (the fault injector's global latency). */
  latencyMs?: number;
}

export interface LocalAthena {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly store: SessionStore;
  readonly faults: FaultInjector;
  readonly calls: CallCounter;
  /** Closes the server and every keep-alive connection; calls waiting on injected latency are dropped. */
  close(): Promise<void>;
}

const AMZ_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AmazonAthena.';
/** Far above any valid request (CodeBlock is at most 68,000 characters). */
const MAX_BODY_BYTES = 1024 * 1024;

/** One handler per operation of the model: the build fails until a new operation has its entry. */
const OPERATIONS: Readonly<Record<AthenaOperationName, AthenaOperation>> = {
  StartSession: startSessionOperation,
  GetSession: getSessionOperation,
  GetSessionStatus: getSessionStatusOperation,
  ListSessions: listSessionsOperation,
  TerminateSession: terminateSessionOperation,
  StartCalculationExecution: startCalculationExecutionOperation,
  GetCalculationExecution: getCalculationExecutionOperation,
  ListWorkGroups: listWorkGroupsOperation,
  GetWorkGroup: getWorkGroupOperation,
  GetCalculationExecutionStatus: getCalculationExecutionStatusOperation,
  GetCalculationExecutionCode: getCalculationExecutionCodeOperation,
  ListCalculationExecutions: listCalculationExecutionsOperation,
  StopCalculationExecution: stopCalculationExecutionOperation,
  GetSessionEndpoint: getSessionEndpointOperation,
};

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError());
        request.removeAllListeners('data');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
    // An aborted upload never ends; without this the handler would wait forever.
    request.on('close', () => reject(new Error('request closed before its body ended')));
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': AMZ_JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(payload);
}

function sendAthenaError(
  response: ServerResponse,
  error: AthenaError,
  extraHeaders: Record<string, string> = {},
): void {
  sendJson(response, error.httpStatus, error.toWireBody(), {
    'x-amzn-errortype': error.type,
    ...extraHeaders,
  });
}

function urlHostFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function injectedError(decision: FaultDecision): AthenaError | undefined {
  switch (decision.error) {
    case 'InternalServerException':
      return new AthenaError(
        'InternalServerException',
        decision.message ?? 'An internal error occurred. Try the request again.',
      );
    case 'TooManyRequestsException':
      return new AthenaError('TooManyRequestsException', decision.message ?? 'Rate exceeded', {
        Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      });
    default:
      return undefined;
  }
}

export async function startLocalAthena(options: LocalAthenaOptions = {}): Promise<LocalAthena> {
  const clock = options.clock ?? systemClock;
  const store = new SessionStore({ clock, ...(options.timings ? { timings: options.timings } : {}) });
  if (options.seed === 'demo') seedDemoData(store, undefined, { live: options.live ?? false });
  const faults = new FaultInjector({ globalLatencyMs: options.latencyMs ?? 0 });
  const calls = new CallCounter();
  const context: OperationContext = { store, nextTokens: new NextTokenCodec() };
  const host = options.host ?? '127.0.0.1';

  let closing = false;
  /** Calls sleeping on injected latency; woken at close so nothing waits on a dead server. */
  const latencyWaits = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          latencyWaits.delete(wait);
          resolve();
        }, ms),
        wake: resolve,
      };
      latencyWaits.add(wait);
    });
  }

  async function handleAthenaCall(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.headers['x-amz-target'];
    const targetText = Array.isArray(target) ? target[0] : target;
    if (!targetText) {
      await readBody(request).catch(() => '');
      sendAthenaError(response, new AthenaError('UnknownOperationException', 'Missing X-Amz-Target header'));
      return;
    }
    const operationName = targetText.startsWith(TARGET_PREFIX) ? targetText.slice(TARGET_PREFIX.length) : targetText;
    // Counted on arrival: by the time the client sees any answer, the count includes this call.
    calls.record(operationName);

    let bodyText: string;
    try {
      bodyText = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(
          response,
          413,
          { __type: 'SerializationException', Message: 'Request body is too large' },
          {
            'x-amzn-errortype': 'SerializationException',
            connection: 'close',
          },
        );
      } else {
        request.socket.destroy();
      }
      return;
    }

    if (!targetText.startsWith(TARGET_PREFIX) || !isAthenaOperationName(operationName)) {
      sendAthenaError(response, new AthenaError('UnknownOperationException', `Unknown operation ${targetText}`));
      return;
    }
    const operation = OPERATIONS[operationName];

    const decision = faults.decide(operationName);
    await sleep(decision.latencyMs);
    if (closing) {
      request.socket.destroy();
      return;
    }
    if (decision.error === 'drop') {
      request.socket.destroy();
      return;
    }
    const fault = injectedError(decision);
    if (fault) {
      sendAthenaError(response, fault, { 'x-local-athena-fault': 'injected' });
      return;
    }

    let input: unknown;
    try {
      input = bodyText.trim() === '' ? {} : JSON.parse(bodyText);
    } catch {
      sendAthenaError(response, new AthenaError('SerializationException', 'The request body is not valid JSON'));
      return;
    }
    if (!isJsonObject(input)) {
      sendAthenaError(response, new AthenaError('SerializationException', 'The request body must be a JSON object'));
      return;
    }
    const result = operation.handle(input, context);
    sendJson(response, 200, result);
  }

  async function handleControlCall(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    let bodyText = '';
    try {
      bodyText = await readBody(request);
    } catch {
      sendJson(response, 413, { error: 'Request body is too large' }, { connection: 'close' });
      return;
    }
    const answer = handleControlRequest(request.method ?? 'GET', url, bodyText, { faults, calls });
    if (response.headersSent || response.destroyed) return;
    const payload = JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(payload);
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://local-athena');
    } catch {
      sendJson(response, 400, { __type: 'SerializationException', Message: 'Malformed request URL' });
      return;
    }
    if (url.pathname === '/_local' || url.pathname.startsWith('/_local/')) {
      await handleControlCall(request, response, url);
      return;
    }
    if (url.pathname === '/' && request.method === 'POST') {
      await handleAthenaCall(request, response);
      return;
    }
    request.resume();
    if (url.pathname === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      sendJson(response, 200, { service: 'local-athena', protocol: 'awsJson1_1', targetPrefix: TARGET_PREFIX });
      return;
    }
    sendJson(
      response,
      404,
      { __type: 'UnknownOperationException', Message: `No route for ${request.method} ${url.pathname}` },
      {
        'x-amzn-errortype': 'UnknownOperationException',
      },
    );
  }

  const server: Server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      // A bug must cost one 500, never the process.
      const athenaError =
        error instanceof AthenaError
          ? error
          : new AthenaError('InternalServerException', 'An internal error occurred. Try the request again.');
      try {
        sendAthenaError(response, athenaError);
      } catch {
        response.destroy();
      }
    });
  });
  // The SDK keeps idle sockets without a limit. If the server closed them after Node's default 5 s,
  // a client reusing one just as it closes would see a spurious ECONNRESET in gateway tests;
  // a long timeout makes that rare, and close() still ends every socket at once.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHostFor(host)}:${port}`,
    port,
    store,
    faults,
    calls,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const wait of latencyWaits) {
          clearTimeout(wait.timer);
          wait.wake();
        }
        latencyWaits.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
