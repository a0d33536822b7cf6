// A second subgraph, written the way another team would write theirs (SDL-first, Apollo Server):
// teams list Athena sessions by key, point at their work group, and add `owner` to Session.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

export const TEAMS_TYPE_DEFS = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    teams: [Team!]!
    team(id: ID!): Team
  }

  """A team of people that owns Spark sessions."""
  type Team @key(fields: "id") {
    id: ID!
    name: String!
    "The work group the team works in."
    workGroup: WorkGroup
    "The team's sessions; null for one that no longer exists or that the caller may not see."
    sessions: [Session]!
  }

  type Session @key(fields: "sessionId") {
    sessionId: String!
    "The team that owns the session."
    owner: Team
  }

  type WorkGroup @key(fields: "name", resolvable: false) {
    name: String!
  }
`);

export interface Team {
  id: string;
  name: string;
  workGroup: string;
  sessionIds: string[];
}

export interface TeamsSubgraph {
  url: string;
  /** The authorization header of each request the subgraph received, in order. */
  authorizations: (string | undefined)[];
  /** The operations the subgraph received, in order. */
  operations: string[];
  stop(): Promise<void>;
}

interface TeamsContext {
  authorization: string | undefined;
}

export function buildTeamsSchema(teams: readonly Team[]) {
  const ownerOf = (sessionId: string) => teams.find((team) => team.sessionIds.includes(sessionId)) ?? null;
  return buildSubgraphSchema({
    typeDefs: TEAMS_TYPE_DEFS,
    resolvers: {
      Query: {
        teams: () => teams,
        team: (_root: unknown, { id }: { id: string }) => teams.find((team) => team.id === id) ?? null,
      },
      Team: {
        __resolveReference: ({ id }: { id: string }) => teams.find((team) => team.id === id) ?? null,
        workGroup: (team: Team) => ({ name: team.workGroup }),
        sessions: (team: Team) => team.sessionIds.map((sessionId) => ({ sessionId })),
      },
      Session: {
        __resolveReference: ({ sessionId }: { sessionId: string }) => ({ sessionId }),
        owner: ({ sessionId }: { sessionId: string }) => ownerOf(sessionId),
      },
    },
  });
}

export async function startTeamsSubgraph(teams: readonly Team[]): Promise<TeamsSubgraph> {
  const authorizations: (string | undefined)[] = [];
  const operations: string[] = [];
  const server = new ApolloServer<TeamsContext>({ schema: buildTeamsSchema(teams), logger: silentLogger });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => {
      authorizations.push(req.headers.authorization);
      operations.push(String((req as { body?: { query?: unknown } }).body?.query ?? ''));
      return { authorization: req.headers.authorization };
    },
  });
  return { url, authorizations, operations, stop: () => server.stop() };
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
