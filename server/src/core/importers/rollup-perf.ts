// rollup's timings: the CLI's `--perf` report and the JS API's `bundle.getTimings()` (format
// `rollup-perf` for both).
//
// CLI (stdout, console.info, printed after the bundle is written; ANSI styling even when redirected):
//
//   # BUILD: 9778ms, 106 MB / 114 MB                    "<label>: <ms>ms, <heapUsed delta> / <max heapUsed>"
//   ## generate module graph: 2650ms, 69.8 MB / 78 MB   ms: integer; bytes: pretty-bytes, decimal SI
//   - plugin 0 (stdin) - resolveId: 65ms, 345 kB / …    (1 kB = 1000 B), 3 significant digits, "-" < 0
//   generate ast: 1544ms, 60.3 MB / 82.8 MB
//
// API: `{"# BUILD": [4115.65, 107213184, 115654536], …}` = [ms, heapUsed delta bytes, max heapUsed bytes].
//
// Nesting is rollup's own label prefix: "# " level 1, "## " level 2, none level 3, "- " level 4
// (plugin hooks); rows are in first-start order, a pre-order walk of the tree. Each label's time and
// delta are summed over every start/end pair of that label; the max is process.memoryUsage().heapUsed
// at the latest of its ends. There are no timestamps: the phases are laid out one after another
// (children from their parent's start) and a warning says their placement is reconstructed. A label
// timed once (levels 1-2, "treeshaking pass N", "optimize chunks") has its heapUsed at start and end
// (memStartBytes = max − delta, memEndBytes = max, memKind js-heap) and gives two points of a js-heap
// series; a summed label (plugin hooks, "generate ast") keeps its figures as args only.
//
// The helpers at the end (stripAnsi, layoutReportTree) are shared with the other
// bundler report importers (esbuild-timing, voyd-perf).

import type { Bytes, MemorySeries, Ms, Phase, Warning } from '../model';
import { SeriesBuilder } from '../model';
import { bytes as asBytes, ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { byteOffsetOf, ImportError } from './import-error';

export const ROLLUP_PERF_FORMAT = 'rollup-perf';

export interface RollupTiming {
  /** The label as rollup prints it, prefix included ("## generate module graph"). */
  label: string;
  /** Without its prefix ("generate module graph"). */
  name: string;
  /** 1 for "# ", 2 for "## ", 3 for no prefix, 4 for "- " (plugin hooks). */
  level: 1 | 2 | 3 | 4;
  ms: Ms;
  heapDeltaBytes: Bytes;
  maxHeapUsedBytes: Bytes;
  /** 1-based line in the input (CLI form). */
  line?: number;
}

/** One report: the rows from one "# BUILD" on (`rollup -c` with several outputs prints several). */
export interface RollupReport {
  timings: RollupTiming[];
  form: 'cli' | 'api';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes it strips
const ANSI = /\x1b\[[0-9;]*m/g;
const SIZE = String.raw`(-?\d+(?:\.\d+)?) ([kMGTP]?B)`;
const ROW = new RegExp(String.raw`^(.+?): (\d+)ms, ${SIZE} / ${SIZE}$`);
const CLI_BUILD_ROW = /^# BUILD: \d+ms, /m;
const API_BUILD_KEY = /^\s*\{\s*"# BUILD"\s*:\s*\[/;
const UNIT: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15 };

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Sniffs either form: a "# BUILD: <n>ms, " row (ANSI codes allowed) or getTimings() JSON. */
export function isRollupPerf(text: string): boolean {
  return API_BUILD_KEY.test(text) || CLI_BUILD_ROW.test(stripAnsi(text));
}

function levelOf(label: string): RollupTiming['level'] {
  return label.startsWith('## ') ? 2 : label.startsWith('# ') ? 1 : label.startsWith('- ') ? 4 : 3;
}

function nameOf(label: string): string {
  return label.replace(/^(## |# |- )/, '');
}

/**
 * Reads the reports of a file or of a build's stdout. Lines before the first "# BUILD" row are
 * skipped (other output); after it, a line that is not a row ends the report when it is blank, is
 * tolerated (with a warning) when it is the last line (output cut short), and is an error otherwise.
 */
export function parseRollupPerf(text: string, file = '<input>', warnings: Warning[] = []): RollupReport[] {
  if (API_BUILD_KEY.test(text)) return [parseApi(text, file)];
  const lines = stripAnsi(text)
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const reports: RollupReport[] = [];
  let current: RollupReport | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = ROW.exec(line);
    if (m && levelOf(m[1]!) === 1 && nameOf(m[1]!) === 'BUILD') reports.push((current = { timings: [], form: 'cli' }));
    if (!current) continue;
    if (!m) {
      if (line.trim() === '') {
        current = undefined;
        continue;
      }
      if (i === lines.length - 1) {
        warnings.push({
          code: 'rollup-perf-truncated',
          message: `${file}:${i + 1}: the last line is not a complete timing row ("${line}"): the report is cut short; kept the ${current.timings.length} row(s) before it`,
          file,
          line: i + 1,
        });
        break;
      }
      throw new ImportError(
        'broken',
        `"${line}" is not a rollup --perf row like "## generate module graph: 2650ms, 69.8 MB / 78 MB"`,
        file,
        i + 1,
      );
    }
    const label = m[1]!;
    current.timings.push({
      label,
      name: nameOf(label),
      level: levelOf(label),
      ms: ms(Number(m[2])),
      heapDeltaBytes: bytes(m[3]!, m[4]!),
      maxHeapUsedBytes: bytes(m[5]!, m[6]!),
      line: i + 1,
    });
  }
  if (!reports.length || !reports.some((r) => r.timings.length))
    throw new ImportError('not-this-format', 'no rollup --perf report (no "# BUILD: <n>ms, …" row)', file);
  const found = reports.filter((r) => r.timings.length);
  // rollup prints BUILD, then GENERATE, whose last step is "generate bundle", then WRITE when it
  // writes files: a report that stops elsewhere was cut (unless a cut row was already warned of).
  const last = found[found.length - 1]!.timings;
  const end = last[last.length - 1]!;
  const complete = (end.level === 1 && end.name === 'WRITE') || end.name === 'generate bundle';
  if (!complete && !warnings.some((w) => w.code === 'rollup-perf-truncated'))
    warnings.push({
      code: 'rollup-perf-truncated',
      message: `${file}:${end.line}: the report stops at "${end.label}", before "generate bundle" and "WRITE": it is cut short; kept the ${last.length} row(s)`,
      file,
      line: end.line,
    });
  return found;
}

function bytes(value: string, unit: string): Bytes {
  return asBytes(Math.round(Number(value) * UNIT[unit]!));
}

function parseApi(text: string, file: string): RollupReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    throw new ImportError(
      'broken',
      `bundle.getTimings() JSON does not parse: ${(e as Error).message}`,
      file,
      undefined,
      pos ? Number(pos[1]) : text.length,
    );
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new ImportError('not-this-format', 'not a bundle.getTimings() object', file);
  const timings: RollupTiming[] = [];
  for (const [label, v] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ImportError(
        'broken',
        `"${label}": expected [ms, heapUsed delta bytes, max heapUsed bytes], got ${JSON.stringify(v)}`,
        file,
        undefined,
        byteOffsetOf(text, JSON.stringify(label)),
      );
    }
    timings.push({
      label,
      name: nameOf(label),
      level: levelOf(label),
      ms: ms(v[0] as number),
      heapDeltaBytes: asBytes(v[1] as number),
      maxHeapUsedBytes: asBytes(v[2] as number),
    });
  }
  return { timings, form: 'api' };
}

/** Labels rollup times exactly once per build, so that heapUsed at their start and end is known. */
function timedOnce(t: RollupTiming): boolean {
  return t.level <= 2 || /^treeshaking pass \d+$/.test(t.name) || t.name === 'optimize chunks';
}

export interface RollupPhasesOptions {
  /** Where the first report starts (ms on the caller's clock). */
  startMs: Ms;
  pid?: number;
  file?: string;
}

/**
 * The phases of the reports laid out one after another from `startMs`, plus the js-heap series of
 * the heapUsed figures of labels timed once, and warnings (placement reconstructed, children longer
 * than their parent).
 */
export function rollupPerfPhases(
  reports: RollupReport[],
  opts: RollupPhasesOptions,
): { phases: Phase[]; series: MemorySeries[]; warnings: Warning[]; totalMs: Ms } {
  const phases: Phase[] = [];
  const warnings: Warning[] = [];
  let at = opts.startMs;
  for (const r of reports) {
    const nodes = r.timings.map((t) => ({ name: t.name, level: t.level, ms: t.ms, t }));
    const laid = layoutReportTree(nodes, at, (n) => n.level, {
      tool: 'rollup',
      ...(opts.file ? { file: opts.file } : {}),
    });
    warnings.push(...laid.warnings);
    const base = phases.length;
    laid.placed.forEach((p) => {
      const t = p.node.t;
      const ph: Phase = {
        name: t.name,
        parent: p.parent === null ? null : p.parent + base,
        startMs: p.startMs,
        endMs: ms(p.startMs + t.ms),
        category: t.level === 4 ? 'rollup-plugin-hook' : 'rollup',
        args: {
          label: t.label,
          heapUsedDeltaBytes: t.heapDeltaBytes,
          maxHeapUsedBytes: t.maxHeapUsedBytes,
          reconstructed: true,
        },
      };
      if (opts.pid !== undefined) ph.pid = opts.pid;
      if (timedOnce(t)) {
        ph.memStartBytes = asBytes(t.maxHeapUsedBytes - t.heapDeltaBytes);
        ph.memEndBytes = t.maxHeapUsedBytes;
        ph.memKind = 'js-heap';
      } else ph.args!.summedOverCalls = true;
      phases.push(ph);
    });
    at = laid.endMs;
  }
  const points: [Ms, Bytes][] = [];
  for (const p of phases)
    if (p.memKind === 'js-heap') points.push([p.startMs, p.memStartBytes!], [p.endMs, p.memEndBytes!]);
  points.sort((a, b) => a[0] - b[0]);
  const sb = new SeriesBuilder(points.length || 1);
  for (const [t, b] of points) sb.push(t, b);
  const series = points.length
    ? [
        sb.build({
          id: opts.pid !== undefined ? `js-heap:rollup-perf:${opts.pid}` : 'js-heap:rollup-perf',
          name: `V8 heapUsed at rollup's timer starts and ends (rollup --perf${opts.pid !== undefined ? `, pid ${opts.pid}` : ''}; times reconstructed)`,
          kind: 'js-heap',
          source: 'rollup --perf',
          ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
        }),
      ]
    : [];
  const w: Warning = {
    code: 'rollup-phases-reconstructed',
    message: `rollup --perf reports per-label totals without timestamps: its ${phases.length} phases are laid out one after another in rollup's order (children from their parent's start); their durations are rollup's, their placement is reconstructed`,
  };
  if (opts.file) w.file = opts.file;
  warnings.unshift(w);
  return { phases, series, warnings, totalMs: ms(at - opts.startMs) };
}

/** Imports a saved `--perf` report (stdout of the CLI) or `bundle.getTimings()` JSON. */
export function importRollupPerf(text: string, file = '<input>'): ImportResult {
  const warnings: Warning[] = [];
  const reports = parseRollupPerf(text, file, warnings);
  const laid = rollupPerfPhases(reports, { startMs: ms(0), file });
  return {
    phases: laid.phases,
    series: laid.series,
    warnings: [...laid.warnings, ...warnings],
    sources: [ROLLUP_PERF_FORMAT],
  };
}

export const rollupPerfImporter = defineImporter({
  format: ROLLUP_PERF_FORMAT,
  description: 'rollup --perf report (CLI stdout, ANSI codes allowed) or bundle.getTimings() JSON',
  sniff: isRollupPerf,
  importText: importRollupPerf,
});

// ---------------------------------------------------------------------------------------------
// Shared by the bundler report importers

export interface ReportNode {
  name: string;
  ms: Ms;
}

export interface PlacedNode<N extends ReportNode> {
  node: N;
  /** Index in `placed`. */
  parent: number | null;
  startMs: Ms;
}

/**
 * Lays out a pre-order tree of durations without timestamps (depth from `depthOf`, any increasing
 * numbers): siblings one after another from their parent's start. When the children of a phase add
 * up to more than the phase itself (parallel work, summed async calls, rounding), they are laid out
 * overlapping, all from the parent's start, and a warning names them; a child longer than its parent
 * sticks out past the parent's end (durations are never clamped) and is warned about too.
 */
export function layoutReportTree<N extends ReportNode>(
  nodes: N[],
  startMs: Ms,
  depthOf: (n: N) => number,
  ctx: { tool: string; file?: string },
): { placed: PlacedNode<N>[]; endMs: Ms; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const parent: (number | null)[] = [];
  const stack: number[] = [];
  nodes.forEach((n, i) => {
    while (stack.length && depthOf(nodes[stack[stack.length - 1]!]!) >= depthOf(n)) stack.pop();
    parent.push(stack.length ? stack[stack.length - 1]! : null);
    stack.push(i);
  });
  // Children lists, then placement parent by parent in input order (pre-order: a parent before its
  // children), without recursion: a damaged report can nest thousands of levels deep.
  const roots: number[] = [];
  const children: number[][] = nodes.map(() => []);
  parent.forEach((p, i) => (p === null ? roots : children[p]!).push(i));
  const start = new Array<Ms>(nodes.length);
  const place = (p: number | null, kids: number[], from: Ms): Ms => {
    const sumMs = kids.reduce((s, k) => s + nodes[k]!.ms, 0);
    const overlap = p !== null && sumMs > nodes[p]!.ms;
    if (overlap) {
      const longest = kids.filter((k) => nodes[k]!.ms > nodes[p]!.ms);
      const w: Warning = {
        code: `${ctx.tool}-children-exceed-parent`,
        message:
          `${ctx.tool}: the children of "${nodes[p]!.name}" add up to ${round(sumMs)} ms, more than its own ${round(nodes[p]!.ms)} ms (parallel work, summed calls or rounding): laid out overlapping from its start, durations kept` +
          (longest.length
            ? `; ${longest.map((k) => `"${nodes[k]!.name}" (${round(nodes[k]!.ms)} ms)`).join(', ')} alone outlast${longest.length === 1 ? 's' : ''} it`
            : ''),
      };
      if (ctx.file) w.file = ctx.file;
      warnings.push(w);
    }
    let at = from;
    for (const k of kids) {
      start[k] = overlap ? from : at;
      if (!overlap) at = ms(at + nodes[k]!.ms);
    }
    return at;
  };
  const endMs = place(null, roots, startMs);
  for (let i = 0; i < nodes.length; i++) if (children[i]!.length) place(i, children[i]!, start[i]!);
  return { placed: nodes.map((node, i) => ({ node, parent: parent[i]!, startMs: start[i]! })), endMs, warnings };
}

function round(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}
