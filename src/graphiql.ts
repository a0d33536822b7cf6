// The documents GraphiQL opens with: they work against the demo data as they stand.
export const DEFAULT_GRAPHIQL_DOCUMENT = `# Welcome to the Athena Spark sessions gateway.
# The demo work groups are primary, analytics, ml-experiments and sandbox.

query RecentSessions {
  sessions(workGroup: "primary", first: 10) {
    edges {
      cursor
      node {
        id
        sessionId
        description
        engineVersion { effectiveEngineVersion }
        status { state startDateTime idleSinceDateTime }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

# Paste a sessionId from the result above.
query SessionWithConfiguration($sessionId: String! = "replace-with-a-session-id") {
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
    sessionConfiguration { executionRole workingDirectory idleTimeoutSeconds }
    statistics { dpuExecutionInMillis }
  }
}

# Terminating is real: uncomment to end a session.
# mutation Terminate {
#   terminateSession(input: { sessionId: "replace-with-a-session-id", clientMutationId: "graphiql" }) {
#     clientMutationId
#     state
#     session { status { state stateChangeReason endDateTime } }
#   }
# }
`;
