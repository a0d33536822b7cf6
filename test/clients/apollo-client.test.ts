// The Apollo Client recipe of docs/clients.md, run for real: relay-style paging of the connection
// over HTTP, and the live status subscription over a graphql-ws link, against a listening gateway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  gql,
  HttpLink,
  InMemoryCache,
  type TypedDocumentNode,
} from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { DEFAULT_LIFECYCLE_TIMINGS } from '../../src/local-athena/session-model.js';
import { type Stack, startStack } from '../helpers.js';

interface SessionsData {
  sessions: {
    edges: { cursor: string; node: { id: string; sessionId: string; status: { state: string } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
interface SessionsVariables {
  workGroup: string;
  first: number;
  after?: string | null;
}

const SESSIONS: TypedDocumentNode<SessionsData, SessionsVariables> = gql`
  query Sessions($workGroup: String!, $first: Int!, $after: String) {
    sessions(workGroup: $workGroup, first: $first, after: $after) {
      edges {
        cursor
        node { id sessionId status { state } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const SESSION_STATUS: TypedDocumentNode<
  { sessionStatus: { state: string; endDateTime: string | null } },
  { sessionId: string }
> = gql`
  subscription SessionStatus($sessionId: String!) {
    sessionStatus(sessionId: $sessionId) { state endDateTime }
  }
`;

const SESSION: TypedDocumentNode<
  { session: { id: string; sessionId: string; status: { state: string } } | null },
  { sessionId: string }
> = gql`
  query Session($sessionId: String!) {
    session(sessionId: $sessionId) { id sessionId status { state } }
  }
`;

const TERMINATE = gql`
  mutation Terminate($sessionId: String!) {
    terminateSession(input: { sessionId: $sessionId }) { state }
  }
`;

const clock = new ManualClock();
let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let client: ApolloClient;
let disposeWsClient: () => void;

beforeAll(async () => {
  stack = await startStack({ athena: { clock }, config: { subscriptionPollMs: 50 } });
  server = createServer(stack.yoga);
  webSockets = attachWebSocketServer(server, stack.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  // The recipe: queries and mutations over HTTP, subscriptions over graphql-ws, one cache.
  const wsClient = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket, // a browser has its own; Node needs the `ws` package
    connectionParams: () => ({ authorization: 'Bearer <token>' }), // read by the gateway when auth is on
  });
  disposeWsClient = () => void wsClient.dispose();
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: `http://127.0.0.1:${port}/graphql` }),
  );
  client = new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        // One cached list per work group and state filter; pages are merged by cursor.
        Query: { fields: { sessions: relayStylePagination(['workGroup', 'state']) } },
        WorkGroup: { fields: { sessions: relayStylePagination(['state']) } },
      },
    }),
  });
});

afterAll(async () => {
  client?.stop();
  disposeWsClient?.();
  await webSockets.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

describe('Apollo Client', () => {
  it('pages the sessions connection with fetchMore, merging pages in the cache', async () => {
    const observable = client.watchQuery({ query: SESSIONS, variables: { workGroup: 'ml-experiments', first: 3 } });
    // What a component rendering this query would show, render after render.
    const renders: SessionsData[] = [];
    let rendered: () => void = () => {};
    const subscription = observable.subscribe((result) => {
      if (result.dataState !== 'complete') return;
      renders.push(result.data);
      rendered();
    });
    const nextRender = (longerThan: number) =>
      new Promise<SessionsData>((resolve) => {
        const check = () => {
          const latest = renders.at(-1);
          if (latest !== undefined && latest.sessions.edges.length > longerThan) resolve(latest);
          else rendered = check;
        };
        check();
      });
    try {
      let shown = await nextRender(0);
      expect(shown.sessions.edges).toHaveLength(3);
      while (shown.sessions.pageInfo.hasNextPage) {
        await observable.fetchMore({ variables: { after: shown.sessions.pageInfo.endCursor } });
        // The cache merges the page and the watcher re-renders with the longer list.
        shown = await nextRender(shown.sessions.edges.length);
      }
      const merged = shown.sessions.edges.map((edge) => edge.node.sessionId);

      // Every active session of the work group exactly once, in the API's order.
      const direct = await stack.graphql(
        '{ sessions(workGroup: "ml-experiments", first: 100) { edges { node { sessionId } } } }',
      );
      const expected = direct.data!.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
      expect(expected).toHaveLength(7);
      expect(merged).toEqual(expected);
      // The list grew page by page.
      const lengths = renders.map((render) => render.sessions.edges.length);
      expect(lengths.filter((count, index) => count !== lengths[index - 1])).toEqual([3, 6, 7]);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('receives the status subscription through GraphQLWsLink and copies each status into the cached session', async () => {
    const page = await client.query({
      query: SESSIONS,
      variables: { workGroup: 'analytics', first: 20 },
      fetchPolicy: 'network-only',
    });
    const session = page.data!.sessions.edges.find((edge) => edge.node.status.state === 'IDLE')!.node;
    // A component showing the session from the cache.
    const shown: string[] = [];
    const watching = client
      .watchQuery({ query: SESSION, variables: { sessionId: session.sessionId }, fetchPolicy: 'cache-first' })
      .subscribe((result) => {
        if (result.dataState === 'complete' && result.data.session) shown.push(result.data.session.status.state);
      });

    const states: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.subscribe({ query: SESSION_STATUS, variables: { sessionId: session.sessionId } }).subscribe({
        next: ({ data, error }) => {
          if (error) return reject(error);
          const status = data!.sessionStatus;
          states.push(status.state);
          // docs/clients.md: SessionStatus has no id, so the new status is copied into the cached session.
          client.cache.modify({
            id: client.cache.identify({ __typename: 'Session', id: session.id }),
            fields: { status: () => status },
          });
          if (status.state === 'IDLE')
            void client.mutate({ mutation: TERMINATE, variables: { sessionId: session.sessionId } });
          if (status.state === 'TERMINATING') clock.advance(DEFAULT_LIFECYCLE_TIMINGS.terminatingMs);
        },
        error: reject,
        complete: resolve,
      });
    });
    expect(states).toEqual(['IDLE', 'TERMINATING', 'TERMINATED']);
    // The component re-rendered with the final status without any query of its own.
    await expect.poll(() => shown.at(-1)).toBe('TERMINATED');
    expect(shown[0]).toBe('IDLE');
    watching.unsubscribe();
  });

  it('sees NOT_FOUND for an unknown session as a GraphQL error with its code', async () => {
    const result = await new Promise<{ error?: unknown }>((resolve) => {
      client
        .subscribe({ query: SESSION_STATUS, variables: { sessionId: 'no-such-session' } })
        .subscribe({ next: resolve, error: (error) => resolve({ error }) });
    });
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
    expect((result.error as CombinedGraphQLErrors).errors[0]!.extensions?.code).toBe('NOT_FOUND');
  });
});
