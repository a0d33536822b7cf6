// A real federation gateway runtime (@apollo/gateway in Apollo Server) over subgraphs on loopback.
// It composes the supergraph from each subgraph's `_service { sdl }`, as a router does without a
// registry, and forwards the caller's headers the way docs/federation.md tells a router to.

import {
  ApolloGateway,
  type GraphQLDataSourceProcessOptions,
  IntrospectAndCompose,
  RemoteGraphQLDataSource,
} from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { silentLogger } from './teams-subgraph.js';

/** What a router passes on to every subgraph: the caller's token and the request id for logs. */
export const FORWARDED_HEADERS = ['authorization', 'x-request-id'] as const;

interface RouterContext {
  forwarded: Partial<Record<(typeof FORWARDED_HEADERS)[number], string>>;
}

export interface FederationGateway {
  url: string;
  /** POSTs one operation to the gateway over HTTP. */
  query<Data = Record<string, any>>(
    query: string,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    data?: Data | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  }>;
  stop(): Promise<void>;
}

function forwardHeaders({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
  // Schema loading and health checks have no incoming request, so nothing to forward.
  const forwarded = (context as Partial<RouterContext>).forwarded ?? {};
  for (const name of FORWARDED_HEADERS) {
    const value = forwarded[name];
    if (value !== undefined) request.http?.headers.set(name, value);
  }
}

export async function startFederationGateway(
  subgraphs: { name: string; url: string }[],
  /** Sent when the gateway fetches `_service { sdl }`: a subgraph with auth on wants a token for it too. */
  introspectionHeaders: Record<string, string> = {},
  /** Apollo Server plugins of the router, e.g. one that asks the subgraphs for ftv1 traces. */
  plugins: ApolloServerPlugin<RouterContext>[] = [],
): Promise<FederationGateway> {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs, logger: silentLogger, introspectionHeaders }),
    buildService: ({ url }) => new RemoteGraphQLDataSource<RouterContext>({ url, willSendRequest: forwardHeaders }),
    logger: silentLogger,
  });
  const server = new ApolloServer<RouterContext>({ gateway, logger: silentLogger, plugins });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({
      forwarded: Object.fromEntries(
        FORWARDED_HEADERS.flatMap((name) => {
          const value = req.headers[name];
          return typeof value === 'string' ? [[name, value]] : [];
        }),
      ),
    }),
  });
  return {
    url,
    query: async (query, headers = {}) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    stop: () => server.stop(),
  };
}
