// Driving the real workbench (code-server) with Debian's chromium through playwright-core.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { OFFLINE_CHROMIUM_ARGS } from '../../browser';
import { artifactsDir, baseUrl, repoRoot, runDir } from './env';

const t0 = Date.now();
export function log(...args: unknown[]): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${args.map(String).join(' ')}\n`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  // A fresh profile per launch; launchPersistentContext because plain launch() refuses --user-data-dir.
  const profile = mkdtempSync(path.join(runDir(), 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CMI_E2E_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: OFFLINE_CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => log('PAGEERROR', e.message.slice(0, 300)));
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The workbench URL for a folder, with the extension loaded from its development folder (no .vsix),
 * unless `dev` is false (then the extension must be installed in code-server).
 * Only the last extensionDevelopmentPath of a payload is loaded: pass one.
 */
export function workbenchUrl(folder: string, payload: [string, string][] = [], dev = true): string {
  const base = baseUrl();
  const authority = new URL(base).host; // code-server's remote authority is location.host
  const entries = [...(dev ? [['extensionDevelopmentPath', repoRoot]] : []), ...payload].map(([k, v]) => [
    k,
    `vscode-remote://${authority}${v}`,
  ]);
  return `${base}/?folder=${encodeURIComponent(folder)}${entries.length ? `&payload=${encodeURIComponent(JSON.stringify(entries))}` : ''}`;
}

export async function openWorkbench(page: Page, folder: string, { dev = true } = {}): Promise<void> {
  await page.goto(workbenchUrl(folder, [], dev));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.statusbar', { timeout: 60_000 });
  log('workbench loaded:', folder);
}

/** Runs a command from the F1 palette; retries when a late part of the workbench steals focus. */
export async function runCommand(page: Page, title: string, attempts = 4): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
      await input.press('Enter', { timeout: 5000 });
      await input.waitFor({ state: 'hidden', timeout: 5000 });
      log(`ran "${title}" from the palette (attempt ${i})`);
      return;
    } catch (e) {
      log(`palette attempt ${i} failed: ${(e as Error).message.split('\n')[0]}`);
      if (i >= attempts) throw e;
      await page.waitForTimeout(1000);
    }
  }
}

/** The extension's status bar item (its DOM id is `<extension id>.<item id>`). */
export function statusItem(page: Page): Locator {
  return page.locator('[id="compiler-memory-insight.compiler-memory-insight.compilerMemory.status"]');
}

/** A notification toast whose text contains `text`. */
export function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(artifactsDir, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  log('screenshot', file);
  return file;
}

/** A webview's own document: VS Code's outer iframe.webview holds the extension's page in iframe#active-frame. */
export function webviewFrame(page: Page, nth = 0): FrameLocator {
  return page.frameLocator('iframe.webview').nth(nth).frameLocator('iframe#active-frame');
}
