// The Trace Event Format, in and out, on real files (test/fixtures/chrome-trace, see COMMAND.txt):
// clang -ftime-trace (object form, "Total" summaries, gzip), tsc 6 and 7 --generateTrace (array form,
// B/E and sampled X, TS 7's per-file pseudo-threads), rustc -Z llvm-time-trace (several LLVM threads),
// cut and damaged copies of them; and the export of a real profiled tsc build, imported back.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chromeTraceImporter,
  importChromeTrace,
  isChromeTrace,
} from '../server/src/core/importers/trace-event/chrome-trace-importer';
import { ImportError } from '../server/src/core/importers/import-error';
import type { ImportResult } from '../server/src/core/importers/importer';
import { exportChromeTrace, writeChromeTrace } from '../server/src/core/export/chrome-trace';
import { analyze } from '../server/src/core/analysis/analyze';
import type { Phase, Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { repoRoot } from './helpers';
import {
  groupedPhaseTree,
  markerCount,
  originLines,
  phaseCounts,
  processLines,
  seriesLines,
  text,
  warningLines,
} from './dump';

const dir = path.join(__dirname, 'fixtures', 'chrome-trace');
const fx = (name: string) => path.join(dir, name);
const CLANG = 'clang14.better_sqlite3.O2.json';
const CLANG_GRAN0 = 'clang14.better_sqlite3.O2.gran0.json.gz';
const TSC6 = 'tsc6.rxjs.trace.json';
const TSC7 = 'tsc7.tsc-small.trace.json';
const RUSTC = 'rustc.cargo-std-tokenizer-build-script.llvm_timings.json.gz';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-chrome-trace-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function depths(phases: Phase[]): number[] {
  const d: number[] = [];
  phases.forEach((p, i) => {
    expect(p.parent === null || p.parent < i, `phase ${i} comes after its parent`).toBe(true);
    d.push(p.parent === null ? 0 : d[p.parent]! + 1);
  });
  return d;
}

/**
 * A readable dump: counts, processes, then the phase tree down to `maxDepth`, siblings of one name
 * grouped ("checkSourceFile ×616  total 1234.567 ms"), series, markers and warnings.
 */
function dump(r: ImportResult, maxDepth = 2): string {
  const phases = r.phases ?? [];
  return text([
    phaseCounts(phases, depths(phases)),
    ...originLines(r.originEpochMs),
    ...processLines(r.processes ?? []),
    ...groupedPhaseTree(phases, maxDepth),
    ...seriesLines(r.series ?? []),
    ...markerCount(r.markers ?? []),
    ...warningLines(r.warnings ?? []),
  ]);
}

async function expectImportError(file: string): Promise<ImportError> {
  try {
    await importChromeTrace(file);
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return e as ImportError;
  }
  throw new Error(`${file} imported without an error`);
}

describe('chrome trace: sniffing', () => {
  it('recognises both forms, and not the other formats of the fixtures', () => {
    for (const f of [CLANG, TSC6, TSC7, 'tsc6.rxjs.trace.killed.json'])
      expect(isChromeTrace(readFileSync(fx(f), 'utf8').slice(0, 65536)), f).toBe(true);
    expect(chromeTraceImporter.format).toBe('chrome-trace');
    for (const f of [
      'rustc/time-passes.regex-syntax.debug.json.txt',
      'typescript/ts6-extendedDiagnostics.stdout.txt',
    ]) {
      expect(isChromeTrace(readFileSync(path.join(__dirname, 'fixtures', f), 'utf8')), f).toBe(false);
    }
    expect(isChromeTrace('{"run":{"command":[]},"series":[]}')).toBe(false);
  });
});

describe('chrome trace: clang -ftime-trace', () => {
  it('object form: one ExecuteCompiler root whose duration is clang\'s own "Total ExecuteCompiler"; Totals stay off the timeline', async () => {
    const r = await importChromeTrace(fx(CLANG));
    await expect(dump(r)).toMatchFileSnapshot(fx('expected/clang14.better_sqlite3.O2.dump.txt'));
    const roots = r.phases!.filter((p) => p.parent === null);
    expect(roots.map((p) => p.name)).toEqual(['ExecuteCompiler']);
    const root = roots[0]!;
    expect(root.endMs - root.startMs).toBeCloseTo(root.args!['Total ExecuteCompiler'] as number, 6);
    expect(root.endMs - root.startMs).toBeCloseTo(6343.873, 6);
    expect(r.phases!.some((p) => p.name.startsWith('Total '))).toBe(false);
    // beginningOfTime is the clock: 1795252012698770 µs.
    expect(r.originEpochMs).toBe(1795252012698.77);
    expect(r.processes).toEqual([{ pid: 27210, label: 'clang' }]);
    expect(r.warnings).toEqual([]);
    const names = new Set(r.phases!.map((p) => p.name));
    for (const n of [
      'Frontend',
      'Backend',
      'Source',
      'ParseClass',
      'InstantiateFunction',
      'Optimizer',
      'CodeGenPasses',
    ])
      expect(names).toContain(n);
    // Headers are phases with their file as the source location.
    expect(r.phases!.find((p) => p.name === 'Source')!.source!.file).toMatch(/\.h$|\/[a-z_+]+$/);
  });

  it('gzip, 118,694 events at granularity 0: every event but the Totals is a phase, and the cross-check holds', async () => {
    const r = await importChromeTrace(fx(CLANG_GRAN0));
    await expect(dump(r)).toMatchFileSnapshot(fx('expected/clang14.better_sqlite3.O2.gran0.dump.txt'));
    expect(r.phases).toHaveLength(118598);
    const root = r.phases!.find((p) => p.parent === null)!;
    expect(root.name).toBe('ExecuteCompiler');
    // clang rounds the two separately: they agree within 1 µs.
    expect(Math.abs(root.endMs - root.startMs - (root.args!['Total ExecuteCompiler'] as number))).toBeLessThanOrEqual(
      0.001,
    );
    // Every phase lies within its parent (nesting by containment).
    for (const p of r.phases!)
      if (p.parent !== null)
        expect(p.startMs >= r.phases![p.parent]!.startMs && p.endMs <= r.phases![p.parent]!.endMs + 0.001).toBe(true);
  });

  it('the same file unzipped gives the same profile (a plain file has its columns sized from its size, gzip doubles them)', async () => {
    const plain = path.join(tmp, 'gran0.json');
    writeFileSync(plain, gunzipSync(readFileSync(fx(CLANG_GRAN0))));
    const [a, b] = await Promise.all([importChromeTrace(fx(CLANG_GRAN0)), importChromeTrace(plain)]);
    expect(b.phases).toHaveLength(118598);
    // Compared as text: a deep comparison of 118,598 phases takes seconds.
    expect(JSON.stringify(b.phases) === JSON.stringify(a.phases)).toBe(true);
    expect(b.warnings).toEqual([]);
  });
});

describe('chrome trace: tsc --generateTrace', () => {
  it('TS 6: array form, B/E with sampled X nested inside; createProgram, bind, check, emit', async () => {
    const r = await importChromeTrace(fx(TSC6));
    await expect(dump(r)).toMatchFileSnapshot(fx('expected/tsc6.rxjs.trace.dump.txt'));
    expect(r.warnings).toEqual([]);
    expect(r.originEpochMs).toBeUndefined();
    const count = (name: string) => r.phases!.filter((p) => p.name === name).length;
    expect(count('createProgram')).toBe(1);
    expect(count('bindSourceFile')).toBe(308);
    expect(count('checkSourceFile')).toBe(616); // twice per file: checking, then emit's diagnostics
    expect(count('emit')).toBe(1);
    const program = r.phases!.find((p) => p.name === 'createProgram')!;
    // B at 165554.233 µs, E at 672401.3... µs: the file's first timed event is time 0.
    expect(program.startMs).toBe(0);
    expect(program.category).toBe('program');
    const pr = r.phases!.indexOf(program);
    expect(r.phases!.filter((p) => p.parent === pr).map((p) => p.name)).toContain('processRootFiles');
    expect(r.processes).toEqual([{ pid: 1, label: 'tsc' }]);
    const parse = r.phases!.find((p) => p.name === 'createSourceFile')!;
    expect(parse.source?.file).toBe('/src/fixtures/ts-src/rxjs/src/index.ts');
  });

  it('TS 7: one pseudo-thread per source file; phases nest per thread, labelled with the thread names', async () => {
    const r = await importChromeTrace(fx(TSC7));
    await expect(dump(r)).toMatchFileSnapshot(fx('expected/tsc7.tsc-small.trace.dump.txt'));
    expect(r.warnings).toEqual([]);
    expect(r.processes).toEqual([{ pid: 1, label: 'tsgo' }]);
    const roots = r.phases!.filter((p) => p.parent === null);
    const main = roots.filter((p) => p.args?.thread === 'Main').map((p) => p.name);
    expect(main).toEqual(['createProgram', 'bindSourceFiles', 'checkSourceFiles', 'emit']);
    const fileThreads = new Set(roots.map((p) => String(p.args?.thread)).filter((t) => t.startsWith('file:')));
    expect(fileThreads.size).toBeGreaterThan(10);
    expect(fileThreads).toContain('file:/work/main/test/workspaces/tsc-small/src/lang/ast.ts');
  });
});

describe('chrome trace: rustc -Z llvm-time-trace', () => {
  it('object form, gzip, several LLVM threads labelled by name; Totals kept out', async () => {
    const r = await importChromeTrace(fx(RUSTC));
    await expect(dump(r, 1)).toMatchFileSnapshot(fx('expected/rustc.cargo-std-tokenizer-build-script.dump.txt'));
    expect(r.phases).toHaveLength(20278 - 22);
    const threads = new Set(r.phases!.filter((p) => p.parent === null).map((p) => p.args?.thread));
    expect([...threads].sort()).toEqual(['coordinator', 'opt cgu.0', 'opt cgu.1', 'opt cgu.2']);
    expect(r.processes).toEqual([{ pid: 28104, label: 'rustc' }]);
  });

  it('a pass run function after function stays a row of siblings, even when one is too short for the clock', async () => {
    // LLVM runs EntryExitInstrumenterPass on each function in turn: one that takes no measurable time
    // begins where the previous one ends, and is its sibling, not its child.
    const r = await importChromeTrace(fx(RUSTC));
    const ph = r.phases!;
    const underTwin = ph.filter(
      (p) => p.parent !== null && ph[p.parent]!.name === p.name && p.startMs >= ph[p.parent]!.endMs - 0.0005,
    );
    expect(underTwin).toEqual([]);
    expect(Math.max(...depths(ph))).toBe(5); // 7 when they were nested in each other
  });
});

describe('chrome trace: nesting by containment', () => {
  it('a same-name span of no length where another begins is its sibling (it came just before); a longer one inside stays a child', async () => {
    // As tsc's Check spans come out of a profile: per file, some too short for the clock.
    const X = (name: string, ts: number, dur: number) => ({ ph: 'X', name, pid: 1, tid: 1, ts, dur });
    const file = path.join(tmp, 'same-name.json');
    writeFileSync(
      file,
      JSON.stringify({
        traceEvents: [
          X('root', 0, 1000),
          X('Check', 100, 0),
          X('Check', 100, 300),
          X('Check', 400, 0),
          X('Check', 500, 100),
          X('Check', 520, 30),
        ],
      }),
    );
    const r = await importChromeTrace(file);
    const paths = r.phases!.map((p) => {
      const names: string[] = [];
      for (let q: Phase | undefined = p; q; q = q.parent === null ? undefined : r.phases![q.parent])
        names.unshift(q.name);
      return `${names.join(' > ')} ${p.startMs}–${p.endMs}`;
    });
    expect(paths.sort()).toEqual(
      [
        'root 0–1',
        'root > Check 0.1–0.1',
        'root > Check 0.1–0.4',
        'root > Check 0.4–0.4',
        'root > Check 0.5–0.6',
        'root > Check > Check 0.52–0.55',
      ].sort(),
    );
  });
});

describe('chrome trace: cut and broken files', () => {
  it('cut in the middle of an event: the events before it are kept, with a warning naming the file and the byte', async () => {
    const file = fx('tsc6.rxjs.trace.cut-mid-event.json');
    const text = readFileSync(file, 'utf8');
    const cutEventAt = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n{') + 1));
    const r = await importChromeTrace(file);
    const w = r.warnings!.find((x) => x.code === 'truncated')!;
    expect(w).toEqual({
      code: 'truncated',
      file,
      byteOffset: cutEventAt,
      message: `the trace is cut off at byte 300000 inside the event starting at byte ${cutEventAt}, and has no closing "]" (was the writer killed?); the 1743 events before it are kept`,
    });
    // createProgram ended before the cut; "check" had begun: its B is closed at the last event.
    expect(r.warnings!.map((x) => x.code)).toEqual(['truncated', 'unclosed-phase']);
    expect(r.phases!.filter((p) => p.name === 'bindSourceFile')).toHaveLength(308);
    expect(r.phases!.some((p) => p.name === 'createProgram')).toBe(true);
  });

  it('killed between two events: no closing bracket, every event kept', async () => {
    const file = fx('tsc6.rxjs.trace.killed.json');
    const r = await importChromeTrace(file); // "[" and 1499 events
    expect(r.warnings![0]).toEqual({
      code: 'truncated',
      file,
      byteOffset: statSync(file).size,
      message: `the trace ends at byte ${statSync(file).size} without its closing "]" (was the writer killed?); its 1499 events are kept`,
    });
    expect(r.warnings).toHaveLength(1); // killed between two bindSourceFile spans: nothing was open
    expect(r.phases!.filter((p) => p.name === 'bindSourceFile').length).toBeGreaterThan(100);
  });

  it('a syntax error inside one event: that event is skipped with its byte offset, the rest imported', async () => {
    const file = fx('tsc6.rxjs.trace.bad-event.json');
    const text = readFileSync(file, 'utf8');
    const at = Buffer.byteLength(text.split('\n').slice(0, 5).join('\n')) + 1;
    const r = await importChromeTrace(file);
    expect(r.warnings![0]).toMatchObject({ code: 'bad-event', file, byteOffset: at });
    expect(r.warnings![0]!.message).toMatch(new RegExp(`^the event at byte ${at} is not valid JSON \\(.*\\); skipped`));
    // Its E then has no begin.
    expect(r.warnings![1]).toMatchObject({
      code: 'unbalanced-end',
      message: 'an "E" event for "createSourceFile" at ts 172737.719 µs has no open begin on its thread; skipped',
    });
    expect(r.phases!.filter((p) => p.name === 'createSourceFile').length).toBe(
      (await importChromeTrace(fx(TSC6))).phases!.filter((p) => p.name === 'createSourceFile').length - 1,
    );
  });

  it('an array of something else: broken at byte 1', async () => {
    const file = fx('tsc6.rxjs.trace.garbage-after-bracket.json');
    const e = await expectImportError(file);
    expect(e.kind).toBe('broken');
    expect(e.byteOffset).toBe(1);
    expect(e.message).toBe(`${file} (byte 1): expected an event object, found "5163.941,\\"na"`);
  });

  it('a file whose start is lost is not this format', async () => {
    const file = fx('clang14.better_sqlite3.O2.cut-front.json');
    const e = await expectImportError(file);
    expect(e.kind).toBe('not-this-format');
    expect(e.message).toBe(
      `${file} (byte 0): not a Trace Event file: it starts with "tail\\":\\"/usr/", not "[" or "{"`,
    );
  });

  it('a missing file', async () => {
    const e = await expectImportError(path.join(tmp, 'nope.json'));
    expect(e.message).toBe(`${path.join(tmp, 'nope.json')}: no such file`);
  });
});

describe('chrome trace: export, and back', () => {
  let profile: Profile;
  const out = () => path.join(tmp, 'tsc-small.trace.json');

  it('exports a real profiled tsc build as a Trace Event file Perfetto reads', async () => {
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
    profile = await profileBuild({
      argv: [process.execPath, tsc, '-p', 'test/workspaces/tsc-small', '--outDir', path.join(tmp, 'tsc-out')],
      cwd: repoRoot,
    });
    expect(profile.run.status).toBe('ok');
    expect(profile.phases.length).toBeGreaterThan(3);
    expect(profile.series.length).toBeGreaterThan(0);
    await writeChromeTrace(out(), profile);
    const text = readFileSync(out(), 'utf8');
    expect(text).toBe(exportChromeTrace(profile));
    const trace = JSON.parse(text) as {
      // biome-ignore lint/suspicious/noExplicitAny: raw events as JSON.parse gives them, read field by field
      traceEvents: Record<string, any>[];
      otherData: Record<string, string>;
      beginningOfTime: number;
    };
    expect(trace.otherData.command).toBe(profile.run.command.join(' '));
    expect(trace.otherData.status).toBe('ok');
    expect(trace.beginningOfTime).toBe(Math.round(profile.run.startEpochMs * 1000));
    const ev = trace.traceEvents;
    // X events of every pid+tid are well-formed: each one nests in what is open or follows it.
    // biome-ignore lint/suspicious/noExplicitAny: raw events as JSON.parse gives them
    const tracks = new Map<string, Record<string, any>[]>();
    for (const e of ev.filter((x) => x.ph === 'X'))
      tracks.set(`${e.pid}/${e.tid}`, [...(tracks.get(`${e.pid}/${e.tid}`) ?? []), e]);
    for (const list of tracks.values()) {
      const open: number[] = [];
      for (const e of list) {
        while (open.length && open[open.length - 1]! <= e.ts) open.pop();
        if (open.length) expect(e.ts + e.dur).toBeLessThanOrEqual(open[open.length - 1]! + 1e-6);
        open.push(e.ts + e.dur);
      }
    }
    // Counters: one key, the unit in the name; process names; the peak as a global instant.
    const counters = ev.filter((x) => x.ph === 'C');
    expect(counters.length).toBe(profile.series.reduce((n, s) => n + s.tMs.length, 0));
    for (const c of counters) {
      expect(Object.keys(c.args)).toEqual(['bytes']);
      expect(c.name).toMatch(/ \[bytes\]$/);
    }
    const names = ev.filter((x) => x.ph === 'M' && x.name === 'process_name').map((x) => x.args.name);
    expect(names).toContain('tsc');
    const peak = analyze(profile).peak!;
    const instant = ev.find((x) => x.ph === 'i' && x.cat === 'peak')!;
    expect(instant).toMatchObject({ s: 'g', args: { bytes: peak.bytes, phasePath: peak.phasePath.join(' › ') } });
    expect(instant.name).toMatch(new RegExp(`^peak .* in ${peak.phasePath[0]}`));
  });

  it('imports back: the same phases (names, nesting, times within 1 µs) and the same series values', async () => {
    const r = await importChromeTrace(out());
    expect(r.originEpochMs).toBeCloseTo(profile.run.startEpochMs, 3);
    expect(r.run).toMatchObject({
      command: profile.run.command,
      cwd: profile.run.cwd,
      status: 'ok',
      exitCode: profile.run.exitCode,
    });
    // The host and the sampler's facts come back too (how coarse the memory series were).
    expect(profile.run.sampler!.maxGapMs).toBeGreaterThan(0);
    expect(r.run!.sampler).toEqual(profile.run.sampler);
    expect(r.run!.host).toEqual(profile.run.host);
    const sig = (phases: Phase[]) =>
      phases
        .map((p) => {
          const path: string[] = [];
          for (let q: Phase | undefined = p; q; q = q.parent === null ? undefined : phases[q.parent])
            path.unshift(q.name);
          return { path: path.join(' > '), startMs: p.startMs, endMs: p.endMs };
        })
        .sort((a, b) => a.startMs - b.startMs || b.endMs - a.endMs || a.path.localeCompare(b.path));
    const before = sig(profile.phases);
    const after = sig(r.phases!);
    expect(after.map((x) => x.path)).toEqual(before.map((x) => x.path));
    after.forEach((x, i) => {
      expect(Math.abs(x.startMs - before[i]!.startMs)).toBeLessThanOrEqual(0.001);
      expect(Math.abs(x.endMs - before[i]!.endMs)).toBeLessThanOrEqual(0.001);
    });
    expect(r.series!.map((s) => s.name)).toEqual(profile.series.map((s) => s.name));
    expect(r.series!.map((s) => s.kind)).toEqual(profile.series.map((s) => s.kind));
    r.series!.forEach((s, i) => {
      expect(Array.from(s.bytes)).toEqual(Array.from(profile.series[i]!.bytes));
      s.tMs.forEach((t, j) => expect(Math.abs(t - profile.series[i]!.tMs[j]!)).toBeLessThanOrEqual(0.001));
    });
  });
});
