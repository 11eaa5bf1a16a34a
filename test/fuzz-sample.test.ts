// A fixed-seed sample of the fuzz suite (`npm run fuzz`, scripts/fuzz.mjs): 20 mutants per format,
// each run through the built CLI with a time and a memory bound. Fails on any crash, hang or silently
// wrong result, with the mutant's seed and what went wrong.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers';

/** Every format the fuzz suite knows, listed so that a new one is a decision, not an accident. */
const CI_FORMATS = [
  'chrome-trace',
  'dhat',
  'esbuild-timing',
  'gcc-time-report',
  'go-gctrace',
  'heaptrack',
  'jvm-gc-log',
  'massif',
  'ninja-log',
  'rolldown-log',
  'rollup-perf',
  'rustc-time-passes',
  'tsc-diagnostics',
  'voyd-perf',
  'cmi-profile',
] as const;

const SEED = 17;
const PER_FORMAT = 20;

interface Row {
  format: string;
  index: number;
  op: string;
  outcome: string;
  why: string;
}
interface Report {
  table: Record<string, Record<string, number>>;
  failures: Row[];
}

const out = mkdtempSync(path.join(os.tmpdir(), 'cmi-fuzz-sample-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

let report: Report | undefined;
function sample(): Report {
  if (!report) {
    try {
      execFileSync(
        process.execPath,
        [
          path.join(repoRoot, 'scripts', 'fuzz.mjs'),
          '--no-build', // global-setup built dist/
          '--no-bomb', // a 1 GB gzip bomb is the full run's
          '--quiet',
          `--seed=${SEED}`,
          `--per-format=${PER_FORMAT}`,
          `--formats=${CI_FORMATS.join(',')}`,
          `--out=${out}`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
    } catch (e) {
      // Exit 1 means failures were found: the report says which, and the tests below show them.
      if ((e as { status?: number }).status !== 1) throw e;
    }
    report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
  }
  return report;
}

describe(`fuzz sample (seed ${SEED}, ${PER_FORMAT} mutants per format)`, () => {
  for (const format of CI_FORMATS) {
    it(`${format}: no crash, hang or silently wrong result`, () => {
      const r = sample();
      expect(r.table[format]!.tried).toBe(PER_FORMAT);
      const failures = r.failures
        .filter((f) => f.format === format)
        .map((f) => `#${f.index} ${f.op}: ${f.outcome}: ${f.why}`);
      expect(failures).toEqual([]);
    });
  }
});
