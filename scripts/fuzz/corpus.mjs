// The seeds of the fuzz suite: every fixture under test/fixtures, by the format it is read as. The
// table is explicit (a folder may hold other formats' files: dhat's folder has a valgrind log and a
// trace head) so that each mutant goes to the importer its original was made for.

import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** cmi's own profile JSON: its mutants go to summary, report, export and compare directly. */
export const PROFILE_FORMAT = 'cmi-profile';

/** [format, folder, file pattern]; a file may match only one row. */
const TABLE = [
  ['chrome-trace', 'chrome-trace', /\.json(\.gz)?$/],
  ['chrome-trace', 'dhat', /^tsc6-trace\.head64k\.json$/],
  ['dhat', 'dhat', /dhat/],
  ['esbuild-timing', 'esbuild', /\.txt$/],
  ['gcc-time-report', 'gcc', /\.txt$/],
  ['go-gctrace', 'go-gctrace', /\.txt$/],
  ['heaptrack', 'heaptrack', /\.heaptrack(\.cut-\d+)?\.zst$/],
  ['heaptrack', 'arena-inference', /^heaptrack\.rustc-tokenizer\.zst$/],
  ['jvm-gc-log', 'jvm-gc-log', /\.log$/],
  ['massif', 'massif', /massif\.out\.\d+(\.cut-\d+)?$/],
  ['massif', 'heaptrack', /heaptrack_print\.massif\.out$/],
  ['ninja-log', 'ninja-log', /\.ninja_log(\.cut-\d+)?$/],
  ['rolldown-log', 'rolldown', /\.txt$/],
  ['rollup-perf', 'rollup', /\.(txt|json)$/],
  ['rustc-time-passes', 'rustc', /\.txt$/],
  ['rustc-time-passes', 'rustc/wrapper', /\.tp$/],
  ['tsc-diagnostics', 'typescript', /\.txt$/],
  ['voyd-perf', 'voyd', /\.(txt|json)$/],
  [PROFILE_FORMAT, 'cmi-profile', /\.json$/],
];

export const FORMATS = [...new Set(TABLE.map(([f]) => f))];

/** `{ format: [absolute paths] }` for the formats asked (all by default). */
export function corpus(fixturesDir, formats = FORMATS) {
  const out = {};
  for (const format of formats) out[format] = [];
  for (const [format, folder, pattern] of TABLE) {
    if (!out[format]) continue;
    const dir = path.join(fixturesDir, folder);
    for (const name of readdirSync(dir).sort()) {
      if (/^(COMMAND|README)\.txt$/.test(name)) continue;
      const file = path.join(dir, name);
      if (statSync(file).isFile() && pattern.test(name)) out[format].push(file);
    }
  }
  for (const [format, files] of Object.entries(out))
    if (!files.length) throw new Error(`fuzz: no fixture for format ${format}`);
  return out;
}
