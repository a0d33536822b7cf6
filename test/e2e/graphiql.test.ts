// GraphiQL in a real browser (headless Debian Chromium), served by a listening gateway over the
// local Athena service with the demo data: it loads with nothing fetched from elsewhere and no
// console errors, a typed sessions query shows results, and a subscription shows a session's
// status change while the test terminates that session through the API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SESSION_ID } from '../../src/http/graphiql.js';
import { type AttachedWebSocketServer, attachWebSocketServer } from '../../src/http/websocket.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { DEFAULT_LIFECYCLE_TIMINGS } from '../../src/local-athena/session-model.js';
import { type Stack, startStack } from '../helpers.js';
import { type Browser, openBrowser } from './browser.js';

const clock = new ManualClock();
let stack: Stack;
let server: Server;
let webSockets: AttachedWebSocketServer;
let origin: string;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startStack({ athena: { clock }, config: { subscriptionPollMs: 100 } });
  server = createServer(stack.yoga);
  webSockets = attachWebSocketServer(server, stack.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});
afterAll(async () => {
  await webSockets.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

/** Opens GraphiQL in a fresh profile and waits until it has the schema (its introspection answered). */
async function openGraphiQL(): Promise<Page> {
  browser = await openBrowser(origin);
  const { page } = browser;
  const introspection = page.waitForResponse(
    (response) =>
      response.url() === `${origin}/graphql` &&
      response.request().method() === 'POST' &&
      (response.request().postData() ?? '').includes('__schema'),
  );
  await page.goto(`${origin}/graphql`);
  expect((await introspection).status()).toBe(200);
  await page.locator('.graphiql-query-editor .view-lines').filter({ hasText: 'query Sessions' }).waitFor();
  return page;
}

/** The text an editor shows, whitespace collapsed (Monaco renders spaces as no-break spaces). */
const editorText = (page: Page, editor: string) =>
  page
    .locator(`${editor} .view-lines`)
    .first()
    // biome-ignore lint/performance/useDomNodeTextContent: the editor's rendered text (layout, not the DOM's raw nodes) is what a user reads
    .evaluate((element) => (element as HTMLElement).innerText.replace(/\s+/g, ' ').trim());

/** Waits until the response pane shows `text`. */
async function responseShows(page: Page, text: string): Promise<string> {
  const response = page.locator('.result-window .view-lines');
  await response.filter({ hasText: text }).waitFor({ timeout: 20_000 });
  return editorText(page, '.result-window');
}

function expectNothingLeftTheMachine(): void {
  expect(browser!.foreignRequests).toEqual([]);
  expect(browser!.requests.length).toBeGreaterThan(0);
  for (const url of browser!.requests)
    expect(url.startsWith(`${origin}/`) || url.startsWith(`blob:${origin}/`) || url.startsWith('data:'), url).toBe(
      true,
    );
  expect(browser!.errors).toEqual([]);
}

describe('GraphiQL in Chromium', () => {
  it('loads with no request leaving the machine and no console errors, and knows the schema', async () => {
    const page = await openGraphiQL();
    await expect(page.title()).resolves.toBe('Athena Spark sessions');
    const tabs = await page.locator('.graphiql-tab-button').allInnerTexts();
    expect(tabs).toEqual([
      'Sessions',
      'AllSessions',
      'SessionWithConfiguration',
      'WatchSession',
      '<untitled>',
      'SessionCalculations',
      'StartCalculation',
      'WatchCalculation',
      'SparkConnectEndpoint',
    ]);

    // The documentation explorer is built from the introspected schema.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Subscription', { exact: true }).click();
    await page.locator('.graphiql-doc-explorer').getByText('sessionStatus').first().waitFor();

    await browser!.screenshot('graphiql-loaded');
    expectNothingLeftTheMachine();
  });

  it('a sessions query typed and run shows the sessions', async () => {
    const page = await openGraphiQL();
    const query =
      'query Analytics { sessions(workGroup: "analytics", first: 3) { edges { node { sessionId description status { state startDateTime } } } } }';

    await page.locator('.graphiql-query-editor .view-lines').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // Typed key by key, as a person would; the editor closes brackets and quotes, and overtypes them.
    await page.keyboard.type(query, { delay: 5 });
    await page.keyboard.press('Escape'); // closes any completion popup
    expect(await editorText(page, '.graphiql-query-editor')).toBe(query);
    await page.getByRole('button', { name: /^Prettify query/ }).click();
    await page.locator('.graphiql-query-editor .view-line').nth(3).waitFor();
    await page.locator('.graphiql-query-editor .view-lines').click();
    await page.keyboard.press('ControlOrMeta+Home'); // scrolls back to the start of the document
    expect(await editorText(page, '.graphiql-query-editor')).toBe(query);

    await page.locator('.graphiql-execute-button').click();
    const shown = await responseShows(page, 'sessionId');

    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered label a user sees
    await expect(page.locator('.graphiql-tab-active').innerText()).resolves.toBe('Analytics');
    const api = await stack.graphql(query);
    const ids = api.data!.sessions.edges.map(
      (edge: { node: { sessionId: string } }) => edge.node.sessionId,
    ) as string[];
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(shown).toContain(id);
    expect(shown).not.toContain('errors');

    await browser!.screenshot('graphiql-sessions-query');
    expectNothingLeftTheMachine();
  });

  it('a subscription shows the status change while the session is terminated through the API', async () => {
    const page = await openGraphiQL();
    await page.locator('.graphiql-tab-button', { hasText: 'WatchSession' }).dispatchEvent('click');
    await page.locator('.graphiql-query-editor .view-lines').filter({ hasText: 'subscription WatchSession' }).waitFor();
    expect(await editorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)')).toContain(DEMO_SESSION_ID);

    await page.locator('.graphiql-execute-button').click();
    expect(await responseShows(page, '"IDLE"')).toContain('"sessionStatus"');
    // Still running: the run button has become the stop button.
    await page.locator('.graphiql-execute-button[aria-label^="Stop"]').waitFor();

    const terminated = await stack.graphql(
      `mutation { terminateSession(input: { sessionId: "${DEMO_SESSION_ID}" }) { state } }`,
    );
    expect(terminated.data!.terminateSession.state).toBe('TERMINATING');
    await responseShows(page, '"TERMINATING"');

    clock.advance(DEFAULT_LIFECYCLE_TIMINGS.terminatingMs);
    const last = await responseShows(page, '"TERMINATED"');
    expect(last).toContain('terminated by a TerminateSession request');
    // The subscription completed: the run button is back (no stop button).
    await page.locator('.graphiql-execute-button[aria-label^="Execute"]').waitFor();

    await browser!.screenshot('graphiql-subscription');
    expectNothingLeftTheMachine();
  });
});
