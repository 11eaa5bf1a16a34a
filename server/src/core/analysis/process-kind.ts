// What kind of program each process of a build is (a compiler, the build tool, a linker, a
// short-lived helper …), and the memory series grouped by process in the order a legend shows them:
// the tree's totals, then the processes by kind, the largest first. A make build has 20-odd
// processes and a 40-crate cargo build more than 180; a view shows the totals and the top few, and
// folds the rest ("other processes (N)"). The folding is the view's choice: this module only gives
// each group its kind and its rank by peak, and never drops a series.

import type { MemorySeries, ProcessInfo, Profile } from '../model';
import { recordedProcessName } from './recorded-process-name';

export type ProcessKind = 'compiler' | 'driver' | 'build-tool' | 'linker' | 'program' | 'helper' | 'instrumentation';

/** The order of the kinds in a legend, and their names there. */
export const PROCESS_KINDS: readonly { kind: ProcessKind; title: string }[] = [
  { kind: 'compiler', title: 'compilers' },
  { kind: 'driver', title: 'compiler drivers' },
  { kind: 'build-tool', title: 'build tools' },
  { kind: 'linker', title: 'linkers' },
  { kind: 'program', title: 'programs' },
  { kind: 'helper', title: 'helpers' },
  { kind: 'instrumentation', title: "the profiler's own" },
];

const COMPILERS = new Set([
  'cc1',
  'cc1plus',
  'cc1obj',
  'cc1objplus',
  'f951',
  'lto1',
  'gnat1',
  'd21',
  'go1',
  'rustc',
  'clippy-driver',
  'rustdoc',
  'clang',
  'clang++',
  'clang-cl',
  'tsc',
  'tsgo',
  'esbuild',
  'swc',
  'rollup',
  'rolldown',
  'webpack',
  'vite',
  'javac',
  'kotlinc',
  'scalac',
  'ghc',
  'zig',
  'nvcc',
  'cicc',
  'ptxas',
  'slangc',
  'voyd',
  'compile', // go tool compile
]);
/** Front ends that run the compiler proper, the assembler and the linker as children. */
const DRIVERS = new Set(['gcc', 'g++', 'cc', 'c++', 'gfortran', 'cpp', 'x86_64-linux-gnu-gcc', 'x86_64-linux-gnu-g++']);
const BUILD_TOOLS = new Set([
  'make',
  'gmake',
  'ninja',
  'samu',
  'cargo',
  'cmake',
  'meson',
  'bazel',
  'scons',
  'msbuild',
  'gradle',
  'mvn',
  'npm',
  'npx',
  'pnpm',
  'yarn',
  'bun',
  'deno',
  'go',
  'lake',
  'dune',
  'stack',
  'cabal',
  'sbt',
  'xcodebuild',
]);
const LINKERS = new Set([
  'ld',
  'ld.bfd',
  'ld.gold',
  'ld.lld',
  'lld',
  'ld64.lld',
  'rust-lld',
  'mold',
  'collect2',
  'lto-wrapper',
  'link',
  'ar',
  'ranlib',
  'llvm-ar',
  'wasm-ld',
]);
/** Short-lived programs that build steps call: the assembler, shells, file utilities. */
const HELPERS = new Set([
  'as',
  'sh',
  'bash',
  'dash',
  'zsh',
  'env',
  'mv',
  'cp',
  'rm',
  'ln',
  'mkdir',
  'touch',
  'cat',
  'echo',
  'printf',
  'test',
  '[',
  'true',
  'false',
  'expr',
  'sed',
  'awk',
  'gawk',
  'mawk',
  'grep',
  'tr',
  'sort',
  'uniq',
  'head',
  'tail',
  'cut',
  'xargs',
  'find',
  'chmod',
  'install',
  'basename',
  'dirname',
  'uname',
  'which',
  'date',
  'tee',
  'wc',
  'strip',
  'objcopy',
  'pkg-config',
  'git',
  'sleep',
]);

/**
 * The kind of a process: the profiler's own processes are `instrumentation`; the others by the
 * program's name (the first word of its label, else argv[0]'s base name, a version suffix such as
 * `-12` or `.exe` ignored). Node runs the JavaScript compilers, so `node <script>` is a compiler
 * unless the script is a build tool's (`node npm-cli`); a cargo build script is a `program`.
 */
export function processKind(proc: Pick<ProcessInfo, 'argv' | 'label' | 'role'>): ProcessKind {
  if (proc.role === 'instrumentation') return 'instrumentation';
  const words = (proc.label ?? proc.argv[0] ?? '').trim().split(/\s+/);
  const exe = programName(words[0] ?? '');
  if (exe === 'node' || exe === 'nodejs') {
    const script = programName(words[1] ?? '');
    if (BUILD_TOOLS.has(script) || /^(npm|npx|pnpm|yarn)(-cli)?$/.test(script)) return 'build-tool';
    return script ? 'compiler' : 'program';
  }
  return kindOfProgram(exe);
}

/** The kind of a program by its name (`cc1plus`, `gcc-12`, `ld.lld` …). */
export function kindOfProgram(name: string): ProcessKind {
  const exe = programName(name);
  for (const candidate of [exe, exe.replace(/-\d+(\.\d+)*$/, '')]) {
    if (COMPILERS.has(candidate) || /^clang(\+\+)?$/.test(candidate)) return 'compiler';
    if (DRIVERS.has(candidate) || /-(gcc|g\+\+)$/.test(candidate)) return 'driver';
    if (BUILD_TOOLS.has(candidate)) return 'build-tool';
    if (LINKERS.has(candidate)) return 'linker';
    if (HELPERS.has(candidate)) return 'helper';
  }
  return 'program';
}

function programName(word: string): string {
  return (
    word
      .replace(/\\/g, '/')
      .split('/')
      .pop()
      ?.replace(/\.(exe|js|cjs|mjs)$/i, '') ?? ''
  );
}

/** The series of one legend row: the build's totals, or one process (all its measures: RSS, live heap …). */
export interface SeriesGroup {
  /** `tree` for the totals and the series of no process (an imported heap profile's). */
  kind: ProcessKind | 'tree';
  /** e.g. "cc1 main.c (pid 8264)", "whole build". */
  label: string;
  pid?: number;
  /** The highest maximum of the group's series; null when none has a sample. */
  peakBytes: number | null;
  /**
   * The group's place among the processes by peak, highest first (0, 1, …), helpers and the
   * profiler's own after every other kind: a view shows the first few and folds the rest. -1 for
   * `tree`, always shown.
   */
  rank: number;
  /** Indices into `profile.series`, in the profile's order. */
  series: number[];
  /**
   * Those of `series` measuring a program the process replaced by exec (the cc shim's shell before
   * cc1, a live heap per program image): a view leaves them undrawn at first.
   */
  beforeExec: number[];
}

/**
 * The memory series grouped for a legend: first the tree's totals (and series of no process), then
 * one group per process, ordered by kind (PROCESS_KINDS), then peak, highest first. Every series is in
 * exactly one group.
 */
export function seriesGroups(profile: Profile, maxBytes: readonly (number | null)[]): SeriesGroup[] {
  const tree: SeriesGroup = {
    kind: 'tree',
    label: 'whole build',
    peakBytes: null,
    rank: -1,
    series: [],
    beforeExec: [],
  };
  const byPid = new Map<number, SeriesGroup>();
  profile.series.forEach((s: MemorySeries, i) => {
    const max = maxBytes[i] ?? null;
    let g = tree;
    if (s.pid !== undefined && s.kind !== 'rss-tree') {
      let found = byPid.get(s.pid);
      if (!found) {
        const proc = profile.processes.find((q) => q.pid === s.pid);
        const name = recordedProcessName(profile.processes, s.pid);
        found = {
          kind: proc ? processKind(proc) : 'program',
          label: name ? `${name} (pid ${s.pid})` : `pid ${s.pid}`,
          pid: s.pid,
          peakBytes: null,
          rank: 0,
          series: [],
          beforeExec: [],
        };
        byPid.set(s.pid, found);
      }
      g = found;
    }
    g.series.push(i);
    if (max !== null && (g.peakBytes === null || max > g.peakBytes)) g.peakBytes = max;
  });
  // A process with several series of one measure: all but the last to start measured an earlier image.
  for (const g of byPid.values()) {
    const byKind = new Map<string, number[]>();
    for (const i of g.series) byKind.set(profile.series[i]!.kind, [...(byKind.get(profile.series[i]!.kind) ?? []), i]);
    for (const list of byKind.values()) {
      if (list.length < 2) continue;
      const first = (i: number) => profile.series[i]!.tMs[0] ?? 0;
      g.beforeExec.push(...[...list].sort((a, b) => first(a) - first(b)).slice(0, -1));
    }
  }
  const folded = (k: SeriesGroup['kind']) => k === 'helper' || k === 'instrumentation';
  const procs = [...byPid.values()];
  const byPeak = [...procs].sort(
    (a, b) => Number(folded(a.kind)) - Number(folded(b.kind)) || (b.peakBytes ?? -1) - (a.peakBytes ?? -1),
  );
  byPeak.forEach((g, i) => {
    g.rank = i;
  });
  const order = new Map(PROCESS_KINDS.map((k, i) => [k.kind, i]));
  procs.sort((a, b) => order.get(a.kind as ProcessKind)! - order.get(b.kind as ProcessKind)! || a.rank - b.rank);
  return tree.series.length ? [tree, ...procs] : procs;
}
