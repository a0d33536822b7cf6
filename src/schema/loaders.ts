// Per-request loaders: one upstream call per session (or list page) per GraphQL operation, however
// many times the operation names it (aliases, node, nodes, _entities, lists). A new set is made for
// every request, so nothing here outlives the request; sharing across requests is the port's job.
import DataLoader from 'dataloader';
import { statusFieldsOf } from '../athena/calculation-fields.js';
import {
  type AthenaPort,
  type Calculation,
  type CalculationPage,
  type CalculationState,
  type CalculationStatusResult,
  type CallOptions,
  isAthenaError,
  type SessionDetails,
  type SessionEndpoint,
  type SessionPage,
  type SessionState,
  type SessionStatusResult,
  type WorkGroupPage,
  type WorkGroupSummary,
} from '../athena/port.js';
import type { ImmutableSessionFields } from '../athena/session-fields.js';
import {
  MAX_CONCURRENT_DETAIL_CALLS_PER_REQUEST,
  UPSTREAM_PAGE_SIZE,
  WORK_GROUP_PAGE_SIZE,
} from '../security/limits.js';

export interface PageKey {
  workGroup: string;
  state: SessionState | undefined;
  pageToken: string | undefined;
  /**
   * MaxResults; UPSTREAM_PAGE_SIZE when absent. Only `allSessions` asks for less: it reads what its
   * page still needs, so the rows it carries in its cursor stay few.
   */
  maxResults?: number | undefined;
}

export interface CalculationPageKey {
  sessionId: string;
  state: CalculationState | undefined;
  pageToken: string | undefined;
}

export interface Loaders {
  /** GetSession; null when the session does not exist. */
  loadDetails(sessionId: string): Promise<SessionDetails | null>;
  /**
   * The fields of GetSession that never change (configuration, versions, work group, description):
   * a port that remembers them answers without a call, any other port with a GetSession this request reuses.
   * Null when the session does not exist.
   */
  loadImmutableFields(sessionId: string): Promise<ImmutableSessionFields | null>;
  /** GetSessionStatus, or the status of a GetSession this request already asked for; null when not found. */
  loadStatus(sessionId: string): Promise<SessionStatusResult | null>;
  /** ListSessions; null when the work group does not exist. */
  loadPage(key: PageKey): Promise<SessionPage | null>;
  /** ListWorkGroups from the page its NextToken names (undefined: the first). */
  loadWorkGroupPage(pageToken: string | undefined): Promise<WorkGroupPage>;
  /** GetWorkGroup; null when the work group does not exist. */
  loadWorkGroup(name: string): Promise<WorkGroupSummary | null>;
  /** Drops what this request holds for a session (after it was terminated). */
  forgetSession(sessionId: string): void;

  /** GetCalculationExecution; null when the calculation does not exist. */
  loadCalculation(calculationId: string): Promise<Calculation | null>;
  /** GetCalculationExecutionStatus, or the status of a GetCalculationExecution this request already asked for. */
  loadCalculationStatus(calculationId: string): Promise<CalculationStatusResult | null>;
  /** GetCalculationExecutionCode; null when the calculation does not exist. */
  loadCalculationCode(calculationId: string): Promise<string | null>;
  /** ListCalculationExecutions (full upstream pages); null when the session does not exist. */
  loadCalculationPage(key: CalculationPageKey): Promise<CalculationPage | null>;
  /**
   * GetSessionEndpoint, once per request however often the operation names it; null when the
   * session does not exist. Never shared with another request: the answer carries a secret.
   */
  loadSessionEndpoint(sessionId: string): Promise<SessionEndpoint | null>;
  /** Drops what this request holds for a calculation (after it was stopped). */
  forgetCalculation(calculationId: string): void;
}

export interface LoaderOptions {
  /** Most GetSession calls one request runs at once; the rest wait their turn. */
  maxConcurrentDetails?: number;
  /** Cancels this request's upstream calls (client gone, deadline passed). */
  signal?: AbortSignal | undefined;
}

const notFoundAsNull = <T>(promise: Promise<T>): Promise<T | null> =>
  promise.catch((error: unknown) => {
    if (isAthenaError(error, 'not-found')) return null;
    throw error;
  });

export function createLoaders(port: AthenaPort, options: LoaderOptions = {}): Loaders {
  const callOptions: CallOptions = { signal: options.signal };
  const limit = concurrencyLimit(options.maxConcurrentDetails ?? MAX_CONCURRENT_DETAIL_CALLS_PER_REQUEST);
  // Sessions whose details were asked for in this request: a status lookup for one of them
  // waits for that GetSession instead of making a GetSessionStatus call of its own.
  const detailsRequested = new Set<string>();

  const detailsLoader = new DataLoader<string, SessionDetails | null>(async (sessionIds) =>
    settle(sessionIds.map((sessionId) => limit(() => notFoundAsNull(port.getSession(sessionId, callOptions))))),
  );
  const immutableFields = new DataLoader<string, ImmutableSessionFields | null>(async (sessionIds) =>
    settle(
      sessionIds.map((sessionId) => {
        // Already fetching the whole session in this request: its answer holds these fields too.
        if (detailsRequested.has(sessionId)) return detailsLoader.load(sessionId);
        return limit(() =>
          notFoundAsNull(
            port.getImmutableSession(sessionId, callOptions).then(({ fields, details }) => {
              // It took a GetSession after all: a detail field asked later in this request reuses it.
              if (details !== undefined) detailsLoader.prime(sessionId, details);
              return fields;
            }),
          ),
        );
      }),
    ),
  );
  const sessionStatus = new DataLoader<string, SessionStatusResult | null>(async (sessionIds) =>
    settle(
      sessionIds.map((sessionId) =>
        detailsRequested.has(sessionId)
          ? detailsLoader.load(sessionId).then((details) => details && { sessionId, status: details.status })
          : notFoundAsNull(port.getSessionStatus(sessionId, callOptions)),
      ),
    ),
  );

  const sessionPage = new DataLoader<PageKey, SessionPage | null, string>(
    async (keys) =>
      settle(
        keys.map((key) =>
          notFoundAsNull(
            port.listSessions(
              {
                workGroup: key.workGroup,
                stateFilter: key.state,
                maxResults: key.maxResults ?? UPSTREAM_PAGE_SIZE,
                nextToken: key.pageToken,
              },
              callOptions,
            ),
          ),
        ),
      ),
    {
      cacheKeyFn: (key) =>
        JSON.stringify([key.workGroup, key.state ?? '', key.pageToken ?? '', key.maxResults ?? UPSTREAM_PAGE_SIZE]),
    },
  );

  // Calculations: the same shape as sessions. A status asked for a calculation whose details this
  // request already asked for reads them instead of making a GetCalculationExecutionStatus call.
  const calculationDetailsRequested = new Set<string>();
  const calculationDetails = new DataLoader<string, Calculation | null>(async (ids) =>
    settle(ids.map((id) => limit(() => notFoundAsNull(port.getCalculationExecution(id, callOptions))))),
  );
  const calculationStatus = new DataLoader<string, CalculationStatusResult | null>(async (ids) =>
    settle(
      ids.map((id) =>
        calculationDetailsRequested.has(id)
          ? calculationDetails.load(id).then((calculation) => calculation && statusFieldsOf(calculation))
          : limit(() => notFoundAsNull(port.getCalculationExecutionStatus(id, callOptions))),
      ),
    ),
  );
  const calculationCode = new DataLoader<string, string | null>(async (ids) =>
    settle(ids.map((id) => limit(() => notFoundAsNull(port.getCalculationExecutionCode(id, callOptions))))),
  );
  const calculationPage = new DataLoader<CalculationPageKey, CalculationPage | null, string>(
    async (keys) =>
      settle(
        keys.map((key) =>
          notFoundAsNull(
            port.listCalculationExecutions(
              {
                sessionId: key.sessionId,
                stateFilter: key.state,
                maxResults: UPSTREAM_PAGE_SIZE,
                nextToken: key.pageToken,
              },
              callOptions,
            ),
          ),
        ),
      ),
    { cacheKeyFn: (key) => JSON.stringify([key.sessionId, key.state ?? '', key.pageToken ?? '']) },
  );
  // Per request only (this loader dies with the request), so one token never reaches two requests.
  const sessionEndpoint = new DataLoader<string, SessionEndpoint | null>(async (sessionIds) =>
    settle(sessionIds.map((sessionId) => limit(() => notFoundAsNull(port.getSessionEndpoint(sessionId, callOptions))))),
  );
  // Keyed by NextToken, '' for the first page (DataLoader takes no undefined key).
  const workGroupPage = new DataLoader<string, WorkGroupPage>(async (pageTokens) =>
    settle(
      pageTokens.map((token) =>
        port.listWorkGroups(
          { maxResults: WORK_GROUP_PAGE_SIZE, nextToken: token === '' ? undefined : token },
          callOptions,
        ),
      ),
    ),
  );
  const workGroup = new DataLoader<string, WorkGroupSummary | null>(async (names) =>
    settle(names.map((name) => notFoundAsNull(port.getWorkGroup(name, callOptions)))),
  );

  return {
    loadCalculation(calculationId) {
      calculationDetailsRequested.add(calculationId);
      return calculationDetails.load(calculationId);
    },
    loadCalculationStatus: (calculationId) => calculationStatus.load(calculationId),
    loadCalculationCode: (calculationId) => calculationCode.load(calculationId),
    loadCalculationPage: (key) => calculationPage.load(key),
    loadSessionEndpoint: (sessionId) => sessionEndpoint.load(sessionId),
    forgetCalculation(calculationId) {
      calculationDetailsRequested.delete(calculationId);
      calculationDetails.clear(calculationId);
      calculationStatus.clear(calculationId);
    },
    loadDetails(sessionId) {
      detailsRequested.add(sessionId);
      return detailsLoader.load(sessionId);
    },
    loadImmutableFields: (sessionId) => immutableFields.load(sessionId),
    loadStatus: (sessionId) => sessionStatus.load(sessionId),
    loadPage: (key) => sessionPage.load(key),
    loadWorkGroupPage: (pageToken) => workGroupPage.load(pageToken ?? ''),
    loadWorkGroup: (name) => workGroup.load(name),
    forgetSession(sessionId) {
      detailsRequested.delete(sessionId);
      detailsLoader.clear(sessionId);
      sessionStatus.clear(sessionId);
      immutableFields.clear(sessionId);
    },
  };
}

/** DataLoader wants one value or Error per key, in order, and never a rejected batch. */
async function settle<T>(promises: Promise<T>[]): Promise<(T | Error)[]> {
  const results = await Promise.allSettled(promises);
  return results.map((result) =>
    result.status === 'fulfilled'
      ? result.value
      : result.reason instanceof Error
        ? result.reason
        : new Error(String(result.reason)),
  );
}

function concurrencyLimit(max: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
