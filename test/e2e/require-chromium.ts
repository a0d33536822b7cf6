// Called by vitest.e2e.config.ts: fails the browser run before anything starts, saying what to do,
// when Debian's Chromium is not installed.
import { accessSync, constants } from 'node:fs';
import { CHROMIUM_PATH } from './browser.js';

export default function requireChromium(): void {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}, and it is not there.\n` +
        `  install Debian's chromium: apt-get install -y chromium\n` +
        `  (as root, or with sudo; then run npm run test:e2e again)`,
    );
  }
}
