// The benchmark's workloads, W1..W6, as cycles of HTTP requests: the same operation in GraphQL
// (gateway, naive GraphQL, bare server) and as the REST baseline's calls. A connection runs its
// cycle's steps in order, again and again; a step may read its answer to shape the next request
// (a cursor, a session id) and check it (W6: nothing stale after a terminate).

export type RequestStyle = 'graphql' | 'rest';
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'];

/** Data found before the run. */
export interface Fixtures {
  /** W3 reads these sessions' details in turn. */
  detailSessions: string[];
  /** W4's fifty clients poll this session. */
  polledSession: string;
  /** W6 terminates these active sessions, in the order they are listed (newest first). */
  terminatePool: string[];
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** A connection's state through one cycle; autocannon starts each cycle with a fresh one. */
export interface CycleContext {
  cursor?: string | null | undefined;
  sessionId?: string | undefined;
}

export interface StepEnvironment {
  fixtures: Fixtures;
  /** A counter shared by all connections, to take turns through fixtures. */
  next(): number;
  /** The next session to terminate; undefined once the pool is used up. */
  claim(): string | undefined;
}

/** What a check found wrong with an answer. */
export type Problem = 'error' | 'stale';

export interface Step {
  request(context: CycleContext, environment: StepEnvironment): HttpRequest;
  check?(body: string, context: CycleContext): Problem | undefined;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  connections: number;
  steps(style: RequestStyle): Step[];
}

export const WORK_GROUP = 'primary';
export const W6_WORK_GROUP = 'sandbox';

const STATUS_FIELDS = 'state stateChangeReason startDateTime lastModifiedDateTime endDateTime idleSinceDateTime';
const SUMMARY_FIELDS = `id sessionId workGroup description notebookVersion engineVersion { selectedEngineVersion effectiveEngineVersion } status { ${STATUS_FIELDS} }`;
const ENGINE_CONFIGURATION =
  'engineConfiguration { coordinatorDpuSize maxConcurrentDpus defaultExecutorDpuSize sparkProperties { key value } additionalConfigs { key value } }';

const QUERIES = {
  W1: `query W1 { sessions(workGroup: "${WORK_GROUP}", first: 20) { edges { cursor node { ${SUMMARY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
  W2: `query W2 { sessions(workGroup: "${WORK_GROUP}", first: 20) { edges { cursor node { ${SUMMARY_FIELDS} ${ENGINE_CONFIGURATION} } } pageInfo { hasNextPage endCursor } } }`,
  W3: `query W3($id: String!) { session(sessionId: $id) { ${SUMMARY_FIELDS} ${ENGINE_CONFIGURATION} sessionConfiguration { executionRole workingDirectory idleTimeoutSeconds encryptionConfiguration { encryptionOption kmsKey } } statistics { dpuExecutionInMillis } } }`,
  status: `query Status($id: String!) { session(sessionId: $id) { sessionId status { ${STATUS_FIELDS} } } }`,
  W5: `query W5($after: String) { sessions(workGroup: "${WORK_GROUP}", first: 50, after: $after) { edges { cursor node { id sessionId description status { state startDateTime } } } pageInfo { hasNextPage endCursor } } }`,
  W6list: `query W6List { sessions(workGroup: "${W6_WORK_GROUP}", first: 20) { edges { node { sessionId status { state } } } } }`,
  terminate: `mutation Terminate($id: String!) { terminateSession(input: { sessionId: $id }) { state } }`,
};

const GRAPHQL_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
};

function graphql(query: string, variables?: Record<string, unknown>): HttpRequest {
  return {
    method: 'POST',
    path: '/graphql',
    headers: GRAPHQL_HEADERS,
    body: JSON.stringify(variables ? { query, variables } : { query }),
  };
}

function get(path: string): HttpRequest {
  return { method: 'GET', path, headers: {} };
}

/** A GraphQL answer with errors is a failed request even when HTTP says 200. */
const graphqlErrors = (body: string): Problem | undefined => (body.includes('"errors":') ? 'error' : undefined);

/** The parts of the answers the checks read; everything is optional, since a wrong answer is what they look for. */
interface GraphQLAnswer {
  data?: {
    session?: { status?: { state?: string } } | null;
    sessions?: {
      edges?: { node: { sessionId: string } }[];
      pageInfo?: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
}
interface RestListAnswer {
  sessions?: { SessionId: string }[];
  nextToken?: string;
}
interface RestStatusAnswer {
  Status?: { State?: string };
}

function parse<Answer>(body: string): Answer | undefined {
  try {
    return JSON.parse(body) as Answer;
  } catch {
    return undefined;
  }
}

const INACTIVE = new Set(['TERMINATING', 'TERMINATED', 'FAILED']);
const encode = encodeURIComponent;

function simple(style: RequestStyle, graphqlRequest: () => HttpRequest, restRequest: () => HttpRequest): Step[] {
  return style === 'graphql' ? [{ request: graphqlRequest, check: graphqlErrors }] : [{ request: restRequest }];
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'W1',
    title: 'a page of 20 with summary fields',
    connections: 10,
    steps: (style) =>
      simple(
        style,
        () => graphql(QUERIES.W1),
        () => get(`/sessions?workGroup=${WORK_GROUP}&limit=20`),
      ),
  },
  {
    id: 'W2',
    title: 'a page of 20 with engine configuration',
    connections: 10,
    steps: (style) =>
      simple(
        style,
        () => graphql(QUERIES.W2),
        () => get(`/sessions?workGroup=${WORK_GROUP}&limit=20&details=1`),
      ),
  },
  {
    id: 'W3',
    title: 'one session with details (100 sessions in turn)',
    connections: 10,
    steps: (style) => [
      style === 'graphql'
        ? {
            request: (_context, { fixtures, next }) =>
              graphql(QUERIES.W3, { id: pick(fixtures.detailSessions, next()) }),
            check: graphqlErrors,
          }
        : {
            request: (_context, { fixtures, next }) =>
              get(`/sessions/${encode(pick(fixtures.detailSessions, next()))}`),
          },
    ],
  },
  {
    id: 'W4',
    title: '50 clients polling one session’s status',
    connections: 50,
    steps: (style) => [
      style === 'graphql'
        ? {
            request: (_context, { fixtures }) => graphql(QUERIES.status, { id: fixtures.polledSession }),
            check: graphqlErrors,
          }
        : { request: (_context, { fixtures }) => get(`/sessions/${encode(fixtures.polledSession)}/status`) },
    ],
  },
  {
    id: 'W5',
    title: 'walking 250 sessions of a work group, 50 a page, with `after`',
    connections: 10,
    steps: (style) =>
      Array.from(
        { length: 5 },
        (): Step =>
          style === 'graphql'
            ? {
                request: (context) => graphql(QUERIES.W5, { after: context.cursor ?? null }),
                check: (body, context) => {
                  const pageInfo = parse<GraphQLAnswer>(body)?.data?.sessions?.pageInfo;
                  context.cursor = pageInfo?.hasNextPage ? pageInfo.endCursor : null;
                  return pageInfo === undefined ? 'error' : graphqlErrors(body);
                },
              }
            : {
                request: (context) =>
                  get(
                    `/sessions?workGroup=${WORK_GROUP}&limit=50${context.cursor ? `&nextToken=${encode(context.cursor)}` : ''}`,
                  ),
                check: (body, context) => {
                  const answer = parse<RestListAnswer>(body);
                  context.cursor = answer?.nextToken ?? null;
                  return Array.isArray(answer?.sessions) ? undefined : 'error';
                },
              },
      ),
  },
  {
    id: 'W6',
    title: 'a mix with terminates: status, list, terminate, status, list (checked for staleness)',
    connections: 10,
    steps: (style) => (style === 'graphql' ? graphqlTerminateCycle() : restTerminateCycle()),
  },
];

function pick(list: readonly string[], turn: number): string {
  return list[turn % list.length]!;
}

function claimed(context: CycleContext, environment: StepEnvironment): string {
  context.sessionId ??= environment.claim() ?? environment.fixtures.terminatePool.at(-1) ?? 'none';
  return context.sessionId;
}

function graphqlTerminateCycle(): Step[] {
  const status = (context: CycleContext, environment: StepEnvironment) =>
    graphql(QUERIES.status, { id: claimed(context, environment) });
  const list = () => graphql(QUERIES.W6list);
  return [
    { request: status, check: graphqlErrors },
    { request: list, check: graphqlErrors },
    {
      request: (context, environment) => graphql(QUERIES.terminate, { id: claimed(context, environment) }),
      check: graphqlErrors,
    },
    {
      request: status,
      check: (body) => {
        const state = parse<GraphQLAnswer>(body)?.data?.session?.status?.state;
        if (state === undefined) return 'error';
        return INACTIVE.has(state) ? undefined : 'stale';
      },
    },
    {
      request: list,
      check: (body, context) => {
        const edges = parse<GraphQLAnswer>(body)?.data?.sessions?.edges;
        if (edges === undefined) return 'error';
        return edges.some((edge) => edge.node.sessionId === context.sessionId) ? 'stale' : undefined;
      },
    },
  ];
}

function restTerminateCycle(): Step[] {
  const status = (context: CycleContext, environment: StepEnvironment) =>
    get(`/sessions/${encode(claimed(context, environment))}/status`);
  const list = () => get(`/sessions?workGroup=${W6_WORK_GROUP}&limit=20`);
  return [
    { request: status },
    { request: list },
    {
      request: (context, environment) => ({
        method: 'POST',
        path: `/sessions/${encode(claimed(context, environment))}/terminate`,
        headers: {},
      }),
    },
    {
      request: status,
      check: (body) => {
        const state = parse<RestStatusAnswer>(body)?.Status?.State;
        if (state === undefined) return 'error';
        return INACTIVE.has(state) ? undefined : 'stale';
      },
    },
    {
      request: list,
      check: (body, context) => {
        const sessions = parse<RestListAnswer>(body)?.sessions;
        if (sessions === undefined) return 'error';
        return sessions.some((session) => session.SessionId === context.sessionId) ? 'stale' : undefined;
      },
    },
  ];
}

export function workload(id: WorkloadId): Workload {
  const found = WORKLOADS.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`unknown workload ${id}`);
  return found;
}
