// What kind of program each process is, the legend's groups of series (totals, then processes by
// kind and peak, helpers last), and series that follow exec. On real profiles of
// test/fixtures/cmi-profile (gcc through `make -j2`, tsc), recorded before series followed exec.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { kindOfProgram, processKind, seriesGroups } from '../server/src/core/analysis/process-kind';
import { nameSeriesAfterProcesses, withProcessLabel } from '../server/src/core/collect/series-names';
import type { Profile } from '../server/src/core/model';
import { parseProfile } from '../server/src/core/profile-file';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { repoRoot } from './helpers';

const fixture = (name: string): Profile =>
  parseProfile(readFileSync(path.join(repoRoot, 'test/fixtures/cmi-profile', name), 'utf8'), name);

describe('process kinds', () => {
  it('tells compilers, drivers, build tools, linkers and helpers apart by program name', () => {
    const kinds = Object.fromEntries(
      [
        'cc1',
        'cc1plus',
        '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus',
        'rustc',
        'clang++-16',
        'gcc',
        'g++-12',
        'x86_64-linux-gnu-gcc-12',
        'make',
        'cargo',
        'ninja',
        'collect2',
        'ld',
        'rust-lld',
        'as',
        'sh',
        'mv',
        'build-script-build',
      ].map((n) => [n, kindOfProgram(n)]),
    );
    expect(kinds).toEqual({
      cc1: 'compiler',
      cc1plus: 'compiler',
      '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus': 'compiler',
      rustc: 'compiler',
      'clang++-16': 'compiler',
      gcc: 'driver',
      'g++-12': 'driver',
      'x86_64-linux-gnu-gcc-12': 'driver',
      make: 'build-tool',
      cargo: 'build-tool',
      ninja: 'build-tool',
      collect2: 'linker',
      ld: 'linker',
      'rust-lld': 'linker',
      as: 'helper',
      sh: 'helper',
      mv: 'helper',
      'build-script-build': 'program',
    });
  });

  it('reads the label first (what the process became), then argv; node scripts by their name', () => {
    expect(processKind({ argv: ['/bin/sh', '/tmp/shims/cc1'], label: 'cc1 main.c' })).toBe('compiler');
    expect(processKind({ argv: ['/bin/sh', 'x'] })).toBe('helper');
    expect(processKind({ argv: ['node', 'tsc.js'], label: 'node tsc' })).toBe('compiler');
    expect(processKind({ argv: ['node', 'npm-cli.js'], label: 'node npm-cli' })).toBe('build-tool');
    expect(processKind({ argv: ['rustc'], label: 'rustc regex_syntax' })).toBe('compiler');
    expect(processKind({ argv: ['/bin/bash', 'cc-wrapper.sh'], label: 'cc-wrapper', role: 'instrumentation' })).toBe(
      'instrumentation',
    );
  });
});

describe('series that follow exec (a make -j2 build of gcc)', () => {
  const p = fixture('c-multi.make.profile.json');
  // Recorded before this rule: the live heap of cc1's shim was named after the shim.
  const before = p.series.map((s) => s.name);
  nameSeriesAfterProcesses(p);

  it('names every series of a process that became cc1 after cc1, never after the shell it started as', () => {
    expect(before.filter((n) => / of sh \(pid/.test(n)).length).toBeGreaterThan(0);
    for (const proc of p.processes.filter((q) => q.label?.startsWith('cc1 '))) {
      const names = p.series.filter((s) => s.pid === proc.pid).map((s) => s.name);
      expect(names.length, proc.label).toBeGreaterThanOrEqual(2);
      for (const n of names) expect(n).toContain(`of ${proc.label} (pid ${proc.pid}`);
    }
    expect(p.series.filter((s) => /of (sh|bash) \(pid/.test(s.name) && s.pid !== undefined)).toEqual(
      p.series.filter((s) => {
        const label = p.processes.find((q) => q.pid === s.pid)?.label ?? '';
        return /of (sh|bash) \(pid/.test(s.name) && /^(sh|bash)\b/.test(label);
      }),
    );
  });

  it('keeps the images of one process apart: those before its exec say so', () => {
    const cc1 = p.processes.find((q) => q.label === 'cc1 main.c')!;
    expect(
      p.series
        .filter((s) => s.pid === cc1.pid && s.kind === 'allocator-heap')
        .map((s) => s.name)
        .sort(),
    ).toEqual([
      `live heap of cc1 main.c (pid ${cc1.pid}) (allocator)`,
      `live heap of cc1 main.c (pid ${cc1.pid}, before exec) (allocator)`,
    ]);
  });

  it('replaces only the label between " of " and " (pid N"', () => {
    expect(withProcessLabel('live V8 heap of node x (pid 12) (after full GC)', 12, 'node tsc')).toBe(
      'live V8 heap of node tsc (pid 12) (after full GC)',
    );
    expect(withProcessLabel('RSS of the process tree', 12, 'x')).toBe('RSS of the process tree');
  });
});

describe('legend groups', () => {
  const p = fixture('c-multi.make.profile.json');
  nameSeriesAfterProcesses(p);
  const a = analyze(p);
  const groups = seriesGroups(
    p,
    a.series.map((s) => s.maxBytes),
  );

  it('puts every series in exactly one group: the totals first, then processes by kind, then peak', () => {
    expect(groups.flatMap((g) => g.series).sort((x, y) => x - y)).toEqual(p.series.map((_, i) => i));
    expect(groups[0]).toMatchObject({ kind: 'tree', rank: -1 });
    expect(groups[0]!.series.map((i) => p.series[i]!.id).sort()).toEqual(['live-heap-tree', 'rss-tree']);
    const order = ['compiler', 'driver', 'build-tool', 'linker', 'program', 'helper', 'instrumentation'];
    const kinds = groups.slice(1).map((g) => order.indexOf(g.kind));
    expect(kinds).toEqual([...kinds].sort((x, y) => x - y));
    // The six cc1 compiles lead, largest first.
    const compilers = groups.filter((g) => g.kind === 'compiler');
    expect(compilers.map((g) => g.label.split(' (')[0]).sort()).toEqual(
      ['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c'].map((f) => `cc1 ${f}`),
    );
    const peaks = compilers.map((g) => g.peakBytes!);
    expect(peaks).toEqual([...peaks].sort((x, y) => y - x));
  });

  it('ranks helpers after every other process, so a view folding past the top 8 folds them', () => {
    const helpers = groups.filter((g) => g.kind === 'helper');
    expect(helpers.map((g) => g.label.split(' ')[0])).toContain('as');
    const others = groups.filter((g) => g.kind !== 'tree' && g.kind !== 'helper' && g.kind !== 'instrumentation');
    expect(Math.min(...helpers.map((g) => g.rank))).toBeGreaterThan(Math.max(...others.map((g) => g.rank)));
    // Ranks are 0..n-1 over the processes.
    expect(
      groups
        .slice(1)
        .map((g) => g.rank)
        .sort((x, y) => x - y),
    ).toEqual(groups.slice(1).map((_, i) => i));
  });

  it('marks the series of a program replaced by exec, and carries all of it into the timeline model', () => {
    const cc1 = groups.find((g) => g.label.startsWith('cc1 main.c'))!;
    expect(cc1.beforeExec.map((i) => p.series[i]!.name)).toEqual([expect.stringContaining('before exec')]);
    const model = buildTimelineModel(p, a);
    expect(model.seriesGroups.map((g) => g.series)).toEqual(groups.map((g) => g.series));
    expect(model.seriesGroups.find((g) => g.kind === 'compiler')!.kindTitle).toBe('compilers');
    // The summary's rows say each series' process kind.
    expect(a.series.find((s) => s.id === 'rss-tree')!.processKind).toBeUndefined();
    expect(a.series.find((s) => s.id === `rss:${cc1.pid}`)!.processKind).toBe('compiler');
  });

  it('a profile of one Node process: the totals and one compiler group', () => {
    const t = fixture('tsc-small.profile.json');
    nameSeriesAfterProcesses(t);
    const g = seriesGroups(
      t,
      analyze(t).series.map((s) => s.maxBytes),
    );
    expect(g.flatMap((x) => x.series).length).toBe(t.series.length);
    expect(g.filter((x) => x.kind === 'compiler').length).toBeGreaterThanOrEqual(1);
  });
});
