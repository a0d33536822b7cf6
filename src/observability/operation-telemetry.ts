// One JSON log line and one set of metric observations per GraphQL operation, with a request id
// that the client may choose (x-request-id) and always gets back. Headers, variables and the query
// text are never logged: they may carry bearer tokens and other secrets.
import { randomUUID } from 'node:crypto';
import { type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';
import type { Logger } from './logger.js';
import { ANONYMOUS_OPERATION, type GatewayMetrics } from './metrics.js';
import { type RequestScope, runInRequestScope } from './request-scope.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids a client may choose: printable, short, no spaces or quotes, so a log line cannot be forged with one. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const MAX_LOGGED_NAME_LENGTH = 100;
/** Errors that point at Athena or at the gateway rather than at the client. */
const SERVER_SIDE_CODES = new Set<string>([ERROR_CODES.UPSTREAM_ERROR, ERROR_CODES.INTERNAL_SERVER_ERROR]);

export interface OperationTelemetryOptions {
  metrics: GatewayMetrics;
  logger?: Logger | undefined;
}

interface OperationRecord {
  readonly scope: RequestScope;
  graphql: boolean;
  operationName: string | undefined;
  operationType: string | undefined;
  readonly errorCodes: Set<string>;
  /** A stream (subscription over SSE) is finished when it ends, not when its response starts. */
  streaming: boolean;
  status: number | undefined;
  finished: boolean;
}

export function useOperationTelemetry(options: OperationTelemetryOptions): Plugin {
  const records = new WeakMap<Request, OperationRecord>();

  const finish = (record: OperationRecord) => {
    if (record.finished) return;
    record.finished = true;
    const durationMs = performance.now() - record.scope.startedAt;
    const errorCodes = [...record.errorCodes];
    const outcome = errorCodes.length > 0 || (record.status ?? 200) >= 400 ? 'error' : 'ok';
    const operationName = record.operationName ?? ANONYMOUS_OPERATION;
    const operationType = record.operationType ?? 'unknown';
    options.metrics.observeOperation({ operationName, operationType, outcome, durationMs, errorCodes });
    if (options.logger === undefined) return;
    const line = {
      requestId: record.scope.requestId,
      operationName: operationName.slice(0, MAX_LOGGED_NAME_LENGTH),
      operationType,
      durationMs: Math.round(durationMs * 10) / 10,
      upstream: Object.fromEntries(record.scope.upstreamCalls),
      upstreamRetries: record.scope.upstreamRetries,
      outcome,
      ...(errorCodes.length > 0 ? { errorCodes } : {}),
      ...(record.status !== undefined ? { status: record.status } : {}),
    };
    if (errorCodes.some((code) => SERVER_SIDE_CODES.has(code))) options.logger.warn(line, 'graphql operation');
    else options.logger.info(line, 'graphql operation');
  };

  const collect = (record: OperationRecord, result: unknown) => {
    for (const error of (result as ExecutionResult | undefined)?.errors ?? []) {
      const code = error.extensions?.code;
      record.errorCodes.add(typeof code === 'string' ? code : ERROR_CODES.INTERNAL_SERVER_ERROR);
    }
  };

  return {
    instrumentation: {
      request({ request }, wrapped) {
        const clientId = request.headers.get(REQUEST_ID_HEADER);
        const scope: RequestScope = {
          requestId: clientId !== null && CLIENT_REQUEST_ID.test(clientId) ? clientId : randomUUID(),
          startedAt: performance.now(),
          upstreamCalls: new Map(),
          upstreamRetries: 0,
        };
        records.set(request, {
          scope,
          graphql: false,
          operationName: undefined,
          operationType: undefined,
          errorCodes: new Set(),
          streaming: false,
          status: undefined,
          finished: false,
        });
        return runInRequestScope(scope, wrapped);
      },
    },
    onRequestParse({ request }) {
      const record = records.get(request);
      if (record !== undefined) record.graphql = true;
    },
    onExecute({ args }) {
      describeOperation(
        records.get((args.contextValue as { request: Request }).request),
        args.document,
        args.operationName,
      );
    },
    onSubscribe({ args }) {
      describeOperation(
        records.get((args.contextValue as { request: Request }).request),
        args.document,
        args.operationName,
      );
    },
    onResultProcess({ request, result, setResult }) {
      const record = records.get(request);
      if (record === undefined) return;
      if (isAsyncIterable(result)) {
        record.streaming = true;
        setResult(
          tap(
            result,
            (value) => collect(record, value),
            () => finish(record),
          ),
        );
        return;
      }
      for (const single of Array.isArray(result) ? result : [result]) collect(record, single);
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (record === undefined) return;
      response.headers.set(REQUEST_ID_HEADER, record.scope.requestId);
      if (!record.graphql) return;
      record.status = response.status;
      if (!record.streaming) finish(record);
    },
  };
}

function describeOperation(
  record: OperationRecord | undefined,
  document: Parameters<typeof getOperationAST>[0],
  operationName: string | null | undefined,
): void {
  if (record === undefined) return;
  // Named by the operation that runs, and only once it validated: a name a client merely claims
  // (`operationName` of a document that does not define it, or one that does not validate) would
  // let it fill the metric's label slots with junk.
  const operation = getOperationAST(document, operationName ?? undefined);
  record.operationType = operation?.operation;
  record.operationName = operation?.name?.value;
}

/**
 * Watches a stream without changing it. `return` goes straight to the source (an async generator
 * wrapper would wait for the pending `next` first, so a client leaving a quiet subscription would
 * hold it open until its next event).
 */
function tap<T>(source: AsyncIterable<T>, onValue: (value: T) => void, onEnd: () => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  return {
    async next() {
      try {
        const step = await iterator.next();
        if (step.done === true) end();
        else onValue(step.value);
        return step;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return(value?: unknown) {
      end();
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      end();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
