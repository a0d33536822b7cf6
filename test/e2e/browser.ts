// Headless Debian Chromium for the browser tests, with a record of every request the page makes
// and every console error it logs. Nothing is allowed to leave the machine: requests to any other
// origin are recorded and aborted.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for, in order. */
  requests: string[];
  /** Requests to anywhere but the gateway (aborted before they left). */
  foreignRequests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh profile (its own temporary user-data-dir) allowed to talk to `origin` only. */
export async function openBrowser(origin: string): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'gateway-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  const requests: string[] = [];
  const foreignRequests: string[] = [];
  const errors: string[] = [];

  // data: and blob: URLs of the page's own making (GraphiQL's fonts and editor workers) are not requests that leave.
  const isLocal = (url: string) =>
    url.startsWith(`${origin}/`) || url === origin || url.startsWith(`blob:${origin}/`) || url.startsWith('data:');
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLocal(url)) await route.continue();
    else {
      foreignRequests.push(url);
      await route.abort('blockedbyclient');
    }
  });
  context.on('request', (request) => requests.push(request.url()));

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));

  return {
    page,
    context,
    requests,
    foreignRequests,
    errors,
    async screenshot(name) {
      await mkdir('test-results', { recursive: true });
      const path = join('test-results', `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
