// Debian's chromium for the tests that look at a page (the HTML reports): headless, with the flags that
// keep it off the network on these machines, and a guard that records any request a self-contained
// report makes other than its own file.
import { mkdtempSync } from 'node:fs';
import * as path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export async function launchOfflineChromium(
  tmp: string,
  viewport: { width: number; height: number },
  errors: string[],
): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmp, 'chrome-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // A self-contained report makes no request but its own file.
  await context.route('**/*', (route) =>
    route.request().url().startsWith('file://')
      ? route.continue()
      : (errors.push(`request ${route.request().url()}`), route.abort()),
  );
  return context;
}
