// Relay for real: relay-compiler compiles a small app against schema.graphql, and relay-runtime's
// Environment, with the network layer docs/clients.md shows (fetch for queries and mutations, graphql-ws
// for subscriptions), runs its query, mutation and subscription against a gateway on a real socket; then
// the same app compiled with persistConfig runs by doc_id against a gateway that accepts only its manifest.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import {
  ConnectionHandler,
  commitMutation,
  Environment,
  type FetchFunction,
  fetchQuery,
  type GraphQLResponse,
  type GraphQLTaggedNode,
  Network,
  Observable,
  RecordSource,
  requestSubscription,
  Store,
  type SubscribeFunction,
} from 'relay-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { type Stack, startStack } from '../helpers.js';

const APP = `import { graphql } from 'react-relay';
export const list = graphql\`
  query AppSessionsQuery($workGroup: String!, $first: Int, $after: String) {
    sessions(workGroup: $workGroup, first: $first, after: $after) @connection(key: "App_sessions", filters: ["workGroup"]) {
      edges { node { id sessionId status { state } } }
    }
  }
\`;
export const terminate = graphql\`
  mutation AppTerminateMutation($input: TerminateSessionInput!) {
    terminateSession(input: $input) { session { id status { state } } }
  }
\`;
export const watch = graphql\`
  subscription AppWatchSubscription($sessionId: String!) {
    sessionStatus(sessionId: $sessionId) { state }
  }
\`;
`;

interface CompiledApp {
  list: GraphQLTaggedNode & { params: { id: string | null; text: string | null } };
  terminate: GraphQLTaggedNode;
  watch: GraphQLTaggedNode;
  manifest: string;
}

let dir: string;

/** Writes the app, runs the real relay-compiler on it and imports the artifacts it generated. */
async function compile(name: string, persisted: boolean): Promise<CompiledApp> {
  const project = join(dir, name);
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(join(project, 'src', 'App.js'), APP);
  const manifest = join(project, 'persisted-documents.json');
  await writeFile(manifest, '{}');
  await writeFile(
    join(project, 'relay.config.json'),
    JSON.stringify({
      src: './src',
      schema: resolve('schema.graphql'),
      language: 'javascript',
      ...(persisted ? { persistConfig: { file: './persisted-documents.json', algorithm: 'SHA256' } } : {}),
    }),
  );
  await promisify(execFile)(resolve('node_modules/.bin/relay-compiler'), [], { cwd: project, timeout: 60_000 });
  const artifact = async (file: string) =>
    (
      (await import(pathToFileURL(join(project, 'src', '__generated__', `${file}.graphql.js`)).href)) as {
        default: any;
      }
    ).default;
  return {
    list: await artifact('AppSessionsQuery'),
    terminate: await artifact('AppTerminateMutation'),
    watch: await artifact('AppWatchSubscription'),
    manifest,
  };
}

interface LiveGateway {
  stack: Stack;
  server: Server;
  webSockets: AttachedWebSocketServer;
  url: string;
}

async function listen(stack: Stack): Promise<LiveGateway> {
  const server = createServer(stack.yoga);
  const webSockets = attachWebSocketServer(server, stack.yoga);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { stack, server, webSockets, url: `127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

async function close(gateway: LiveGateway): Promise<void> {
  await gateway.webSockets.dispose();
  gateway.server.closeAllConnections();
  await new Promise((done) => gateway.server.close(done));
  await gateway.stack.close();
}

/** docs/clients.md's Relay environment; `persisted` sends `doc_id` instead of the text, as Relay's persisted queries do. */
function relayEnvironment(url: string, persisted: boolean) {
  const fetchFn: FetchFunction = async (request, variables) => {
    const response = await fetch(`http://${url}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
      },
      body: JSON.stringify(
        persisted
          ? { doc_id: request.id, operationName: request.name, variables }
          : { query: request.text, operationName: request.name, variables },
      ),
    });
    return await response.json();
  };
  const wsClient = createClient({ url: `ws://${url}`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const subscribeFn: SubscribeFunction = (operation, variables) =>
    Observable.create((sink) => {
      if (!operation.text) return sink.error(new Error('Operation text cannot be empty'));
      return wsClient.subscribe(
        { operationName: operation.name, query: operation.text, variables },
        {
          next: (value) => sink.next(value as GraphQLResponse),
          error: (error) => sink.error(error as Error),
          complete: () => sink.complete(),
        },
      );
    });
  const environment = new Environment({
    network: Network.create(fetchFn, subscribeFn),
    store: new Store(new RecordSource()),
  });
  return { environment, dispose: () => wsClient.dispose() };
}

/** The connection's nodes as Relay's store holds them, after its ConnectionHandler merged the pages. */
function storedSessions(environment: Environment, workGroup: string) {
  const root = environment.getStore().getSource().get('client:root');
  expect(root).toBeDefined();
  let nodes: { sessionId: unknown; state: unknown }[] = [];
  environment.commitUpdate((store) => {
    const connection = ConnectionHandler.getConnection(store.getRoot(), 'App_sessions', { workGroup });
    nodes = (connection?.getLinkedRecords('edges') ?? []).map((edge) => {
      const node = edge!.getLinkedRecord('node')!;
      return { sessionId: node.getValue('sessionId'), state: node.getLinkedRecord('status')?.getValue('state') };
    });
  });
  return nodes;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-runtime-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay-runtime against the gateway', () => {
  let gateway: LiveGateway;
  let app: CompiledApp;

  beforeAll(async () => {
    app = await compile('text-app', false);
    gateway = await listen(await startStack({ config: { subscriptionPollMs: 50 } }));
  });
  afterAll(async () => close(gateway));

  it('pages a connection into the store, then a subscription sees the terminate a mutation sent', async () => {
    const { environment, dispose } = relayEnvironment(gateway.url, false);
    try {
      const first = (await fetchQuery(environment, app.list, { workGroup: 'primary', first: 3 }).toPromise()) as any;
      expect(first.sessions.edges).toHaveLength(3);
      expect(first.sessions.pageInfo.hasNextPage).toBe(true);
      await fetchQuery(environment, app.list, {
        workGroup: 'primary',
        first: 3,
        after: first.sessions.pageInfo.endCursor,
      }).toPromise();
      // Relay's ConnectionHandler appended page 2 to page 1 under one connection: the cursors and
      // pageInfo follow the Relay connection spec, and the ids are stable across the two pages.
      const stored = storedSessions(environment, 'primary');
      expect(stored).toHaveLength(6);
      expect(new Set(stored.map((node) => node.sessionId)).size).toBe(6);

      const idle = (await fetchQuery(environment, app.list, { workGroup: 'analytics', first: 20 }).toPromise()) as any;
      const target = idle.sessions.edges.find((edge: any) => edge.node.status.state === 'IDLE')?.node;
      expect(target).toBeDefined();

      const seen: string[] = [];
      let watching: () => void = () => {};
      const started = new Promise<void>((done) => {
        watching = done;
      });
      const ended = new Promise<void>((done, fail) => {
        requestSubscription(environment, {
          subscription: app.watch,
          variables: { sessionId: target.sessionId },
          onNext: (response: any) => {
            seen.push(response.sessionStatus.state);
            watching();
            if (response.sessionStatus.state === 'TERMINATED') done();
          },
          onError: fail,
        });
      });
      // The subscription's first event is the current state; terminate only once it has arrived.
      await started;
      await new Promise<void>((done, fail) =>
        commitMutation(environment, {
          mutation: app.terminate,
          variables: { input: { sessionId: target.sessionId } },
          onCompleted: (_response, errors) => (errors ? fail(errors) : done()),
          onError: fail,
        }),
      );
      // The mutation's payload updated the session's record in the store, found by its global id.
      const record = environment.getStore().getSource().get(target.id);
      expect(record).toBeDefined();
      await ended;
      expect(seen[0]).toBe('IDLE');
      expect(seen.at(-1)).toBe('TERMINATED');
    } finally {
      await dispose();
    }
  });
});

describe('relay-runtime with persisted queries', () => {
  it('runs by doc_id against a gateway that accepts only the manifest relay-compiler wrote', async () => {
    const app = await compile('persisted-app', true);
    expect(app.list.params.text).toBeNull();
    expect(app.list.params.id).toMatch(/^[0-9a-f]{64}$/);
    const gateway = await listen(await startStack({ config: { trustedDocumentsPath: app.manifest } }));
    const { environment, dispose } = relayEnvironment(gateway.url, true);
    try {
      gateway.stack.resetCalls();
      const page = (await fetchQuery(environment, app.list, { workGroup: 'primary', first: 2 }).toPromise()) as any;
      expect(page.sessions.edges).toHaveLength(2);
      expect(storedSessions(environment, 'primary')).toHaveLength(2);
      expect(gateway.stack.calls()).toEqual({ ListSessions: 1 });

      // A document that is not in the manifest is refused before any upstream call.
      const response = await fetch(`http://${gateway.url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: '{ sessions(workGroup: "primary", first: 1) { edges { cursor } } }' }),
      });
      const refused = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(refused.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(gateway.stack.calls()).toEqual({ ListSessions: 1 });
    } finally {
      await dispose();
      await close(gateway);
    }
  });
});
