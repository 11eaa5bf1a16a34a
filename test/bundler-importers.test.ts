// The bundlers' reports on real files (test/fixtures/{rollup,rolldown,voyd,esbuild}/COMMAND.txt): rollup
// --perf and bundle.getTimings(), rolldown's RD_LOG spans, Voyd's perf summary, esbuild's --timing tree,
// including files cut short the way a stopped build cuts them.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPeak } from '../server/src/core/analysis/analyze';
import type { Phase } from '../server/src/core/model';
import { emptyProfile, mergeContribution } from '../server/src/core/model';
import { blankRunFacts } from './helpers';
import { ImportError } from '../server/src/core/importers/import-error';
import type { ImportResult } from '../server/src/core/importers/importer';
import {
  esbuildTimingImporter,
  importEsbuildTiming,
  isEsbuildTiming,
  parseEsbuildTiming,
} from '../server/src/core/importers/esbuild-timing';
import {
  importRolldownLog,
  isRolldownLog,
  parseTracingDuration,
  rolldownLogImporter,
} from '../server/src/core/importers/rolldown-log';
import {
  importRollupPerf,
  isRollupPerf,
  parseRollupPerf,
  rollupPerfImporter,
} from '../server/src/core/importers/rollup-perf';
import { importVoydPerf, isVoydPerf, parseVoydPerf, voydPerfImporter } from '../server/src/core/importers/voyd-perf';
import {
  markerNames,
  memoryAtBoundaries,
  originLines,
  peakLines,
  phaseTree,
  seriesLines,
  span,
  text,
  unclosed,
  warningLines,
} from './dump';

const FIXTURES = path.join(__dirname, 'fixtures');
const fx = (format: string, name: string) => path.join(FIXTURES, format, name);
const read = (format: string, name: string) => readFileSync(fx(format, name), 'utf8');

/** A readable dump: the phase tree with start–end and duration, memory at the boundaries, series, peak, warnings. */
function dump(r: ImportResult): string {
  return text([
    ...originLines(r.originEpochMs, { subMs: true, absent: 'omit' }),
    'phases:',
    ...phaseTree(r.phases ?? [], [span(3), memoryAtBoundaries, unclosed], { indentFrom: 1 }),
    ...seriesLines(r.series ?? [], { countWord: 'points', max: 'megabytes-at' }),
    ...peakLines(r),
    ...markerNames(r.markers ?? []),
    ...warningLines(r.warnings ?? []),
  ]);
}

function names(phases: Phase[], parent: string | null): string[] {
  const idx = parent === null ? null : phases.findIndex((p) => p.name === parent);
  return phases.filter((p) => p.parent === idx).map((p) => p.name);
}

function thrown(f: () => unknown): ImportError {
  try {
    f();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

const ALL: [format: string, file: string][] = [
  ['rollup', 'rollup.three.perf.stdout.txt'],
  ['rollup', 'rollup.three.perf.nocolor.stdout.txt'],
  ['rollup', 'rollup.three.api-getTimings.json'],
  ['rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stdout.txt'],
  ['voyd', 'markdown.emit-wasm.node22.stderr+time-v.txt'],
  ['voyd', 'markdown.emit-wasm.node22.perf.json'],
  ['esbuild', 'esbuild.three.timing.stderr.txt'],
  ['esbuild', 'esbuild.three.timing+gctrace+time-v.stderr.txt'],
];
const SNIFFERS: Record<string, (t: string) => boolean> = {
  rollup: isRollupPerf,
  rolldown: isRolldownLog,
  voyd: isVoydPerf,
  esbuild: isEsbuildTiming,
};
const IMPORTERS: Record<string, (t: string, f: string) => ImportResult> = {
  rollup: importRollupPerf,
  rolldown: importRolldownLog,
  voyd: importVoydPerf,
  esbuild: importEsbuildTiming,
};

describe('sniffers', () => {
  it('each accepts its own files and rejects the others, and the tools output without a report', () => {
    for (const [format, file] of ALL) {
      const head = read(format, file).slice(0, 64 * 1024);
      for (const [other, sniff] of Object.entries(SNIFFERS))
        expect(sniff(head), `${other} sniffing ${format}/${file}`).toBe(other === format);
    }
    for (const [format, file] of [
      ['rollup', 'rollup.three.perf.stderr.txt'],
      ['rollup', 'rollup.three.perf.to-stdout.stderr.txt'],
      ['rollup', 'COMMAND.txt'],
      ['rolldown', 'cli.plain.stdout.txt'],
      ['rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stderr.txt'],
      ['rustc', 'time-passes.regex-syntax.debug.txt'],
      ['typescript', 'ts6-extendedDiagnostics.stdout.txt'],
    ]) {
      const head = read(format!, file!);
      for (const [other, sniff] of Object.entries(SNIFFERS))
        expect(sniff(head), `${other} sniffing ${format}/${file}`).toBe(false);
    }
  });

  it('the Importer objects sniff and import files from disk', async () => {
    expect(rollupPerfImporter.format).toBe('rollup-perf');
    expect(rolldownLogImporter.format).toBe('rolldown-log');
    expect(voydPerfImporter.format).toBe('voyd-perf');
    expect(esbuildTimingImporter.format).toBe('esbuild-timing');
    const r = await rollupPerfImporter.importFile(fx('rollup', 'rollup.three.perf.stdout.txt'));
    expect(r.phases!.length).toBe(20);
    expect(r.sources).toEqual(['rollup-perf']);
    await expect(voydPerfImporter.importFile(fx('voyd', 'no-such-file.txt'))).rejects.toThrow(
      /no-such-file\.txt: no such file$/,
    );
  });
});

describe('normalized dumps', () => {
  it('match the expected dumps', async () => {
    for (const [format, file] of [
      ...ALL,
      ['rollup', 'rollup.three.perf.nocolor.cut-mid-row.stdout.txt'],
      ['rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.cut-in-link-close.stdout.txt'],
      ['voyd', 'markdown.emit-wasm.node22.cut-in-counters.stderr.txt'],
      ['esbuild', 'esbuild.three.timing.cut-mid-row.stderr.txt'],
    ] as const) {
      await expect(dump(IMPORTERS[format]!(read(format, file), file))).toMatchFileSnapshot(
        path.join(FIXTURES, format, 'expected', `${file}.dump.txt`),
      );
    }
  });
});

describe('rollup --perf', () => {
  it('reads the coloured CLI report: the tree by label prefix, ms, heapUsed delta and max in decimal units', () => {
    const [report, ...more] = parseRollupPerf(read('rollup', 'rollup.three.perf.stdout.txt'));
    expect(more).toEqual([]);
    expect(report!.timings.map((t) => `${t.level} ${t.name}`).slice(0, 6)).toEqual([
      '1 BUILD',
      '2 initialize',
      '2 generate module graph',
      '4 plugin 0 (stdin) - resolveId',
      '4 plugin 0 (stdin) - load',
      '3 generate ast',
    ]);
    expect(report!.timings.find((t) => t.name === 'treeshaking pass 3')).toMatchObject({
      ms: 631,
      heapDeltaBytes: -7_440_000,
      maxHeapUsedBytes: 106_000_000,
    });
    expect(report!.timings.find((t) => t.name === 'optimize chunks')).toMatchObject({
      heapDeltaBytes: 664,
      maxHeapUsedBytes: 118_000_000,
    });
    expect(report!.timings.find((t) => t.name === 'initialize')).toMatchObject({
      heapDeltaBytes: 3410,
      maxHeapUsedBytes: 8_210_000,
    });

    const r = importRollupPerf(read('rollup', 'rollup.three.perf.stdout.txt'), 'rollup.three.perf.stdout.txt');
    const phases = r.phases!;
    expect(names(phases, null)).toEqual(['BUILD', 'GENERATE', 'WRITE']);
    expect(names(phases, 'BUILD')).toEqual([
      'initialize',
      'generate module graph',
      'sort and bind modules',
      'mark included statements',
    ]);
    expect(names(phases, 'generate module graph')).toEqual([
      'plugin 0 (stdin) - resolveId',
      'plugin 0 (stdin) - load',
      'generate ast',
    ]);
    expect(names(phases, 'mark included statements')).toEqual([
      'treeshaking pass 1',
      'treeshaking pass 2',
      'treeshaking pass 3',
      'treeshaking pass 4',
    ]);
    expect(names(phases, 'generate chunks')).toEqual(['optimize chunks']);
    // Durations are rollup's own; memory at the boundaries of labels timed once; summed labels keep args only.
    const build = phases.find((p) => p.name === 'BUILD')!;
    expect(build.endMs - build.startMs).toBe(9778);
    expect(build).toMatchObject({
      memStartBytes: 114_000_000 - 106_000_000,
      memEndBytes: 114_000_000,
      memKind: 'js-heap',
    });
    const ast = phases.find((p) => p.name === 'generate ast')!;
    expect(ast.memEndBytes).toBeUndefined();
    expect(ast.args).toMatchObject({
      heapUsedDeltaBytes: 60_300_000,
      maxHeapUsedBytes: 82_800_000,
      summedOverCalls: true,
    });
    expect(r.warnings!.map((w) => w.code)).toEqual(['rollup-phases-reconstructed']);
  });

  it('the top-level phases add up to no more than the "created … in 10.4s" rollup printed on stderr', () => {
    const r = importRollupPerf(read('rollup', 'rollup.three.perf.stdout.txt'));
    const top = r.phases!.filter((p) => p.parent === null).reduce((s, p) => s + p.endMs - p.startMs, 0);
    expect(top).toBe(9778 + 624 + 50);
    // rollup prints the time with pretty-ms, which floors: "10.4s" is 10 400 to 10 499 ms.
    expect(read('rollup', 'rollup.three.perf.stderr.txt')).toContain('in \x1b[1m10.4s');
    expect(top).toBeLessThan(10_500);
    // Children of a parent add up to no more than it (integer ms).
    const mark = r.phases!.find((p) => p.name === 'mark included statements')!;
    expect(
      r.phases!.filter((p) => p.parent === r.phases!.indexOf(mark)).reduce((s, p) => s + p.endMs - p.startMs, 0),
    ).toBe(495 + 5717 + 631 + 149);
  });

  it('finds the peak heapUsed (124 MB, at the end of WRITE) but gives it to no phase: their times are guessed', () => {
    const r = importRollupPerf(read('rollup', 'rollup.three.perf.stdout.txt'));
    const s = r.series![0]!;
    expect(s.kind).toBe('js-heap');
    expect(Math.max(...s.bytes)).toBe(124_000_000);
    const p = emptyProfile(blankRunFacts());
    mergeContribution(p, r);
    // rollup reports durations only: WRITE's place in time is laid out by the importer, so the peak
    // that falls in it is not blamed on it (a phase placed by guess never receives the peak).
    expect(r.phases!.every((ph) => ph.args?.reconstructed === true)).toBe(true);
    expect(findPeak(p)).toMatchObject({ bytes: 124_000_000, phasePath: [] });
  });

  it('reads bundle.getTimings() JSON with the same tree, fractional ms and exact bytes', () => {
    const r = importRollupPerf(read('rollup', 'rollup.three.api-getTimings.json'));
    expect(names(r.phases!, null)).toEqual(['BUILD', 'GENERATE', 'WRITE']);
    const build = r.phases!.find((p) => p.name === 'BUILD')!;
    expect(build.endMs - build.startMs).toBeCloseTo(4115.658534, 6);
    expect(build).toMatchObject({ memStartBytes: 115654536 - 107213184, memEndBytes: 115654536 });
    expect(r.phases!.some((p) => p.name.startsWith('plugin'))).toBe(false); // the CLI's stdin plugin is not in the API
  });

  it('keeps the rows before a row cut short, with a warning naming the line', () => {
    const r = importRollupPerf(read('rollup', 'rollup.three.perf.nocolor.cut-mid-row.stdout.txt'), 'cut.txt');
    expect(r.phases!.map((p) => p.name).at(-1)).toBe('treeshaking pass 2');
    const w = r.warnings!.find((x) => x.code === 'rollup-perf-truncated')!;
    expect(w.message).toBe(
      'cut.txt:11: the last line is not a complete timing row ("treeshaking pass 3: 402m"): the report is cut short; kept the 10 row(s) before it',
    );
  });

  it('names the byte offset of getTimings() JSON cut short, and says when a file has no report', () => {
    const e = thrown(() => importRollupPerf(read('rollup', 'rollup.three.api-getTimings.cut.json'), 'cut.json'));
    expect(e.kind).toBe('broken');
    expect(e.byteOffset).toBe(600);
    expect(e.message).toMatch(/^cut\.json \(byte 600\): bundle\.getTimings\(\) JSON does not parse: /);
    const n = thrown(() =>
      importRollupPerf(read('rollup', 'rollup.three.perf.to-stdout.stderr.txt'), 'to-stdout.stderr.txt'),
    );
    expect([n.kind, n.message]).toEqual([
      'not-this-format',
      'to-stdout.stderr.txt: no rollup --perf report (no "# BUILD: <n>ms, …" row)',
    ]);
  });
});

describe('rolldown RD_LOG', () => {
  it('parses tracing durations in ns, µs (U+00B5), ms and s', () => {
    expect(parseTracingDuration('320ns')).toBeCloseTo(0.00032, 9);
    expect(parseTracingDuration('1.13µs')).toBeCloseTo(0.00113, 9);
    expect(parseTracingDuration('14.7ms')).toBe(14.7);
    expect(parseTracingDuration('1.20s')).toBe(1200);
    expect(parseTracingDuration('0.00ns')).toBe(0);
    expect(parseTracingDuration('12 ms')).toBeUndefined();
  });

  it('nests scan, link and generate (instantiate_chunks …) as the spans nest, on the real clock', () => {
    const r = importRolldownLog(read('rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stdout.txt'), 'rd.txt');
    const phases = r.phases!;
    expect(names(phases, null)).toEqual(['build']);
    expect(names(phases, 'build')).toEqual(['write', 'scan_modules', 'bundle_write']);
    expect(names(phases, 'scan_modules')).toEqual(['scan', 'normalize_scan_stage_output_and_update_cache']);
    expect(names(phases, 'bundle_write')).toEqual(['link', 'generate']);
    expect(names(phases, 'link')).toContain('include_statements');
    expect(names(phases, 'generate')).toEqual([
      'generate_chunks',
      'commit_cross_chunk_links',
      'generate_chunk_name_and_preliminary_filenames',
      'deconflict_chunk_symbols',
      'resolve_file_urls',
      'finalize_modules',
      'instantiate_chunks',
      'render_chunks',
      'augment_chunk_hash',
      'minify_chunks',
      'post_banner_footer',
      'finalize_assets',
    ]);
    // originEpochMs: the build span's estimated creation, 104 µs before the first record (09:12:36.404202Z).
    expect(r.originEpochMs).toBeCloseTo(Date.parse('2026-11-21T09:12:36.404Z') + 0.098, 3);
    // link: closed at .586619 after busy 14.7 ms + idle 320 ns
    const link = phases.find((p) => p.name === 'link')!;
    expect(link.endMs - link.startMs).toBeCloseTo(14.7, 0);
    expect(link.args).toMatchObject({ span: 'rolldown::stages::link_stage::link', busyMs: 14.7, idleMs: 0.00032 });
    const ic = phases.find((p) => p.name === 'instantiate_chunks')!;
    expect(ic.args!.busyMs! as number).toBeCloseTo(ic.endMs - ic.startMs, 0);
    // Worker-thread spans without a parent context go under the span that contains them in time.
    const dcs = phases.filter((p) => p.name === 'deconflict_chunk_symbols');
    expect(dcs.map((p) => (p.parent === null ? null : phases[p.parent]!.name))).toEqual([
      'generate',
      'deconflict_chunk_symbols',
      'deconflict_chunk_symbols',
    ]);
    // Parents come before children and contain them.
    phases.forEach((p) => {
      if (p.parent === null) return;
      expect(p.parent).toBeLessThan(phases.indexOf(p));
      expect(phases[p.parent]!.startMs).toBeLessThanOrEqual(p.startMs);
    });
    expect(r.warnings).toEqual([]);
  });

  it('a close record stamped late (its thread descheduled after measuring) widens its span to the children; a warning only beyond a stall', () => {
    const text = read('rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stdout.txt');
    const buildClose = '2026-11-21T09:12:36.724098Z  INFO rolldown::bundle::bundle_factory: close';
    expect(text).toContain(buildClose); // build: never entered, idle 320ms, so its start is estimated
    const stamped = (lateMs: number) => {
      const at = new Date(Date.parse('2026-11-21T09:12:36.724Z') + lateMs).toISOString().replace('Z', '098Z');
      return importRolldownLog(
        text.replace(buildClose, buildClose.replace('2026-11-21T09:12:36.724098Z', at)),
        'late.txt',
      );
    };
    const firstChild = (r: ImportResult) => Math.min(...r.phases!.filter((p) => p.parent === 0).map((p) => p.startMs));
    const late = stamped(8);
    expect(late.phases![0]).toMatchObject({ name: 'build', parent: null });
    expect(late.phases![0]!.startMs).toBe(firstChild(late)); // moved back to its first child, silently
    expect(late.warnings).toEqual([]);
    const stalled = stamped(80);
    expect(stalled.warnings!.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^late\.txt: span build started 79\.\d{3} ms after its child write: its start was moved to the child's$/,
      ),
    ]);
  });

  it('ends the spans a cut log leaves open at its last record, and warns', () => {
    const r = importRolldownLog(
      read('rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.cut-in-link-close.stdout.txt'),
      'cut.txt',
    );
    const open = r.phases!.filter((p) => p.args?.unclosed).map((p) => p.name);
    expect(open).toEqual(['build', 'write', 'bundle_write', 'link']);
    expect(r.warnings!.map((w) => w.message)).toEqual([
      'cut.txt: 4 span(s) never closed (build, write, bundle_write, link): the log ends before them (cut short, or the build was stopped); they end at the last record',
      'cut.txt:7146: the last record is cut short ("2026-11-21T0"): ignored',
    ]);
  });

  it('says when a file holds no tracing record', () => {
    const e = thrown(() => importRolldownLog(read('rolldown', 'cli.plain.stdout.txt'), 'cli.plain.stdout.txt'));
    expect([e.kind, e.message]).toEqual([
      'not-this-format',
      'cli.plain.stdout.txt: no RD_LOG tracing record (no "<RFC 3339 time>Z <LEVEL> <target>: …" line)',
    ]);
  });
});

describe('Voyd perf summary', () => {
  it("orders alphabetically sorted keys by the pipeline and nests them, durations equal to Voyd's", () => {
    const r = importVoydPerf(read('voyd', 'markdown.emit-wasm.node22.stderr+time-v.txt'), 'voyd.txt');
    const phases = r.phases!;
    expect(names(phases, null)).toEqual(['total']);
    expect(names(phases, 'total')).toEqual([
      'sdkSetup.total',
      'loadModuleGraph',
      'analyzeModules',
      'emitProgram',
      'sdk.finalizeCompile',
    ]);
    expect(names(phases, 'emitProgram')).toEqual([
      'lowerProgram',
      'monomorphizeProgram',
      'buildProgramCodegenView',
      'loadCodegen',
      'codegenProgram',
      'emitBinary',
    ]);
    expect(names(phases, 'codegenProgram')).toEqual(['codegen']);
    expect(names(phases, 'sdkSetup.total')).toEqual(['sdkSetup.createHost', 'sdkSetup.resolveRoots']);
    expect(names(phases, 'analyzeBorrowing')).toHaveLength(6);
    const d = (n: string) => phases.find((p) => p.name === n)!.endMs - phases.find((p) => p.name === n)!.startMs;
    expect(d('total')).toBeCloseTo(12460.068, 6);
    expect(d('emitProgram')).toBeCloseTo(2418.891, 6);
    // Cross-check: Voyd's total is the sum of its three compile phases (to 1.3 ms).
    expect(d('loadModuleGraph') + d('analyzeModules') + d('emitProgram')).toBeCloseTo(12458.788, 3);
    const root = phases[0]!;
    expect(root.args).toMatchObject({
      entryPath: '/src/fixtures/_src/voyd/examples/markdown.voyd',
      success: true,
      diagnostics: 0,
      'counter:borrowing.builder.calls': 147,
    });
    // analyzeBorrowing's sub-phases overlap (they add up to more than it): said, not clamped.
    expect(r.warnings!.map((w) => w.message)).toContain(
      'voyd: the children of "analyzeBorrowing" add up to 1832.311 ms, more than its own 1595.77 ms (parallel work, summed calls or rounding): laid out overlapping from its start, durations kept',
    );
  });

  it('reads the extracted JSON alone the same way', () => {
    const a = importVoydPerf(read('voyd', 'markdown.emit-wasm.node22.perf.json'));
    const b = importVoydPerf(read('voyd', 'markdown.emit-wasm.node22.stderr+time-v.txt'));
    expect(a.phases).toEqual(b.phases);
  });

  it('keeps phasesMs from a line cut in its counters; a line cut in its phases is broken', () => {
    const r = importVoydPerf(read('voyd', 'markdown.emit-wasm.node22.cut-in-counters.stderr.txt'), 'cut.txt');
    expect(r.phases!.length).toBe(22);
    expect(r.warnings!.find((w) => w.code === 'voyd-perf-truncated')!.message).toBe(
      'cut.txt:1: the perf summary is cut short after 2979 characters: kept its phasesMs, lost its counters',
    );
    const e = thrown(() =>
      parseVoydPerf(read('voyd', 'markdown.emit-wasm.node22.cut-in-phases.stderr.txt'), 'cut2.txt'),
    );
    expect(e.kind).toBe('broken');
    expect(e.message).toMatch(
      /^cut2\.txt:1: the perf summary is not valid JSON \(.*\) and has no complete "phasesMs"$/,
    );
  });
});

describe('esbuild --timing', () => {
  it('nests by indentation, keeps esbuild\'s ms, and checks against "Done in"', () => {
    const rep = parseEsbuildTiming(read('esbuild', 'esbuild.three.timing.stderr.txt'));
    expect(rep.doneMs).toBe(355);
    expect(rep.timings.filter((t) => t.depth === 0).map((t) => t.name)).toEqual([
      'Scan phase',
      'Compile phase',
      'Write output files',
      'On-end callbacks',
    ]);
    const r = importEsbuildTiming(read('esbuild', 'esbuild.three.timing.stderr.txt'), 'es.txt');
    expect(names(r.phases!, 'Generate chunk "es-three.js"')).toEqual([
      'Rename symbols',
      'Print JavaScript files',
      'Join JavaScript files',
    ]);
    const top = r.phases!.filter((p) => p.parent === null).reduce((s, p) => s + p.endMs - p.startMs, 0);
    expect(top).toBe(353);
    expect(top).toBeLessThanOrEqual(rep.doneMs!);
    expect(r.run).toEqual({ wallMs: 355 });
  });

  it('lays out children that exceed their parent overlapping, with a warning (not clamped)', () => {
    const r = importEsbuildTiming(read('esbuild', 'esbuild.three.timing+gctrace+time-v.stderr.txt'), 'gc.txt');
    expect(r.warnings!.map((w) => w.code)).toEqual(['esbuild-phases-reconstructed']);
    // In both real runs every parent holds its children (the overlap case is covered by Voyd's
    // analyzeBorrowing, through the same layout). The cut file keeps its rows:
    const c = importEsbuildTiming(read('esbuild', 'esbuild.three.timing.cut-mid-row.stderr.txt'), 'cut.txt');
    expect(c.phases!.map((p) => p.name).at(-1)).toBe('Clone linker graph');
    expect(c.warnings!.find((w) => w.code === 'esbuild-timing-truncated')!.message).toBe(
      'cut.txt:13: the last line is not a complete timing row ("      Scan imports and exports: 7"): the report is cut short; kept the 10 row(s) before it',
    );
  });
});
