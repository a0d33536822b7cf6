// GraphiQL as served: a small page over compressed, cached assets of the gateway's own (no CDN), and
// default tabs that run on the demo data.
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_SESSIONS_DOCUMENT,
  AUTHORIZATION_EXAMPLE,
  CALCULATIONS_DOCUMENT,
  DEMO_SESSION_ID,
  ENDPOINT_DOCUMENT,
  graphiqlOptions,
  SESSION_DOCUMENT,
  SESSIONS_DOCUMENT,
  START_CALCULATION_DOCUMENT,
  TERMINATE_DOCUMENT,
  WATCH_CALCULATION_DOCUMENT,
  WATCH_DOCUMENT,
} from '../../src/http/graphiql.js';
import { GRAPHIQL_ASSETS_PATH } from '../../src/http/graphiql-assets.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { seedDemoData } from '../../src/local-athena/demo-seed.js';
import { SessionStore } from '../../src/local-athena/session-store.js';
import { type Stack, startStack } from '../helpers.js';
import { readSse } from '../subscriptions/sse.js';
import { testConfig } from '../test-config.js';

let stack: Stack;
let html: string;

beforeAll(async () => {
  // Calculations finish at once, so the demo session is IDLE again for the tabs tested after them.
  stack = await startStack({
    athena: { timings: { calculationCreatingMs: 1, calculationQueuedMs: 1, calculationMs: 1 } },
  });
  const response = await stack.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/html');
  html = await response.text();
});
afterAll(() => stack.close());

const variablesOf = (index: number) =>
  JSON.parse(graphiqlOptions(stack.config).defaultTabs![index]!.variables!) as Record<string, unknown>;

describe('GraphiQL page', () => {
  it('loads nothing from elsewhere: every script, style and icon is a file this gateway serves', () => {
    // Resource-loading constructs only; the bundle's prose (licences, docs links) is not a request.
    const references = [
      ...html.matchAll(/<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi),
      ...html.matchAll(/@import\s+(?:url\()?["']?([^"')\s;]+)/gi),
      ...html.matchAll(/url\(\s*["']?(https?:[^"')\s]+)/gi),
    ].map((match) => match[1]!);
    expect(references.length).toBeGreaterThanOrEqual(3);
    expect(
      references.every((reference) => reference.startsWith(GRAPHIQL_ASSETS_PATH)),
      references.join(' '),
    ).toBe(true);
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|esm\.sh/);
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
  });

  it('opens with the default tabs, a real demo session in those that need one', () => {
    const documents = [
      SESSIONS_DOCUMENT,
      ALL_SESSIONS_DOCUMENT,
      SESSION_DOCUMENT,
      WATCH_DOCUMENT,
      TERMINATE_DOCUMENT,
      CALCULATIONS_DOCUMENT,
      START_CALCULATION_DOCUMENT,
      WATCH_CALCULATION_DOCUMENT,
      ENDPOINT_DOCUMENT,
    ];
    expect(graphiqlOptions(stack.config).defaultTabs!.map((tab) => tab.query)).toEqual(documents);
    for (const document of documents) {
      expect(html).toContain(JSON.stringify(document).slice(1, 60));
    }
    expect(html).toContain(DEMO_SESSION_ID);
    expect(html).toContain('"title":"Athena Spark sessions"');
  });

  it('a first load fetches compressed assets, cached for a year; a second load costs the page alone', async () => {
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g), ...html.matchAll(/"(\/graphql\/assets\/[^"]+)"/g)].map(
      (match) => match[1]!,
    );
    const assets = [...new Set(urls.filter((url) => url.startsWith(GRAPHIQL_ASSETS_PATH)))];
    expect(assets.length).toBe(6); // script, style, icon and the three editor workers
    let assetBytes = 0;
    let uncompressedBytes = 0;
    for (const asset of assets) {
      const response = await stack.yoga.fetch(`http://gateway.test${asset}`, {
        headers: { 'accept-encoding': 'gzip, deflate, br' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe('br');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const compressed = Buffer.from(await response.arrayBuffer());
      assetBytes += compressed.byteLength;
      const plain = await stack.yoga.fetch(`http://gateway.test${asset}`);
      expect(plain.headers.get('content-encoding')).toBeNull();
      const plainBytes = Buffer.from(await plain.arrayBuffer());
      expect(brotliDecompressSync(compressed).equals(plainBytes)).toBe(true);
      uncompressedBytes += plainBytes.byteLength;
    }
    const pageBytes = Buffer.byteLength(html);
    // What a browser moves: the page plus compressed assets the first time, the page alone after.
    console.info(
      `GraphiQL first load: ${pageBytes + assetBytes} bytes (assets ${uncompressedBytes} uncompressed); second load: ${pageBytes} bytes`,
    );
    expect(pageBytes).toBeLessThan(16 * 1024);
    expect(assetBytes).toBeLessThan(uncompressedBytes / 3);
    expect(
      (await stack.yoga.fetch(`http://gateway.test${GRAPHIQL_ASSETS_PATH}graphiql-0000000000000000.js`)).status,
    ).toBe(404);
  });
});

describe('default documents', () => {
  it('the demo session exists in every demo seed, IDLE in primary', () => {
    for (const start of [Date.UTC(2024, 0, 15), Date.UTC(2031, 6, 1)]) {
      const store = new SessionStore({ clock: new ManualClock(start) });
      seedDemoData(store);
      const session = store.getSession(DEMO_SESSION_ID);
      expect(session?.workGroup).toBe('primary');
      expect(session?.status.state).toBe('IDLE');
    }
  });

  it('the sessions page runs as it stands, with no variables, and pages on with its endCursor', async () => {
    expect(graphiqlOptions(stack.config).defaultTabs![0]!.variables).toBeUndefined();
    const first = await stack.graphql(SESSIONS_DOCUMENT);
    expect(first.errors).toBeUndefined();
    expect(first.data!.sessions.edges).toHaveLength(10);
    const next = await stack.graphql(SESSIONS_DOCUMENT, { after: first.data!.sessions.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();
    expect(next.data!.sessions.edges[0].node.sessionId).not.toBe(first.data!.sessions.edges[0].node.sessionId);
  });

  it('the allSessions tab runs as it stands, across work groups, and pages on with its endCursor', async () => {
    expect(graphiqlOptions(stack.config).defaultTabs![1]!.variables).toBeUndefined();
    const first = await stack.graphql(ALL_SESSIONS_DOCUMENT);
    expect(first.errors).toBeUndefined();
    expect(first.data!.allSessions.edges).toHaveLength(10);
    const named = await stack.graphql(ALL_SESSIONS_DOCUMENT, { workGroups: ['analytics', 'ml-experiments'] });
    expect(
      new Set(named.data!.allSessions.edges.map((edge: { node: { workGroup: string } }) => edge.node.workGroup)),
    ).toEqual(new Set(['analytics', 'ml-experiments']));
    const next = await stack.graphql(ALL_SESSIONS_DOCUMENT, { after: first.data!.allSessions.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();
    expect(next.data!.allSessions.edges).toHaveLength(10);
    expect(next.data!.allSessions.edges[0].node.sessionId).not.toBe(first.data!.allSessions.edges[0].node.sessionId);
  });

  it('the session tab shows its configuration', async () => {
    const result = await stack.graphql(SESSION_DOCUMENT, variablesOf(2));
    expect(result.errors).toBeUndefined();
    expect(result.data!.session).toMatchObject({
      sessionId: DEMO_SESSION_ID,
      workGroup: 'primary',
      status: { state: 'IDLE' },
      engineConfiguration: { maxConcurrentDpus: expect.any(Number) },
      sessionConfiguration: { executionRole: expect.stringContaining('arn:aws:iam::') },
    });
  });

  it('the calculation tabs: start one in the demo session, list it, watch it', async () => {
    const started = await stack.graphql(START_CALCULATION_DOCUMENT, variablesOf(6));
    expect(started.errors).toBeUndefined();
    const calculationId = started.data!.startCalculation.calculation.calculationId as string;
    const listed = await stack.graphql(CALCULATIONS_DOCUMENT, variablesOf(5));
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.session.calculations.edges[0].node).toMatchObject({
      calculationId,
      description: 'from GraphiQL',
    });

    // As shipped, the watch tab names no calculation: NOT_FOUND says to paste one.
    expect(variablesOf(7)).toEqual({ calculationId: expect.any(String) });
    const response = await stack.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: WATCH_CALCULATION_DOCUMENT, variables: { calculationId } }),
    });
    const watch = readSse(response);
    expect(await watch.next()).toMatchObject({ data: { calculationStatus: { state: expect.any(String) } } });
    await watch.close();
  });

  it('the Spark Connect tab runs as it stands and shows an endpoint', async () => {
    const result = await stack.graphql(ENDPOINT_DOCUMENT);
    expect(result.errors).toBeUndefined();
    expect(result.data!.workGroup.sessions.edges[0].node.endpoint.url).toEqual(expect.any(String));
  });

  it('the watch tab subscribes, and the terminate tab, once uncommented, ends the session', async () => {
    const response = await stack.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: WATCH_DOCUMENT, variables: variablesOf(3) }),
    });
    const watch = readSse(response);
    expect(await watch.next()).toMatchObject({ data: { sessionStatus: { state: 'IDLE' } } });
    await watch.close();

    // Commented out, it runs nothing.
    const asShipped = await stack.graphql(TERMINATE_DOCUMENT, variablesOf(4));
    expect(asShipped.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    // What a user does: remove the `# ` in front of the mutation's lines.
    const lines = TERMINATE_DOCUMENT.split('\n');
    const mutation = lines
      .slice(lines.findIndex((line) => line.startsWith('# mutation')))
      .map((line) => line.replace(/^# /, ''));
    const terminated = await stack.graphql(mutation.join('\n'), variablesOf(4));
    expect(terminated.errors).toBeUndefined();
    expect(terminated.data!.terminateSession).toMatchObject({ clientMutationId: 'graphiql', state: 'TERMINATING' });
  });
});

describe('graphiqlOptions', () => {
  it('with auth on, the headers editor opens with an Authorization example; with auth off it is empty', () => {
    const on = graphiqlOptions(testConfig({ auth: { disabled: false, jwtSecret: 'secret' } }));
    expect(JSON.parse(on.headers!)).toEqual(AUTHORIZATION_EXAMPLE);
    expect(on.defaultTabs!.every((tab) => JSON.parse(tab.headers!).Authorization.startsWith('Bearer '))).toBe(true);
    expect(on.defaultEditorToolsVisibility).toBe('headers');
    expect(on.shouldPersistHeaders).toBe(false);

    const off = graphiqlOptions(testConfig());
    expect(off.headers).toBeUndefined();
    expect(off.defaultTabs!.every((tab) => tab.headers === undefined)).toBe(true);
  });

  it('names the demo session only where the demo data is served', () => {
    const base = testConfig();
    const remote = graphiqlOptions({
      ...base,
      athena: { ...base.athena, mode: 'endpoint', endpoint: 'https://athena.example' },
    });
    expect(JSON.stringify(remote.defaultTabs)).not.toContain(DEMO_SESSION_ID);
    const empty = graphiqlOptions({ ...base, localSeed: 'none' });
    expect(JSON.stringify(empty.defaultTabs)).not.toContain(DEMO_SESSION_ID);
    expect(JSON.stringify(graphiqlOptions(base).defaultTabs)).toContain(DEMO_SESSION_ID);
  });
});
