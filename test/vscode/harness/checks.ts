// A minimal runner for the UI checks: named steps, run in order, each passed or failed, written as
// a result file. A failed step ends the check (later steps depend on the earlier ones).
import type { Page } from 'playwright-core';
import { launchBrowser, log, screenshot } from './browser';
import { resultsFile } from './env';
import { writeResults, type TestRecord } from './results';

export type Step = (name: string, body: () => Promise<void>) => Promise<void>;

export async function runUiCheck(stepName: string, body: (page: Page, step: Step) => Promise<void>): Promise<never> {
  const tests: TestRecord[] = [];
  const browser = await launchBrowser();
  const step: Step = async (name, fn) => {
    const start = Date.now();
    try {
      await fn();
      tests.push({ title: name, state: 'passed', durationMs: Date.now() - start });
      log('PASS', name);
    } catch (e) {
      const error = (e as Error).stack ?? String(e);
      tests.push({ title: name, state: 'failed', durationMs: Date.now() - start, error });
      log('FAIL', name, `\n${error}`);
      throw e;
    }
  };
  try {
    await body(browser.page, step);
  } catch (e) {
    if (!tests.some((t) => t.state === 'failed'))
      tests.push({ title: 'setup', state: 'failed', durationMs: 0, error: (e as Error).stack ?? String(e) });
    await screenshot(browser.page, `${stepName}-failure`).catch(() => undefined);
  } finally {
    await browser.close();
  }
  const r = writeResults(resultsFile(stepName), stepName, tests);
  log(`${stepName}: ${r.passed} passed, ${r.failed} failed`);
  process.exit(r.failed ? 1 : 0);
}
