// Adds up the result files of one run of scripts/test-vscode.sh and prints the closing line.
// A step that exited non-zero without writing results (a crash, a timeout) counts as one failure.
//
// usage: node dist/test-vscode/summarize-results.js <results dir> <step>=<exit code> ...
// exit code: 0 when nothing failed
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StepResults } from './harness/results';

const [dir, ...steps] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: summarize-results.js <results dir> <step>=<exit code> ...\n');
  process.exit(2);
}
let passed = 0;
let failed = 0;
const lines: string[] = [];
for (const arg of steps) {
  const [step = arg, rcText = '1'] = arg.split('=');
  const rc = Number(rcText);
  const file = path.join(dir, `${step}.json`);
  let r: StepResults | undefined;
  if (existsSync(file)) r = JSON.parse(readFileSync(file, 'utf8')) as StepResults;
  const p = r?.passed ?? 0;
  let f = r?.failed ?? 0;
  const note = !r
    ? rc === 0
      ? ' (no result file)'
      : ` (exit ${rc}, no result file)`
    : rc !== 0 && f === 0
      ? ` (exit ${rc})`
      : '';
  if (rc !== 0 && f === 0) f = 1; // the step failed outside any test
  if (!r && rc === 0) f = 1; // a step must report what it ran
  passed += p;
  failed += f;
  lines.push(`  ${step.padEnd(22)} ${String(p).padStart(3)} passed ${String(f).padStart(3)} failed${note}`);
  for (const t of r?.tests ?? [])
    if (t.state === 'failed') lines.push(`      ✗ ${t.title}: ${(t.error ?? '').split('\n')[0]}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
