// What GraphiQL opens with: one tab per thing a newcomer wants to try, each runnable as it stands
// against the embedded demo data. The assets themselves are inlined by @graphql-yoga/render-graphiql
// (server.ts), so nothing here, nor the page, needs the internet.
import type { GraphiQLOptions } from 'graphql-yoga';
import type { GatewayConfig } from '../config.js';

/**
 * An IDLE session in the demo work group `primary`. The demo seed is deterministic, so this id
 * exists in every process started with the demo data (a test keeps it honest).
 */
export const DEMO_SESSION_ID = 'd1689d45-d20c-4671-a390-2de64e41995f';

const PLACEHOLDER_SESSION_ID = 'paste-a-sessionId-from-the-sessions-tab';

export const SESSIONS_DOCUMENT = `# The newest active sessions of a work group, 10 a page.
# Demo work groups: primary, analytics, ml-experiments and
# sandbox. Next page: set the variables below to
# {"after": "<pageInfo.endCursor of this page>"}.
query Sessions($workGroup: String! = "primary", $after: String) {
  sessions(workGroup: $workGroup, first: 10, after: $after) {
    edges {
      node {
        sessionId
        description
        engineVersion { effectiveEngineVersion }
        status { state startDateTime idleSinceDateTime }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export const ALL_SESSIONS_DOCUMENT = `# The newest sessions across work groups, 10 a page:
# every Spark work group you may see, or up to 20 named
# in the variables, e.g. {"workGroups": ["primary", "analytics"]}.
# Next page: add "after": "<pageInfo.endCursor of this page>".
query AllSessions($workGroups: [String!], $after: String) {
  allSessions(workGroups: $workGroups, first: 10, after: $after) {
    edges {
      node {
        sessionId
        workGroup
        description
        status { state startDateTime }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export const SESSION_DOCUMENT = `# One session with its configuration (one GetSession upstream).
query SessionWithConfiguration($sessionId: String!) {
  session(sessionId: $sessionId) {
    sessionId
    workGroup
    description
    status { state stateChangeReason startDateTime lastModifiedDateTime endDateTime }
    engineConfiguration {
      maxConcurrentDpus
      coordinatorDpuSize
      defaultExecutorDpuSize
      sparkProperties { key value }
    }
    sessionConfiguration {
      executionRole
      workingDirectory
      idleTimeoutSeconds
      encryptionConfiguration { encryptionOption }
    }
    statistics { dpuExecutionInMillis }
  }
}
`;

export const WATCH_DOCUMENT = `# Live status: the current status at once, then each
# change, until the session is TERMINATED or FAILED.
# Run it, then terminate the session from another window
# (GraphiQL runs one operation at a time and switching
# tabs stops it) and watch the state change here.
subscription WatchSession($sessionId: String!) {
  sessionStatus(sessionId: $sessionId) {
    state
    stateChangeReason
    lastModifiedDateTime
    idleSinceDateTime
    endDateTime
  }
}
`;

export const TERMINATE_DOCUMENT = `# Terminating is real: the session stops for good.
# Uncomment to run it.
# mutation Terminate($sessionId: String!) {
#   terminateSession(input: { sessionId: $sessionId, clientMutationId: "graphiql" }) {
#     clientMutationId
#     state
#     session { status { state stateChangeReason endDateTime } }
#   }
# }
`;

export const CALCULATIONS_DOCUMENT = `# The calculations of a session, newest first
# (one ListCalculationExecutions upstream). Start one in
# the next tab, then run this again.
query SessionCalculations($sessionId: String!) {
  session(sessionId: $sessionId) {
    sessionId
    status { state }
    calculations(first: 10) {
      edges {
        node {
          calculationId
          description
          status { state submissionDateTime completionDateTime }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`;

export const START_CALCULATION_DOCUMENT = `# Runs code in an IDLE session (PySpark engine version 3;
# Spark 3.5 sessions run code through Spark Connect, see
# the SparkConnectEndpoint tab). Copy the calculationId
# into the WatchCalculation tab to follow it.
mutation StartCalculation($sessionId: String!) {
  startCalculation(input: {
    sessionId: $sessionId
    codeBlock: "spark.range(1000).count()"
    description: "from GraphiQL"
  }) {
    calculation { calculationId description status { state } }
  }
}
`;

export const WATCH_CALCULATION_DOCUMENT = `# Live status of a calculation: the current status at once,
# then each change, until it is COMPLETED, FAILED or
# CANCELED. Paste a calculationId from the StartCalculation
# tab into the variables below.
subscription WatchCalculation($calculationId: String!) {
  calculationStatus(calculationId: $calculationId) {
    state
    stateChangeReason
    submissionDateTime
    completionDateTime
  }
}
`;

export const ENDPOINT_DOCUMENT = `# Spark Connect: where a Spark 3.5 session takes code
# (ml-experiments runs Spark 3.5 in the demo). Asked of
# Athena afresh every time, never cached; with auth on it
# needs the sessions:connect scope. Add authToken to the
# selection to get the token a Spark Connect client needs.
query SparkConnectEndpoint {
  workGroup(name: "ml-experiments") {
    sessions(state: IDLE, first: 1) {
      edges {
        node {
          sessionId
          engineVersion { effectiveEngineVersion }
          endpoint { url authTokenExpiresAt }
        }
      }
    }
  }
}
`;

const PLACEHOLDER_CALCULATION_ID = 'paste-a-calculationId';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The example the headers editor opens with when bearer tokens are required. */
export const AUTHORIZATION_EXAMPLE = { Authorization: 'Bearer <paste a JWT with the sessions:read scope>' };

export function graphiqlOptions(config: GatewayConfig): GraphiQLOptions {
  const demo = config.athena.mode === 'embedded' && config.localSeed === 'demo';
  const session = json({ sessionId: demo ? DEMO_SESSION_ID : PLACEHOLDER_SESSION_ID });
  const authRequired = !config.auth.disabled;
  const headers = authRequired ? json(AUTHORIZATION_EXAMPLE) : undefined;
  return {
    title: 'Athena Spark sessions',
    defaultQuery: SESSIONS_DOCUMENT,
    defaultTabs: [
      // Runs with no variables: GraphiQL does not fill the variables editor of the tab it opens on.
      { query: SESSIONS_DOCUMENT, headers },
      { query: ALL_SESSIONS_DOCUMENT, headers },
      { query: SESSION_DOCUMENT, variables: session, headers },
      { query: WATCH_DOCUMENT, variables: session, headers },
      { query: TERMINATE_DOCUMENT, variables: session, headers },
      { query: CALCULATIONS_DOCUMENT, variables: session, headers },
      { query: START_CALCULATION_DOCUMENT, variables: session, headers },
      { query: WATCH_CALCULATION_DOCUMENT, variables: json({ calculationId: PLACEHOLDER_CALCULATION_ID }), headers },
      { query: ENDPOINT_DOCUMENT, headers },
    ],
    ...(headers === undefined ? {} : { headers, defaultHeaders: headers }),
    // Tokens stay out of the browser's storage.
    shouldPersistHeaders: false,
    // Open where the first edit is needed: the token when auth is on, else the variables.
    defaultEditorToolsVisibility: authRequired ? 'headers' : 'variables',
    // Server-Sent Events: the same port and path as queries, through any proxy that passes HTTP.
    subscriptionsProtocol: 'SSE',
  };
}
