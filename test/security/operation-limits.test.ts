// The limits admit every legitimate extreme of this schema and refuse one step beyond; the cost
// is pessimistic about variables; rejections are 400 under any Accept; the parse cache stays
// bounded under a flood of unique documents.
import {
  type GraphQLNamedType,
  getIntrospectionQuery,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Lexer,
  parse,
  Source,
  TokenKind,
} from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_DOCUMENT, SESSIONS_DOCUMENT, WATCH_DOCUMENT } from '../../src/http/graphiql.js';
import { getSchema } from '../../src/schema/index.js';
import {
  createDocumentCaches,
  DEFAULT_DOCUMENT_CACHE_LIMITS,
  type DocumentCaches,
} from '../../src/security/document-cache.js';
import {
  DOCUMENT_CACHE_MAX_CHARACTERS,
  DOCUMENT_CACHE_MAX_ENTRIES,
  ERROR_CACHE_MAX_CHARACTERS,
  ERROR_CACHE_MAX_ENTRIES,
  MAX_ALIASES,
  MAX_COST,
  MAX_DEPTH,
  MAX_DIRECTIVES,
  MAX_INTROSPECTION_DEPTH,
  MAX_REQUEST_BODY_BYTES,
  MAX_TOKENS,
} from '../../src/security/limits.js';
import { operationCost } from '../../src/security/operation-cost.js';
import { type Stack, startStack } from '../helpers.js';
import { bearer, post, repeat, send, startProductionStack, token } from './support.js';

const tokenCount = (document: string) => {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  return count;
};

const costOf = (document: string) => {
  const ast = parse(document);
  const fragments = new Map(
    ast.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])),
  );
  const operation = ast.definitions.find((d) => d.kind === 'OperationDefinition');
  if (operation?.kind !== 'OperationDefinition') throw new Error('no operation');
  return operationCost(getSchema(), operation, fragments);
};

/** Every field of a Session, nested objects included. */
const ALL_SESSION_FIELDS = `id sessionId workGroup description notebookVersion
  engineVersion { selectedEngineVersion effectiveEngineVersion }
  status { state stateChangeReason startDateTime lastModifiedDateTime endDateTime idleSinceDateTime }
  engineConfiguration { coordinatorDpuSize maxConcurrentDpus defaultExecutorDpuSize additionalConfigs { key value } sparkProperties { key value } classifications { name properties { key value } } }
  sessionConfiguration { executionRole workingDirectory idleTimeoutSeconds sessionIdleTimeoutInMinutes encryptionConfiguration { encryptionOption kmsKey } }
  statistics { dpuExecutionInMillis }`;
const FULL_PAGE = `{ sessions(workGroup: "primary", first: 100) { edges { cursor node { ${ALL_SESSION_FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
const DEEPEST = `query($id: ID!) { node(id: $id) { ... on WorkGroup { sessions(first: 1) { edges { node { engineConfiguration { classifications { properties { key } } } } } } } } }`;

let stack: Stack;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startProductionStack();
  auth = bearer(await token());
});
afterAll(() => stack.close());
beforeEach(() => stack.resetCalls());

describe('legitimate extremes pass', () => {
  it(`the deepest selection the schema allows is within the depth limit of ${MAX_DEPTH}`, async () => {
    // The schema has no cycles below the root fields, so its deepest selection is finite; walk it.
    const deepest = (type: GraphQLNamedType, seen: ReadonlySet<string>): number => {
      if (!isCompositeType(type) || seen.has(type.name)) return 0;
      const next = new Set(seen).add(type.name);
      const members = isUnionType(type) ? type.getTypes() : [type];
      let depth = 0;
      for (const member of members) {
        if (!isObjectType(member) && !isInterfaceType(member)) continue;
        for (const field of Object.values(member.getFields()))
          depth = Math.max(depth, 1 + deepest(getNamedType(field.type), next));
      }
      // An interface's implementations may go deeper than the interface itself (Node -> WorkGroup).
      if (isInterfaceType(type))
        for (const implementation of getSchema().getPossibleTypes(type))
          depth = Math.max(depth, deepest(implementation, next));
      return depth;
    };
    const schemaDepth = Math.max(
      deepest(getSchema().getQueryType()!, new Set()),
      deepest(getSchema().getMutationType()!, new Set()),
    );
    expect(schemaDepth).toBeGreaterThanOrEqual(8);
    expect(schemaDepth).toBeLessThanOrEqual(MAX_DEPTH);
    const response = await send(
      stack,
      post(DEEPEST, { id: Buffer.from('WorkGroup:primary').toString('base64') }, auth),
    );
    expect(response.json?.errors).toBeUndefined();
  });

  it('a page of 100 sessions with every field is within the token and cost limits', async () => {
    expect(tokenCount(FULL_PAGE)).toBeLessThan(MAX_TOKENS / 5);
    expect(costOf(FULL_PAGE)).toBeLessThan(MAX_COST / 3);
    const response = await send(stack, post(FULL_PAGE, undefined, auth));
    expect(response.json?.errors).toBeUndefined();
    expect(response.json?.data.sessions.edges).toHaveLength(100);
  });

  it('GraphiQL’s introspection query and default document are well within the token limit, and pass with introspection on', async () => {
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(tokenCount(introspection)).toBeLessThan(MAX_TOKENS / 2);
    for (const tab of [SESSIONS_DOCUMENT, SESSION_DOCUMENT, WATCH_DOCUMENT])
      expect(tokenCount(tab)).toBeLessThan(MAX_TOKENS / 2);
    const local = await startStack();
    try {
      const response = await send(local, post(introspection));
      expect(response.json?.errors).toBeUndefined();
      expect(response.json?.data.__schema.types.length).toBeGreaterThan(10);
      const document = JSON.stringify({ query: SESSIONS_DOCUMENT });
      const recent = await send(local, { headers: { 'content-type': 'application/json' }, body: document });
      expect(recent.json?.errors).toBeUndefined();
    } finally {
      await local.close();
    }
  });

  it('the largest legitimate startSession (100 Spark properties at their longest) fits the body limit', async () => {
    const sparkProperties = Array.from({ length: 100 }, (_, i) => ({
      key: `spark.k${String(i).padStart(3, '0')}${'k'.repeat(245)}`,
      value: 'v'.repeat(1024),
    }));
    const input = {
      workGroup: 'sandbox',
      description: 'd'.repeat(1024),
      engineConfiguration: { maxConcurrentDpus: 20, sparkProperties },
    };
    expect(sparkProperties[0]!.key).toHaveLength(255);
    const request = post(
      'mutation($input: StartSessionInput!) { startSession(input: $input) { session { sessionId } } }',
      { input },
      auth,
    );
    expect(Buffer.byteLength(String(request.body))).toBeGreaterThan(100 * 1024);
    expect(Buffer.byteLength(String(request.body))).toBeLessThan(MAX_REQUEST_BODY_BYTES);
    const response = await send(stack, request);
    expect(response.status).toBe(200);
    expect(response.json?.errors).toBeUndefined();
  });

  it('a Relay-style document whose fragments nest deeper than the limit passes (fragments add no depth)', async () => {
    const fragments = repeat(
      MAX_DEPTH,
      (i) => `fragment F${i} on Query { ${i + 1 < MAX_DEPTH ? `...F${i + 1}` : '__typename'} }`,
    );
    const response = await send(stack, post(`{ ...F0 } ${fragments}`, undefined, auth));
    expect(response.json).toEqual({ data: { __typename: 'Query' } });
  });
});

/**
 * A valid document of exactly n tokens: spreads of tiny fragments (9 tokens each: `...Fi` and
 * `fragment Fi on Query { __typename }`), padded with `__typename`. Repeating one field n times
 * instead would trip graphql-js's own budget for comparing overlapping fields.
 */
function tokens(n: number): string {
  const fragments = Math.floor((n - 2) / 9);
  const padding = n - 2 - 9 * fragments;
  return `{ ${repeat(fragments, (i) => `...F${i}`)} ${repeat(padding, () => '__typename')} } ${repeat(fragments, (i) => `fragment F${i} on Query { __typename }`)}`;
}

describe('each limit: at the limit passes, one beyond is refused with its code', () => {
  const cases: [string, (n: number) => string, number, string][] = [
    [
      'aliases (__typename included)',
      (n) => `{ ${repeat(n, (i) => `a${i}: __typename`)} }`,
      MAX_ALIASES,
      'MAX_ALIASES_EXCEEDED',
    ],
    [
      'directives',
      (n) => `{ ${repeat(n, (i) => `a${i}: __typename @skip(if: false)`)} }`,
      MAX_DIRECTIVES,
      'MAX_DIRECTIVES_EXCEEDED',
    ],
    ['tokens', tokens, MAX_TOKENS, 'MAX_TOKENS_EXCEEDED'],
  ];
  it.each(cases)('%s', async (_name, document, limit, code) => {
    const at = await send(stack, post(document(limit), undefined, auth));
    expect(at.status).toBe(200);
    expect(at.json?.errors).toBeUndefined();
    const beyond = await send(stack, post(document(limit + 1), undefined, auth));
    expect({ status: beyond.status, code: beyond.code }).toEqual({ status: 400, code });
  });

  it('depth', async () => {
    const nested = (n: number) => `{ ${'a { '.repeat(n - 1)}b${' }'.repeat(n - 1)} }`;
    const at = await send(stack, post(nested(MAX_DEPTH), undefined, auth));
    // At the limit the nonsense fields fail validation, not the depth limit.
    expect(at.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const beyond = await send(stack, post(nested(MAX_DEPTH + 1), undefined, auth));
    expect({ status: beyond.status, code: beyond.code }).toEqual({ status: 400, code: 'MAX_DEPTH_EXCEEDED' });
  });

  it("introspection depth: GraphiQL's introspection query (15 deep) passes, an ofType chain 30 deep does not", async () => {
    const local = await startStack();
    try {
      const ofTypes = (n: number) => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`;
      // __schema > types > fields > type > ofType... > name
      const chain = (depth: number) => `{ __schema { types { fields { type { ${ofTypes(depth - 5)} } } } } }`;
      const graphiql = await send(
        local,
        post(
          getIntrospectionQuery({
            descriptions: true,
            specifiedByUrl: true,
            directiveIsRepeatable: true,
            schemaDescription: true,
            inputValueDeprecation: true,
            oneOf: true,
          }),
        ),
      );
      expect(graphiql.json?.errors).toBeUndefined();
      const at = await send(local, post(chain(MAX_INTROSPECTION_DEPTH)));
      expect(at.json?.errors).toBeUndefined();
      for (const depth of [MAX_INTROSPECTION_DEPTH + 1, 30]) {
        const beyond = await send(local, post(chain(depth)));
        expect({ status: beyond.status, code: beyond.code }).toEqual({ status: 400, code: 'MAX_DEPTH_EXCEEDED' });
      }
      // Fragments do not hide depth, here as elsewhere.
      const viaFragments = `{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...R } } } fragment R on __Type { ${ofTypes(30)} }`;
      expect((await send(local, post(viaFragments))).code).toBe('MAX_DEPTH_EXCEEDED');
    } finally {
      await local.close();
    }
  });

  it('a refusal is HTTP 400 under Accept: application/json too, and stops at one error', async () => {
    const response = await send(
      stack,
      post(`{ ${repeat(40, (i) => `a${i}: __typename`)} ${'@aa'.repeat(12)} }`, undefined, {
        ...auth,
        accept: 'application/json',
      }),
    );
    expect(response.status).toBe(400);
    expect(response.json?.errors).toHaveLength(1);
    const tokens = await send(
      stack,
      post(`{ ${repeat(MAX_TOKENS, () => '__typename')} }`, undefined, { ...auth, accept: 'application/json' }),
    );
    expect({ status: tokens.status, code: tokens.code }).toEqual({ status: 400, code: 'MAX_TOKENS_EXCEEDED' });
  });
});

describe('the cost', () => {
  it('counts objects per page: 100 sessions with summary fields, then with every field', () => {
    const summary =
      '{ sessions(workGroup: "primary", first: 100) { edges { node { id status { state } } } pageInfo { hasNextPage } } }';
    // connection 1 + pageInfo 1 + 100 x (edge + node + status)
    expect(costOf(summary)).toBe(302);
    expect(costOf(FULL_PAGE)).toBeGreaterThan(1000);
  });

  it('assumes the largest page for `first: $n` and the default page when `first` is absent', () => {
    const literal = costOf('{ sessions(workGroup: "primary", first: 100) { edges { node { id } } } }');
    expect(costOf('query($n: Int) { sessions(workGroup: "primary", first: $n) { edges { node { id } } } }')).toBe(
      literal,
    );
    expect(costOf('{ sessions(workGroup: "primary") { edges { node { id } } } }')).toBe(
      costOf('{ sessions(workGroup: "primary", first: 20) { edges { node { id } } } }'),
    );
  });

  it('assumes 100 ids for `ids: $ids`, and multiplies what each node selects', () => {
    expect(costOf('query($ids: [ID!]!) { nodes(ids: $ids) { id } }')).toBe(100);
    expect(costOf('{ nodes(ids: ["a", "b", "c"]) { id } }')).toBe(3);
    expect(
      costOf(
        'query($ids: [ID!]!) { nodes(ids: $ids) { ... on WorkGroup { sessions(first: 10) { edges { node { id } } } } } }',
      ),
    ).toBe(100 * (1 + 1 + 10 * 2));
  });

  it('adds one upstream list per work group allSessions merges: its literal names, else the most it merges', () => {
    const page = (args: string) =>
      costOf(`query($names: [String!]) { allSessions(${args}first: 10) { edges { node { id } } } }`);
    // connection 1 + 10 x (edge + node), plus the work groups
    expect(page('workGroups: ["primary", "analytics"], ')).toBe(21 + 2);
    expect(page('workGroups: $names, ')).toBe(21 + 20);
    expect(page('')).toBe(21 + 20);
  });

  it('counts a fragment as often as it is spread, without exponential work', () => {
    const fragments = repeat(40, (i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`);
    const document = `{ ...F40 } fragment F0 on Query { session(sessionId: "x") { id } } ${fragments}`;
    expect(costOf(document)).toBe(2 ** 40);
  });

  it('refuses work that would fan out to thousands of upstream calls, before any call', async () => {
    const response = await send(
      stack,
      post(
        'query($ids: [ID!]!) { nodes(ids: $ids) { ... on WorkGroup { sessions(first: 100) { edges { node { statistics { dpuExecutionInMillis } } } } } } }',
        { ids: [] },
        auth,
      ),
    );
    expect({ status: response.status, code: response.code }).toEqual({ status: 400, code: 'COST_LIMIT_EXCEEDED' });
    expect(stack.calls()).toEqual({});
  });
});

describe('the parse cache stays bounded under a flood of unique documents', () => {
  // Small limits keep the flood short; the production limits are the same code with larger numbers.
  const limits = { maxEntries: 100, maxCharacters: 1024 * 1024, maxErrorEntries: 50, maxErrorCharacters: 256 * 1024 };
  let caches: DocumentCaches;
  let flooded: Stack;
  beforeAll(async () => {
    caches = createDocumentCaches(limits);
    flooded = await startStack({ gateway: { documentCaches: caches } });
  });
  afterAll(() => flooded.close());

  it('the gateway’s default caches have the documented bounds', () => {
    const defaults = createDocumentCaches();
    expect(DEFAULT_DOCUMENT_CACHE_LIMITS).toEqual({
      maxEntries: DOCUMENT_CACHE_MAX_ENTRIES,
      maxCharacters: DOCUMENT_CACHE_MAX_CHARACTERS,
      maxErrorEntries: ERROR_CACHE_MAX_ENTRIES,
      maxErrorCharacters: ERROR_CACHE_MAX_CHARACTERS,
    });
    expect([defaults.documentCache.max, defaults.documentCache.maxSize]).toEqual([
      DOCUMENT_CACHE_MAX_ENTRIES,
      DOCUMENT_CACHE_MAX_CHARACTERS,
    ]);
    expect([defaults.errorCache.max, defaults.errorCache.maxSize]).toEqual([
      ERROR_CACHE_MAX_ENTRIES,
      ERROR_CACHE_MAX_CHARACTERS,
    ]);
  });

  it('by entries: 250 unique valid queries leave the configured number cached, the newest ones', async () => {
    for (let i = 0; i < 250; i += 1) {
      const response = await send(flooded, post(`{ q${i}: __typename }`));
      expect(response.status).toBe(200);
    }
    expect(caches.documentCache.size).toBe(limits.maxEntries);
    expect(caches.documentCache.has('{ q0: __typename }')).toBe(false);
    expect(caches.documentCache.has('{ q249: __typename }')).toBe(true);
  });

  it('by entries: 120 unique syntax errors fill only the error cache, and evict no document', async () => {
    const before = caches.documentCache.size;
    for (let i = 0; i < 120; i += 1) await send(flooded, post(`{ broken${i} `));
    expect(caches.errorCache.size).toBe(limits.maxErrorEntries);
    expect(caches.documentCache.size).toBe(before);
  });

  it('by size: 10 unique 200 KB documents keep the cached text under the configured characters', async () => {
    for (let i = 0; i < 10; i += 1) {
      const response = await send(
        flooded,
        post(`{ session(sessionId: "${String(i).padStart(200_000, 'x')}") { sessionId } }`),
      );
      expect(response.code).toBe('BAD_USER_INPUT');
    }
    expect(caches.documentCache.calculatedSize).toBeLessThanOrEqual(limits.maxCharacters);
    expect(caches.documentCache.calculatedSize).toBeGreaterThan(limits.maxCharacters / 2);
    expect(flooded.calls()).toEqual({});
  });
});
