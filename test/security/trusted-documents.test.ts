// TRUSTED_DOCUMENTS: only the manifest's operations run, by id; anything else is refused with the
// standard codes before it is parsed. The manifest comes from the real tools: relay-compiler's
// persistConfig, and the hashes Apollo Client's persisted-queries link sends; it reloads without a restart.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ApolloClient, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { addTypenameToDocument } from '@apollo/client/utilities';
import { type DocumentNode, print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrustedDocuments } from '../../src/security/trusted-documents.js';
import { type Stack, startStack } from '../helpers.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const SESSIONS = 'query Sessions { sessions(workGroup: "primary", first: 2) { edges { node { sessionId } } } }';
const LATER = 'query Later { sessions(workGroup: "analytics", first: 1) { edges { node { sessionId } } } }';

let dir: string;
let manifestPath: string;
let stack: Stack;
let trusted: TrustedDocuments;
const reloads: unknown[] = [];

async function writeManifest(documents: Record<string, string>): Promise<void> {
  // As a deploy does: a new file renamed over the old one.
  const next = `${manifestPath}.next`;
  await writeFile(next, JSON.stringify(documents));
  await rename(next, manifestPath);
}

async function post(body: Record<string, unknown>) {
  const response = await stack.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trusted-documents-'));
  manifestPath = join(dir, 'persisted-documents.json');
  await writeManifest({ [sha256(SESSIONS)]: SESSIONS });
  trusted = new TrustedDocuments(manifestPath, { onReload: (outcome) => reloads.push(outcome) });
  trusted.watch(20);
  stack = await startStack({ gateway: { trustedDocuments: trusted } });
});
afterAll(async () => {
  trusted.close();
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => stack.resetCalls());

describe("only the manifest's operations run", () => {
  it("by Apollo's extensions.persistedQuery.sha256Hash, by Relay's doc_id, and by documentId", async () => {
    const id = sha256(SESSIONS);
    for (const body of [
      { extensions: { persistedQuery: { version: 1, sha256Hash: id } } },
      { doc_id: id },
      { documentId: id },
    ]) {
      const result = await post(body);
      expect(result.errors).toBeUndefined();
      expect(result.data.sessions.edges).toHaveLength(2);
    }
  });

  it('refuses an unknown id with PERSISTED_QUERY_NOT_IN_LIST and a text with PERSISTED_QUERY_ID_REQUIRED, before parsing and upstream calls', async () => {
    expect((await post({ doc_id: sha256('query Other { __typename }') })).errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_IN_LIST',
    );
    expect((await post({ query: SESSIONS })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    // Not parsed: a text that would be a syntax error gets the same refusal, not GRAPHQL_PARSE_FAILED.
    expect((await post({ query: '{ sessions(' })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    expect((await post({ variables: {} })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    expect(stack.calls()).toEqual({});
  });

  it('a new manifest takes effect without a restart (file watch), and a broken one leaves the last good one in force', async () => {
    const later = sha256(LATER);
    expect((await post({ doc_id: later })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    await writeManifest({ [sha256(SESSIONS)]: SESSIONS, [later]: LATER });
    await expect.poll(() => trusted.get(later), { timeout: 5_000 }).toBe(LATER);
    expect((await post({ doc_id: later })).data.sessions.edges).toHaveLength(1);

    reloads.length = 0;
    await writeManifest({ [later]: 42 } as unknown as Record<string, string>);
    await expect.poll(() => reloads.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(reloads[0]).toMatchObject({ ok: false });
    expect((await post({ doc_id: later })).errors).toBeUndefined();

    // What SIGHUP does in the CLI.
    await writeManifest({ [sha256(SESSIONS)]: SESSIONS });
    await trusted.reload();
    expect((await post({ doc_id: later })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });
});

describe('with the real clients', () => {
  it("relay-compiler's persistConfig manifest, served by a gateway started with it, answers Relay's doc_id requests", async () => {
    const project = join(dir, 'relay-app');
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(project, 'src', 'SessionsPage.js'),
      `import { graphql } from 'react-relay';
export const query = graphql\`
  query SessionsPageQuery($workGroup: String!, $first: Int) {
    sessions(workGroup: $workGroup, first: $first) {
      edges { node { id ...SessionsPageRow_session } }
      pageInfo { hasNextPage endCursor }
    }
  }
\`;
export const row = graphql\`
  fragment SessionsPageRow_session on Session { sessionId status { state } }
\`;
`,
    );
    const manifest = join(project, 'persisted-documents.json');
    await writeFile(manifest, '{}');
    await writeFile(
      join(project, 'relay.config.json'),
      JSON.stringify({
        src: './src',
        schema: resolve('schema.graphql'),
        language: 'javascript',
        persistConfig: { file: './persisted-documents.json', algorithm: 'SHA256' },
      }),
    );
    await promisify(execFile)(resolve('node_modules/.bin/relay-compiler'), [], { cwd: project, timeout: 60_000 });

    const artifact = (await import(
      pathToFileURL(join(project, 'src', '__generated__', 'SessionsPageQuery.graphql.js')).href
    )) as {
      default: { params: { id: string; name: string } };
    };
    const { id, name } = artifact.default.params;
    expect(JSON.parse(await readFile(manifest, 'utf8'))).toHaveProperty(id);

    const relayStack = await startStack({ config: { trustedDocumentsPath: manifest } });
    try {
      // What a Relay network layer's fetchFn sends for a persisted operation.
      const response = await relayStack.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ doc_id: id, operationName: name, variables: { workGroup: 'primary', first: 3 } }),
      });
      const result = (await response.json()) as { data?: any; errors?: unknown };
      expect(result.errors).toBeUndefined();
      expect(result.data.sessions.edges).toHaveLength(3);
      expect(result.data.sessions.edges[0].node).toMatchObject({
        id: expect.any(String),
        sessionId: expect.any(String),
        status: { state: expect.any(String) },
      });
    } finally {
      await relayStack.close();
    }
  });

  it("Apollo Client's persisted-queries link sends ids only, and is not told to retry with the text", async () => {
    const known = gql`query Known { sessions(workGroup: "primary", first: 1) { edges { node { sessionId } } } }`;
    const unknown = gql`query Unknown { sessions(workGroup: "sandbox", first: 1) { edges { node { sessionId } } } }`;
    // The build step: the manifest holds what the client sends (its cache adds __typename), by hash.
    const sent = (document: DocumentNode) => print(addTypenameToDocument(document));
    const apolloManifest = join(dir, 'apollo-documents.json');
    await writeFile(apolloManifest, JSON.stringify({ [sha256(sent(known))]: sent(known) }));

    const apolloStack = await startStack({ config: { trustedDocumentsPath: apolloManifest } });
    const bodies: Record<string, unknown>[] = [];
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: createPersistedQueryLink({ sha256 }).concat(
        new HttpLink({
          uri: 'http://gateway.test/graphql',
          fetch: async (url, init) => {
            bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
            return apolloStack.yoga.fetch(String(url), init as RequestInit);
          },
        }),
      ),
    });
    try {
      const result = await client.query<{ sessions: { edges: unknown[] } }>({ query: known });
      expect(result.data?.sessions.edges).toHaveLength(1);
      expect(bodies[0]).not.toHaveProperty('query');
      expect(bodies[0]).toMatchObject({
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(sent(known)) } },
      });

      bodies.length = 0;
      const refused = await client.query({ query: unknown, errorPolicy: 'all' });
      expect(CombinedGraphQLErrors.is(refused.error) && refused.error.errors[0]?.extensions?.code).toBe(
        'PERSISTED_QUERY_NOT_IN_LIST',
      );
      expect(bodies).toHaveLength(1);
    } finally {
      client.stop();
      await apolloStack.close();
    }
  });
});
