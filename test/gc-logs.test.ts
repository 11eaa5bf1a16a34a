// The garbage collectors' own logs: Go's GODEBUG=gctrace=1 and the JVM's -Xlog:gc, from real builds
// (test/fixtures/go-gctrace, test/fixtures/jvm-gc-log; COMMAND.txt says how each was made).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGoGctrace, isGoGctrace } from '../server/src/core/importers/go-gctrace';
import { importJvmGcLog, isJvmGcLog } from '../server/src/core/importers/jvm-gc-log';
import type { ImportResult } from '../server/src/core/importers';
import { markerLines, seriesLines, text, warningLines } from './dump';
import { repoRoot } from './helpers';

const fx = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);
const read = (...p: string[]) => readFileSync(fx(...p), 'utf8');
const MiB = 1024 * 1024;
const GO = 'gctrace.go-types.stderr.txt';
const GO_CUT = 'gctrace.go-types.stderr.cut-4000.txt';
const JVM = 'javac25.juc.Xlog-gc.log';
const JVM_CUT = 'javac25.juc.Xlog-gc.cut-1000.log';

const goLines = read('go-gctrace', GO).split('\n');
/** The text of the line a Go GC marker's detail names. */
const lineOf = (detail: string) => goLines[Number(/\(line (\d+)\)/.exec(detail)![1]) - 1]!;

const series = (r: ImportResult, id: string) => {
  const s = r.series!.find((x) => x.id === id);
  if (!s) throw new Error(`no series ${id} (have ${r.series!.map((x) => x.id).join(', ')})`);
  return { kind: s.kind, name: s.name, t: Array.from(s.tMs), mib: Array.from(s.bytes, (b) => b / MiB) };
};

function dump(r: ImportResult): string {
  return text([
    ...seriesLines(r.series ?? [], { label: 'kind-and-name', timeRange: true }),
    ...markerLines(r.markers ?? [], { time: true }),
    ...warningLines(r.warnings ?? []),
  ]);
}

describe('go-gctrace', () => {
  const r = importGoGctrace(read('go-gctrace', GO), GO);

  it('reads every one of the 208 GCs, split into the go command and one process per compiled package', () => {
    expect(r.markers).toHaveLength(208);
    const live = r.series!.filter((s) => s.id.startsWith('go-live-heap:'));
    expect(live.reduce((n, s) => n + s.tMs.length, 0)).toBe(208);
    // The go command (no header) first, then a process per "# <import path>" header; the go command's
    // later lines ("gc 6 @0.103s" after "# internal/cpu") continue its own series.
    const first = series(r, 'go-heap-at-gc:go1');
    expect(first.name).toBe('heap at GC start of go command (Go process 1)');
    expect(first.t.slice(0, 6)).toEqual([10, 15, 22, 27, 32, 103]);
    const cpu = r.series!.find((s) => s.name.includes('of internal/cpu '))!;
    expect(Array.from(cpu.bytes, (b) => b / MiB)).toEqual([2, 4]);
    expect(new Set(r.series!.map((s) => s.name.replace(/^.* of /, ''))).size).toBe(live.length);
  });

  it('gives the live heap after each GC (A->B->C: C) in MiB at the GC end, heap at start (A); the goal only in the marker', () => {
    // gc 2 @0.015s 8%: 1.0+2.1+0.003 ms clock, …, 3->4->1 MB, 4 MB goal
    const live = series(r, 'go-live-heap:go1');
    expect(live.kind).toBe('allocator-heap');
    expect(live.mib.slice(0, 2)).toEqual([0, 1]);
    expect(live.t[1]).toBeCloseTo(15 + 1.0 + 2.1 + 0.003, 6);
    expect(series(r, 'go-heap-at-gc:go1').mib[1]).toBe(3);
    expect(r.series!.some((x) => x.id.startsWith('go-heap-goal'))).toBe(false);
    expect(r.markers![1]).toMatchObject({ kind: 'gc', name: 'GC 2 of go command', tMs: 15 });
    expect(r.markers![1]!.durMs).toBeCloseTo(3.103, 6);
    expect(r.markers![1]!.detail).toMatch(/^3->4->1 MiB, goal 4 MiB; stop-the-world 1\.003 ms of 3\.103 ms/);
    expect(r.warnings!.map((w) => w.code)).toEqual(['go-gctrace-own-clocks']);
  });

  it('keeps the complete lines of a cut file and names the cut line', () => {
    const cut = importGoGctrace(read('go-gctrace', GO_CUT), GO_CUT);
    const lines = read('go-gctrace', GO_CUT).split('\n');
    const whole = lines.filter((l) => /^gc \d+ @/.test(l)).length - 1;
    expect(cut.markers).toHaveLength(whole);
    // Markers come per process: the cut file's are those of the whole file's first lines.
    const firstLines = new Set(lines.slice(0, -1));
    const names = (x: ImportResult) => x.markers!.map((m) => m.name).sort();
    expect(names(cut)).toEqual(names({ markers: r.markers!.filter((m) => firstLines.has(lineOf(m.detail!))) }));
    const w = cut.warnings!.find((x) => x.code === 'go-gctrace-truncated')!;
    expect(w.message).toMatch(
      new RegExp(`^${GO_CUT.replace(/\./g, '\\.')}:${lines.length}: the file ends in the middle of a line`),
    );
    expect(w.line).toBe(lines.length);
  });

  it('matches the dump', async () => {
    await expect(dump(r)).toMatchFileSnapshot(fx('go-gctrace', 'expected', `${GO}.dump.txt`));
  });
});

describe('jvm-gc-log', () => {
  const r = importJvmGcLog(read('jvm-gc-log', JVM), JVM);

  it('reads the 17 pauses and the concurrent mark cycle of javac 25', () => {
    expect(r.markers!.filter((m) => m.kind === 'gc').map((m) => m.name.replace(/ .*/, ''))).toEqual([
      'GC(0)',
      'GC(1)',
      'GC(2)',
      'GC(2)',
      ...Array.from({ length: 14 }, (_, i) => `GC(${i + 3})`),
    ]);
    const cycle = r.markers!.filter((m) => m.kind === 'gc-concurrent');
    expect(cycle).toHaveLength(1);
    expect(cycle[0]).toMatchObject({ name: 'GC(2) Concurrent Mark Cycle', tMs: 320, durMs: 10.555 });
  });

  it('gives heap before, after (live) and committed, in MiB, before at the pause start', () => {
    // [0.172s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 5M->2M(12M) 3.477ms
    const after = series(r, 'jvm-heap-after-gc');
    expect(after.kind).toBe('allocator-heap');
    expect(after.mib).toHaveLength(18);
    expect(after.mib[0]).toBe(2);
    expect(after.t[0]).toBe(172);
    expect(Math.max(...after.mib)).toBe(30);
    const before = series(r, 'jvm-heap-before-gc');
    expect(before.mib[0]).toBe(5);
    expect(before.t[0]).toBeCloseTo(172 - 3.477, 6);
    expect(Math.max(...before.mib)).toBe(92);
    expect(series(r, 'jvm-heap-committed').mib.at(-1)).toBe(116);
    expect(r.markers![0]).toMatchObject({ name: 'GC(0) Pause Young (Normal) (G1 Evacuation Pause)', durMs: 3.477 });
    expect(r.warnings).toEqual([]);
  });

  it('reads K and G sizes, uptimemillis and extra decorations, and skips lines of other tags', () => {
    const log = [
      '[2026-12-08T00:51:15.123+0000][172ms][info][gc       ] GC(0) Pause Full (System.gc()) 1G->512K(2G) 40.5ms',
      '[180ms][info][safepoint] Safepoint "Cleanup", Time since last: 1 ns',
      '',
    ].join('\n');
    const x = importJvmGcLog(log, 'x.log');
    expect(series(x, 'jvm-heap-before-gc').mib).toEqual([1024]);
    expect(series(x, 'jvm-heap-after-gc').mib).toEqual([0.5]);
    expect(series(x, 'jvm-heap-after-gc').t).toEqual([172]);
    expect(x.markers).toHaveLength(1);
  });

  it('keeps the complete lines of a cut file and names the cut line', () => {
    const cut = importJvmGcLog(read('jvm-gc-log', JVM_CUT), JVM_CUT);
    const n = read('jvm-gc-log', JVM_CUT).split('\n').length;
    expect(series(cut, 'jvm-heap-after-gc').mib).toEqual(series(r, 'jvm-heap-after-gc').mib.slice(0, 10));
    expect(cut.warnings!.map((w) => w.message)).toEqual([
      `${JVM_CUT}:${n}: the file ends in the middle of a line (25 characters, no newline): it was cut short; that line is dropped`,
    ]);
  });

  it('matches the dump', async () => {
    await expect(dump(r)).toMatchFileSnapshot(fx('jvm-gc-log', 'expected', `${JVM}.dump.txt`));
  });
});

describe('sniffers', () => {
  it('each takes its own format and not the other', () => {
    const go = read('go-gctrace', GO);
    const jvm = read('jvm-gc-log', JVM);
    expect([isGoGctrace(go), isJvmGcLog(go)]).toEqual([true, false]);
    expect([isGoGctrace(jvm), isJvmGcLog(jvm)]).toEqual([false, true]);
  });
});
