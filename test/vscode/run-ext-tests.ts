// Runs one Mocha suite INSIDE code-server's extension host: opens the workbench on a folder with the
// extension loaded from the repository (extensionDevelopmentPath) and the suite's entry point as
// extensionTestsPath — the same contract as @vscode/test-electron. The workbench calls
// window.codeAutomationExit(code) when the suite's run() settles.
//
// usage: node dist/test-vscode/run-ext-tests.js <step-name> <suite entry .js> <workspace folder>
// exit code: 0 passed, 1 failed, 2 the suite never reported (timeout)
import { existsSync, rmSync } from 'node:fs';
import * as util from 'node:util';
import { launchBrowser, log, screenshot, workbenchUrl } from './harness/browser';
import { resultsFile } from './harness/env';

const [step, testsPath, folder] = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.CMI_E2E_SUITE_TIMEOUT_MS ?? 300_000);

async function main(): Promise<number> {
  if (!step || !testsPath || !folder)
    throw new Error('usage: run-ext-tests.js <step-name> <suite entry .js> <workspace folder>');
  if (!existsSync(testsPath)) throw new Error(`no suite at ${testsPath}: build with node test/vscode/build.mjs`);
  rmSync(resultsFile(step), { force: true });
  const { page, close } = await launchBrowser();
  try {
    const done = new Promise<unknown>(
      (resolve) => void page.exposeFunction('codeAutomationExit', (code: unknown) => resolve(code)),
    );
    // The extension host's console (Mocha's report included) and the workbench's log arrive in the page
    // as ('%c INFO', 'color: …', format, ...args).
    const pending: Promise<void>[] = [];
    page.on('console', (m) =>
      pending.push(
        (async () => {
          let a: unknown[];
          try {
            a = await Promise.all(m.args().map((x) => x.jsonValue()));
          } catch {
            return;
          }
          if (typeof a[0] === 'string' && /^%c\s*(INFO|ERR|WARN)/.test(a[0]) && a.length >= 3) {
            const text = util.format(...a.slice(2));
            // The marketplace (open-vsx.org) is out of reach on these machines: expected, and noisy.
            if (/open-vsx\.org/.test(text)) return;
            process.stdout.write(`[vscode${/ERR/.test(a[0]) ? ' ERR' : ''}] ${text}\n`);
          } else if (process.env.CMI_E2E_ALL_CONSOLE)
            process.stdout.write(`[page ${m.type()}] ${m.text().slice(0, 500)}\n`);
        })(),
      ),
    );
    const url = workbenchUrl(folder, [['extensionTestsPath', testsPath]]);
    log('opening', url);
    await page.goto(url);
    const code = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
    await Promise.all(pending);
    log(`${step}: codeAutomationExit(${String(code)})`);
    if (code !== 0) await screenshot(page, `${step}-end`).catch(() => undefined);
    if (!existsSync(resultsFile(step))) log(`${step}: the suite wrote no result file (${resultsFile(step)})`);
    return code === 0 ? 0 : code === 'timeout' ? 2 : 1;
  } finally {
    await close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log('ERROR', (e as Error).stack ?? e);
    process.exit(1);
  },
);
