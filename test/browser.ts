// Debian's chromium for the tests that look at a page (the HTML reports): headless, with the flags that
// keep it off the network on these machines, and a guard that records any request a self-contained
// report makes other than its own file.
import { mkdtempSync } from 'node:fs';
import * as path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Headless chromium as root, kept off the network: without these it tries Google's hosts at every start. */
export const OFFLINE_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchOfflineChromium(
  tmp: string,
  viewport: { width: number; height: number },
  errors: string[],
): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmp, 'chrome-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport,
    args: OFFLINE_CHROMIUM_ARGS,
  });
  // A self-contained report makes no request but its own file.
  await context.route('**/*', (route) =>
    route.request().url().startsWith('file://')
      ? route.continue()
      : (errors.push(`request ${route.request().url()}`), route.abort()),
  );
  return context;
}
