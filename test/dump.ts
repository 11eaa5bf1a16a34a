// Readable text snapshots of what an importer, a collector or build detection returns, shared by the test
// files: each file composes its dump from these sections (phase tree, series, markers, processes, peak,
// arenas, warnings) and snapshots it with toMatchFileSnapshot or compares it with toBe.
//
// Each test file had a dump of its own before, and the snapshots hold what those wrote: so some sections
// have options whose only reason is that one file's snapshots say the same thing differently (two decimals
// or one, "→" or "->", "samples" or "points"). They are named so that the difference stays visible rather
// than copied; change one only together with the snapshots that hold it.
import * as path from 'node:path';
import { findPeak } from '../server/src/core/analysis/analyze';
import type { DetectedBuild } from '../common/detect-builds';
import {
  emptyProfile,
  mergeContribution,
  type Arena,
  type Contribution,
  type Marker,
  type MemorySeries,
  type Phase,
  type Warning,
} from '../server/src/core/model';
import { blankRunFacts } from './helpers';

const MiB = 1024 * 1024;

/** The lines as one text; most snapshots end with a newline, the dumps compared with toBe do not. */
export function text(lines: string[], { finalNewline = true } = {}): string {
  return lines.join('\n') + (finalNewline ? '\n' : '');
}

/** Bytes in decimal megabytes (10^6 B, as the tools print them), with `digits` decimals. */
export const megabytes = (bytes: number, digits: number) => (bytes / 1e6).toFixed(digits);

/** Bytes in mebibytes (2^20 B, as gcc's GGC counts them), with `digits` decimals. */
export const mebibytes = (bytes: number, digits: number) => (bytes / 1024 / 1024).toFixed(digits);

/** The largest value, or 0 (an empty series, or one that never rises above 0). */
function maxOf(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  return max;
}

// ---------------------------------------------------------------------------------------------------
// Phases

/** Nesting depth of a phase (0 for a root), by walking its parents. */
function depthOf(phases: Phase[], i: number): number {
  return phases[i]!.parent === null ? 0 : 1 + depthOf(phases, phases[i]!.parent!);
}

/** One thing a phase line says after the phase's name; nothing (undefined or '') leaves it out. */
export type PhasePart = (p: Phase) => string | undefined;

/** "0.000–65.000 (65.000 ms)": start, end and duration, in ms with `digits` decimals. */
export const span =
  (digits: number): PhasePart =>
  (p) =>
    `${p.startMs.toFixed(digits)}–${p.endMs.toFixed(digits)} (${(p.endMs - p.startMs).toFixed(digits)} ms)`;

/** "63.899 ms": the duration, with `digits` decimals. */
export const duration =
  (digits: number): PhasePart =>
  (p) =>
    `${(p.endMs - p.startMs).toFixed(digits)} ms`;

/** "@4130 +340 ms": start and duration as they are (gcc's report places its rows on whole ms). */
export const offsetAndDuration: PhasePart = (p) => `@${p.startMs} +${p.endMs - p.startMs} ms`;

/** "12.000+3.500": start and duration in ms with `digits` decimals, without a unit. */
export const startPlusDuration =
  (digits: number): PhasePart =>
  (p) =>
    `${p.startMs.toFixed(digits)}+${(p.endMs - p.startMs).toFixed(digits)}`;

/** "js-heap 8.00 MB → 114.00 MB": the memory the tool reports at the boundaries, with its kind, when it has some. */
export const memoryAtBoundaries: PhasePart = (p) => {
  if (p.memStartBytes === undefined && p.memEndBytes === undefined) return undefined;
  const mb = (b: number | undefined) => (b === undefined ? '' : `${megabytes(b, 2)} MB`);
  return `${p.memKind} ${mb(p.memStartBytes)} → ${mb(p.memEndBytes)}`;
};

/** "rss 42.4 -> 91.0 MB": rustc's RSS at the boundaries, one decimal, "?" where it is not known. */
export const rssAtBoundaries: PhasePart = (p) => {
  const mb = (b: number | undefined) => (b === undefined ? '?' : megabytes(b, 1));
  return `rss ${mb(p.memStartBytes)} -> ${mb(p.memEndBytes)} MB`;
};

/** "ggc 175.00 MiB": the GGC volume gcc reports a row allocated. */
export const ggcAllocated: PhasePart = (p) => {
  const b = p.args?.ggcAllocatedBytes;
  return typeof b === 'number' ? `ggc ${mebibytes(b, 2)} MiB` : undefined;
};

/** "[codegen thread]": the thread a pass ran on, where the importer knows it. */
export const thread: PhasePart = (p) => (p.args?.thread ? `[${p.args.thread} thread]` : undefined);

/** "UNCLOSED": a phase whose end the input does not hold (a stopped build). */
export const unclosed: PhasePart = (p) => (p.args?.unclosed ? 'UNCLOSED' : undefined);

export interface PhaseTreeOptions {
  /**
   * How a line shows its place in the tree: indented two spaces per level (`indent`), or prefixed with
   * its parent's index, "-" for a root (`parent-index`: exact, for comparing two imports of one file).
   */
  nesting?: 'indent' | 'parent-index';
  /** Levels of indentation added to every line (1 under a "phases:" heading). */
  indentFrom?: number;
  /** Between the name and each part: two spaces, or one in the terse dumps. */
  separator?: string;
}

/** Every phase in order, one line each: its nesting, its name, then `parts`. */
export function phaseTree(phases: Phase[], parts: PhasePart[], options: PhaseTreeOptions = {}): string[] {
  const { nesting = 'indent', indentFrom = 0, separator = '  ' } = options;
  return phases.map((p, i) => {
    const fields = [p.name, ...parts.map((part) => part(p)).filter((s): s is string => !!s)];
    if (nesting === 'parent-index') return [`${p.parent ?? '-'}`, ...fields].join(separator);
    return `${'  '.repeat(depthOf(phases, i) + indentFrom)}${fields.join(separator)}`;
  });
}

/** Children of each phase (null: the roots), in order. */
function childrenOf(phases: Phase[]): Map<number | null, number[]> {
  const children = new Map<number | null, number[]>();
  phases.forEach((p, i) => {
    const list = children.get(p.parent);
    if (list) list.push(i);
    else children.set(p.parent, [i]);
  });
  return children;
}

/** "phases 1884, roots 618, max depth 12", from the phases' depths (0 for a root). */
export function phaseCounts(phases: Phase[], depths: number[]): string {
  const roots = phases.reduce((n, p) => n + (p.parent === null ? 1 : 0), 0);
  return `phases ${phases.length}, roots ${roots}, max depth ${maxOf(depths)}`;
}

/**
 * The phase tree of a trace with thousands of phases, down to `maxDepth`: siblings of one name grouped
 * ("checkSourceFile ×616  1234.567 ms", their total), a single one with its start ("emit  594.248 ms
 * @4277.585"), and only the first three of a group opened. A phase on a named thread says which ("[LLVM
 * Worker 0]"), except TS 7's per-file pseudo-threads ("file:…"), which would split every group.
 */
export function groupedPhaseTree(phases: Phase[], maxDepth: number): string[] {
  const ms = (x: number) => x.toFixed(3);
  const children = childrenOf(phases);
  const lines: string[] = [];
  const walk = (parent: number | null, depth: number) => {
    const groups = new Map<string, number[]>();
    for (const i of children.get(parent) ?? []) {
      const p = phases[i]!;
      const named = p.args?.thread && !String(p.args.thread).startsWith('file:');
      const key = `${p.name}${named ? ` [${p.args!.thread}]` : ''}`;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    }
    for (const [name, list] of groups) {
      const total = list.reduce((s, i) => s + phases[i]!.endMs - phases[i]!.startMs, 0);
      const count = list.length > 1 ? ` ×${list.length}` : '';
      const start = list.length === 1 ? ` @${ms(phases[list[0]!]!.startMs)}` : '';
      lines.push(`${'  '.repeat(depth)}${name}${count}  ${ms(total)} ms${start}`);
      if (depth < maxDepth) for (const i of list.slice(0, 3)) walk(i, depth + 1);
    }
  };
  walk(null, 0);
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// Clock, processes, series, markers, peak, warnings

export interface OriginOptions {
  /** Add the part of a millisecond that the ISO time drops: "(+0.202 ms)". */
  subMs?: boolean;
  /** Without a clock: say "origin none", or leave the line out. */
  absent?: 'none' | 'omit';
}

/** "origin 2026-11-21T09:06:52.698Z": the epoch time of the import's time 0. */
export function originLines(originEpochMs: number | undefined, options: OriginOptions = {}): string[] {
  const { subMs = false, absent = 'none' } = options;
  if (originEpochMs === undefined) return absent === 'none' ? ['origin none'] : [];
  const fraction = subMs ? ` (+${(originEpochMs % 1).toFixed(3)} ms)` : '';
  return [`origin ${new Date(originEpochMs).toISOString()}${fraction}`];
}

export interface ProcessLineOptions {
  /** Add the number of arguments: "argv[20]". */
  argvCount?: boolean;
  /** Add the process's lifetime: "0..90922 ms". */
  lifetime?: boolean;
}

/** "process 17923 cc1": a process the input names. */
export function processLines(
  processes: NonNullable<Contribution['processes']>,
  options: ProcessLineOptions = {},
): string[] {
  return processes.map((p) => {
    const argv = options.argvCount ? ` argv[${p.argv!.length}]` : '';
    const lifetime = options.lifetime ? ` ${p.startMs}..${p.endMs} ms` : '';
    return `process ${p.pid} ${p.label ?? ''}${argv}${lifetime}`;
  });
}

export interface SeriesLineOptions {
  /** `labelled` "series ID (kind): …", or `terse` "ID samples max", for comparing two imports of one file. */
  style?: 'labelled' | 'terse';
  /** The kind as "(kind)" (trace and bundler dumps), or "[kind]" then the series' own name (heap profilers' dumps). */
  label?: 'kind' | 'kind-and-name';
  /** Add the series' pid: " pid 701". */
  pid?: boolean;
  /** Add the first and last sample's time: ", 0..90922 ms". */
  timeRange?: boolean;
  /** What the samples are called: the bundler dumps say "points". */
  countWord?: 'samples' | 'points';
  /** The maximum in bytes ("max 17454784 B"), or in MB with the time first at it ("max 125.41 MB at 4470.481 ms"). */
  max?: 'bytes' | 'megabytes-at';
}

/** One line per memory series: its id, kind, number of samples and maximum. */
export function seriesLines(series: MemorySeries[], options: SeriesLineOptions = {}): string[] {
  const { style = 'labelled', label = 'kind', pid = false, timeRange = false } = options;
  const { countWord = 'samples', max = 'bytes' } = options;
  return series.map((s) => {
    if (style === 'terse') return `${s.id} ${s.tMs.length} ${maxOf(s.bytes)}`;
    const kind = label === 'kind' ? `(${s.kind})` : `[${s.kind}] "${s.name}"`;
    const range = timeRange ? `, ${s.tMs[0]}..${s.tMs[s.tMs.length - 1]} ms` : '';
    let top: string;
    if (max === 'bytes') top = `${maxOf(s.bytes)} B`;
    else {
      let at = 0;
      for (let i = 1; i < s.bytes.length; i++) if (s.bytes[i]! > s.bytes[at]!) at = i;
      top = `${megabytes(s.bytes[at]!, 2)} MB at ${s.tMs[at]!.toFixed(3)} ms`;
    }
    return `series ${s.id} ${kind}${pid ? ` pid ${s.pid}` : ''}: ${s.tMs.length} ${countWord}${range}, max ${top}`;
  });
}

export interface MarkerLineOptions {
  /** Add the marker's time: "peak @88861 ms: …". */
  time?: boolean;
  /** Cut the detail (a site's long stack) to this many characters. */
  detailChars?: number;
  /** Do not cut the peak's detail: it is what the snapshot checks. */
  wholePeakDetail?: boolean;
}

/** "peak-site: 123 bytes in …": one line per marker, its kind and detail. */
export function markerLines(markers: Marker[], options: MarkerLineOptions = {}): string[] {
  const { time = false, detailChars, wholePeakDetail = false } = options;
  return markers.map((m) => {
    const whole = detailChars === undefined || (wholePeakDetail && m.kind === 'peak');
    return `${m.kind}${time ? ` @${m.tMs} ms` : ''}: ${whole ? m.detail : m.detail!.slice(0, detailChars)}`;
  });
}

/** "markers 12": how many, when there are some. */
export const markerCount = (markers: Marker[]): string[] => (markers.length ? [`markers ${markers.length}`] : []);

/** "markers: gc @12.000, mark @20.500": every marker's name and time on one line, when there are some. */
export function markerNames(markers: Marker[]): string[] {
  return markers.length ? [`markers: ${markers.map((m) => `${m.name} @${m.tMs.toFixed(3)}`).join(', ')}`] : [];
}

/**
 * "peak 125.41 MB in BUILD › generate module graph": the peak the analysis finds once the contribution is
 * merged into an empty profile, and the timed phase it falls in (phases placed by guess get no peak);
 * nothing without series.
 */
export function peakLines(c: Contribution): string[] {
  if (!c.series?.length) return [];
  const p = emptyProfile(blankRunFacts());
  mergeContribution(p, c);
  const peak = findPeak(p);
  const bytes = peak?.bytes === undefined ? '' : `${megabytes(peak.bytes, 2)} MB`;
  const where = peak?.phasePath.length ? `in ${peak.phasePath.join(' › ')}` : 'in no timed phase';
  return [`peak ${bytes} ${where}${peak?.untimedInside ? ` (${peak.untimedInside} not timed)` : ''}`];
}

/** "warning no-timeline: …": one line per warning; or only the codes. */
export function warningLines(warnings: Warning[], { codesOnly = false } = {}): string[] {
  return warnings.map((w) => (codesOnly ? w.code : `warning ${w.code}: ${w.message}`));
}

// ---------------------------------------------------------------------------------------------------
// Arenas: three views, each for what its test checks

/** An arena's bytes at `tMs`: the last sample at or before it; 0 before the first. */
export function arenaBytesAt(a: Arena, tMs: number): number {
  let v = 0;
  for (let i = 0; i < a.tMs.length && a.tMs[i]! <= tMs; i++) v = a.bytes[i]!;
  return v;
}

/** An arena's largest size. */
export const arenaMaxBytes = (a: Arena) => maxOf(a.bytes);

/** An inferred lane in a line: lifetime, samples, maximum, bytes at the peak (`peakMs`), number of uses. */
export function arenaSummary(a: Arena, peakMs: number): string {
  const life = `${a.startMs}..${a.endMs ?? 'alive at the end'} ms`;
  const bytes = `max ${arenaMaxBytes(a)} B, ${arenaBytesAt(a, peakMs)} B at the peak`;
  return `${a.id} [${a.category}] ${life}: ${a.tMs.length} samples, ${bytes}, ${a.uses.length} uses`;
}

/** An arena in full: every sample and use, times in ms to the µs, bytes in MiB where whole ("40M"). */
export function arenaTimeline(a: Arena): string {
  const b = (x: number) => (x % MiB === 0 ? `${x / MiB}M` : `${x}`);
  const t = (x: number | null) => (x === null ? 'alive' : x.toFixed(3));
  const series = Array.from(a.tMs, (tm, i) => `${tm.toFixed(3)}:${b(a.bytes[i]!)}`).join(' ');
  const uses = a.uses.map((u) => `${u.tMs.toFixed(3)}${u.phase ? `@${u.phase}` : ''}`).join(' ');
  const life = `${t(a.startMs)}→${t(a.endMs)}`;
  return `${a.id} ${JSON.stringify(a.name)} [${a.category}] pid ${a.pid} ${life} bytes ${series} uses ${uses}`;
}

/** An arena as its program sees it, without times: its sizes in turn, the phases using it, freed or not. */
export function arenaSteps(a: Arena): string {
  const steps = Array.from(a.bytes, (b) => String(b)).join(' → ');
  const uses = a.uses.map((u) => u.phase ?? '(no phase)').join(', ');
  const freed = a.endMs === null ? 'never freed' : 'freed';
  return `${a.name} [${a.category}] bytes ${steps}; uses: ${uses || 'none'}; ${freed}`;
}

// ---------------------------------------------------------------------------------------------------
// Detected builds

/** "make ← Makefile: make": one line per build, paths inside `dir` relative to it, long scripts as <script>. */
export function buildLines(builds: DetectedBuild[], dir: string): string[] {
  const arg = (a: string) => (a.startsWith(dir + path.sep) ? a.slice(dir.length + 1) : a.length > 60 ? '<script>' : a);
  return builds.map((b) => `${b.name} ← ${b.source}: ${b.argv.map(arg).join(' ')}`);
}
