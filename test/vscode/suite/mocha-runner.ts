// Runs Mocha inside the extension host (the extensionTestsPath contract: a module whose run()
// settles when the tests are done) and writes the step's result file for scripts/test-vscode.sh.
import Mocha from 'mocha';
import * as path from 'node:path';
import { resultsFile } from '../harness/env';
import { writeResults, type TestRecord } from '../harness/results';

export function runMocha(step: string, testFiles: string[]): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  // CMI_E2E_SUITES="profile-tsc navigation" runs only those files of the step (the extension host
  // inherits code-server's environment): one suite while working on it.
  const only = process.env.CMI_E2E_SUITES?.split(/[\s,]+/).filter(Boolean);
  for (const f of testFiles)
    if (!only || only.includes(f.replace(/\.test\.js$/, ''))) mocha.addFile(path.resolve(__dirname, f));
  const records: TestRecord[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      writeResults(resultsFile(step), step, records);
      if (failures > 0) reject(new Error(`${failures} of ${records.length} tests failed.`));
      else resolve();
    });
    runner.on('pass', (t) => records.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }));
    runner.on('fail', (t, err: Error) =>
      records.push({
        title: t.fullTitle(),
        state: 'failed',
        durationMs: t.duration ?? 0,
        error: err.stack ?? String(err),
      }),
    );
  });
}
