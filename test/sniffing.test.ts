// Every real fixture is recognised by sniffing alone, and importing it without naming its format
// gives the same profile as naming it: "re-import without the file name gives the same".
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectImporter, importFile } from '../server/src/core/importers';
import { repoRoot } from './helpers';
import { phaseTree, seriesLines, startPlusDuration, text, warningLines } from './dump';

const fx = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);

const cases: [string, string][] = [
  [fx('rustc', 'time-passes.regex-syntax.debug.txt'), 'rustc-time-passes'],
  [fx('rustc', 'time-passes.regex-syntax.debug.json.txt'), 'rustc-time-passes'],
  [fx('rustc', 'cargo-build.debug.j2.wrapper-prefixed.stderr.txt'), 'rustc-time-passes'],
  [fx('typescript', 'ts6-extendedDiagnostics.stdout.txt'), 'tsc-diagnostics'],
  [fx('typescript', 'ts7-extendedDiagnostics.stdout.txt'), 'tsc-diagnostics'],
  [fx('gcc', 'gxx.better_sqlite3.O2.ftime-report.txt'), 'gcc-time-report'],
  [fx('gcc', 'gxx.better_sqlite3.O2.ftime-report-details.txt'), 'gcc-time-report'],
  [fx('massif', 'gxx-O2.massif.out.4217'), 'massif'],
  [fx('massif', 'cc1plus-O2.pages-as-heap.massif.out.5882'), 'massif'],
  [fx('dhat', 'gcc-test_extension-O2.dhat.out.17923'), 'dhat'],
  [fx('heaptrack', 'cc1-test_extension-O2.heaptrack.zst'), 'heaptrack'],
  [fx('heaptrack', 'rustc-wordfreq-O.preload.heaptrack.zst'), 'heaptrack'],
  [fx('rollup', 'rollup.three.perf.stdout.txt'), 'rollup-perf'],
  [fx('rollup', 'rollup.three.api-getTimings.json'), 'rollup-perf'],
  [fx('rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stdout.txt'), 'rolldown-log'],
  [fx('voyd', 'markdown.emit-wasm.node22.stderr+time-v.txt'), 'voyd-perf'],
  [fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'esbuild-timing'],
  [fx('ninja-log', 'cmake-c-multi.j4.ninja_log'), 'ninja-log'],
  [fx('ninja-log', 'cmake-c-multi.j4.rebuild.ninja_log'), 'ninja-log'],
  [fx('go-gctrace', 'gctrace.go-types.stderr.txt'), 'go-gctrace'],
  [fx('jvm-gc-log', 'javac25.juc.Xlog-gc.log'), 'jvm-gc-log'],
  [fx('chrome-trace', 'clang14.better_sqlite3.O2.json'), 'chrome-trace'],
  [fx('chrome-trace', 'clang14.better_sqlite3.O2.gran0.json.gz'), 'chrome-trace'],
  [fx('chrome-trace', 'tsc6.rxjs.trace.json'), 'chrome-trace'],
  [fx('chrome-trace', 'tsc7.tsc-small.trace.json'), 'chrome-trace'],
  [fx('chrome-trace', 'rustc.cargo-std-tokenizer-build-script.llvm_timings.json.gz'), 'chrome-trace'],
];

/** A readable dump of what a user compares: phase names and times, series maxima, warnings. */
function dump(r: Awaited<ReturnType<typeof importFile>>): string {
  return text(
    [
      ...phaseTree(r.phases ?? [], [startPlusDuration(3)], { nesting: 'parent-index', separator: ' ' }),
      ...seriesLines(r.series ?? [], { style: 'terse' }),
      ...warningLines(r.warnings ?? [], { codesOnly: true }),
    ],
    { finalNewline: false },
  );
}

describe('sniffing', () => {
  for (const [file, format] of cases) {
    it(`${path.relative(fx(), file)} is ${format}, and imports the same sniffed or named`, async () => {
      expect((await detectImporter(file)).format).toBe(format);
      expect(dump(await importFile(file))).toBe(dump(await importFile(file, { format })));
    });
  }
});

describe('sniffing by content, not by name', () => {
  it('every fixture copied to a name that says nothing is recognised as the same format', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-sniff-'));
    try {
      const found: string[] = [];
      for (const [file, format] of cases) {
        const neutral = path.join(tmp, 'input.dat');
        copyFileSync(file, neutral);
        found.push(`${path.basename(file)} ${(await detectImporter(neutral)).format}`);
        expect(found[found.length - 1]).toBe(`${path.basename(file)} ${format}`);
      }
      expect(found).toHaveLength(cases.length);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
