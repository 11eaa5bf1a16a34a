// The result file every test step writes (test-artifacts/vscode/results/<step>.json), so that
// scripts/test-vscode.sh can count tests across the extension-host suites and the UI checks.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface TestRecord {
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: string;
}

export interface StepResults {
  step: string;
  passed: number;
  failed: number;
  tests: TestRecord[];
}

export function writeResults(file: string, step: string, tests: TestRecord[]): StepResults {
  const results: StepResults = {
    step,
    passed: tests.filter((t) => t.state === 'passed').length,
    failed: tests.filter((t) => t.state === 'failed').length,
    tests,
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}
