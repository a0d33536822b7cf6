// The naive GraphQL baseline: the same schema shape as the gateway (the parts the workloads use),
// written the first way that works: plain graphql-yoga, SDL and graphql-js resolvers, and one
// GetSession per Session node. No DataLoader, no call chosen by selection, no priming from the
// list, no sharing and no cache, so a page of 20 costs a ListSessions and 20 GetSessions.
//
// Environment: ATHENA_ENDPOINT (required), PORT (default 0), AWS_REGION. Prints {"msg":"ready","url":...}.
import { createServer } from 'node:http';
import {
  AthenaClient,
  GetSessionCommand,
  type GetSessionResponse,
  ListSessionsCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { createSchema, createYoga } from 'graphql-yoga';

const endpoint = process.env.ATHENA_ENDPOINT;
if (endpoint === undefined) throw new Error('ATHENA_ENDPOINT is required');
const client = new AthenaClient({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const typeDefs = /* GraphQL */ `
  scalar DateTime
  interface Node { id: ID! }
  type Query {
    session(sessionId: String!): Session
    sessions(workGroup: String!, state: SessionState, first: Int, after: String): SessionConnection!
  }
  type Mutation { terminateSession(input: TerminateSessionInput!): TerminateSessionPayload! }
  input TerminateSessionInput { sessionId: String! clientMutationId: String }
  type TerminateSessionPayload { clientMutationId: String state: SessionState! session: Session }
  enum SessionState { CREATING CREATED IDLE BUSY TERMINATING TERMINATED DEGRADED FAILED }
  type SessionConnection { edges: [SessionEdge!]! pageInfo: PageInfo! }
  type SessionEdge { cursor: String! node: Session! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type Session implements Node {
    id: ID!
    sessionId: String!
    workGroup: String
    description: String
    notebookVersion: String
    engineVersion: EngineVersion
    status: SessionStatus!
    engineConfiguration: EngineConfiguration
    sessionConfiguration: SessionConfiguration
    statistics: SessionStatistics
  }
  type EngineVersion { selectedEngineVersion: String effectiveEngineVersion: String }
  type SessionStatus {
    state: SessionState!
    stateChangeReason: String
    startDateTime: DateTime
    lastModifiedDateTime: DateTime
    endDateTime: DateTime
    idleSinceDateTime: DateTime
  }
  type KeyValuePair { key: String! value: String! }
  type EngineConfiguration {
    coordinatorDpuSize: Int
    maxConcurrentDpus: Int
    defaultExecutorDpuSize: Int
    additionalConfigs: [KeyValuePair!]!
    sparkProperties: [KeyValuePair!]!
  }
  type EncryptionConfiguration { encryptionOption: String kmsKey: String }
  type SessionConfiguration {
    executionRole: String
    workingDirectory: String
    idleTimeoutSeconds: Float
    encryptionConfiguration: EncryptionConfiguration
  }
  type SessionStatistics { dpuExecutionInMillis: Float }
`;

type Session = GetSessionResponse;
const getSession = (sessionId: string): Promise<Session> =>
  client.send(new GetSessionCommand({ SessionId: sessionId }));
const pairs = (map: Record<string, string> | undefined) =>
  Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
const iso = (date: Date | undefined) => date?.toISOString() ?? null;

const schema = createSchema({
  typeDefs,
  resolvers: {
    Query: {
      session: async (_root: unknown, args: { sessionId: string }) => {
        try {
          return await getSession(args.sessionId);
        } catch (error) {
          if (error instanceof Error && error.name === 'ResourceNotFoundException') return null;
          throw error;
        }
      },
      sessions: async (_root: unknown, args: { workGroup: string; state?: string; first?: number; after?: string }) => {
        const output = await client.send(
          new ListSessionsCommand({
            WorkGroup: args.workGroup,
            StateFilter: args.state as never,
            MaxResults: args.first ?? 20,
            NextToken: args.after ?? undefined,
          }),
        );
        const sessions = output.Sessions ?? [];
        return {
          edges: sessions.map((session) => ({
            cursor: Buffer.from(session.SessionId ?? '').toString('base64'),
            sessionId: session.SessionId,
          })),
          pageInfo: {
            hasNextPage: output.NextToken !== undefined,
            hasPreviousPage: false,
            startCursor: null,
            endCursor: output.NextToken ?? null,
          },
        };
      },
    },
    Mutation: {
      terminateSession: async (_root: unknown, args: { input: { sessionId: string; clientMutationId?: string } }) => {
        const output = await client.send(new TerminateSessionCommand({ SessionId: args.input.sessionId }));
        return { clientMutationId: args.input.clientMutationId, state: output.State, sessionId: args.input.sessionId };
      },
    },
    TerminateSessionPayload: {
      session: (payload: { sessionId: string }) => getSession(payload.sessionId),
    },
    SessionEdge: {
      node: (edge: { sessionId: string }) => getSession(edge.sessionId),
    },
    Session: {
      id: (session: Session) => Buffer.from(`Session:${session.SessionId}`).toString('base64'),
      sessionId: (session: Session) => session.SessionId,
      workGroup: (session: Session) => session.WorkGroup,
      description: (session: Session) => session.Description,
      notebookVersion: (session: Session) => session.NotebookVersion,
      engineVersion: (session: Session) =>
        session.EngineVersion === undefined ? null : { effectiveEngineVersion: session.EngineVersion },
      status: (session: Session) => ({
        state: session.Status?.State,
        stateChangeReason: session.Status?.StateChangeReason,
        startDateTime: iso(session.Status?.StartDateTime),
        lastModifiedDateTime: iso(session.Status?.LastModifiedDateTime),
        endDateTime: iso(session.Status?.EndDateTime),
        idleSinceDateTime: iso(session.Status?.IdleSinceDateTime),
      }),
      engineConfiguration: (session: Session) =>
        session.EngineConfiguration && {
          coordinatorDpuSize: session.EngineConfiguration.CoordinatorDpuSize,
          maxConcurrentDpus: session.EngineConfiguration.MaxConcurrentDpus,
          defaultExecutorDpuSize: session.EngineConfiguration.DefaultExecutorDpuSize,
          additionalConfigs: pairs(session.EngineConfiguration.AdditionalConfigs),
          sparkProperties: pairs(session.EngineConfiguration.SparkProperties),
        },
      sessionConfiguration: (session: Session) =>
        session.SessionConfiguration && {
          executionRole: session.SessionConfiguration.ExecutionRole,
          workingDirectory: session.SessionConfiguration.WorkingDirectory,
          idleTimeoutSeconds: session.SessionConfiguration.IdleTimeoutSeconds,
          encryptionConfiguration: session.SessionConfiguration.EncryptionConfiguration && {
            encryptionOption: session.SessionConfiguration.EncryptionConfiguration.EncryptionOption,
            kmsKey: session.SessionConfiguration.EncryptionConfiguration.KmsKey,
          },
        },
      statistics: (session: Session) =>
        session.Statistics && { dpuExecutionInMillis: session.Statistics.DpuExecutionInMillis },
    },
  },
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false, graphiql: false });
const server = createServer(yoga);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
