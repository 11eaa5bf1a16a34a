// esbuild's hidden `--timing` report (format `esbuild-timing`), printed on stderr after the build:
//
//   ▶ [INFO] Timing information (times may not nest hierarchically due to parallelism)
//
//     Scan phase: 200ms                       2 spaces of indentation per level, pre-order,
//       Scan all dependencies: 198ms          integer milliseconds; labels may hold quotes and
//     Compile phase: 148ms                    file names ("Generate chunk \"es-three.js\": 55ms")
//       Link: 148ms
//   …
//     ../../../es-three.js  1.7mb ⚠️          the normal summary follows a blank line
//   ⚡ Done in 355ms
//
// No timestamps and no memory: the phases are laid out one after another (children from their
// parent's start). As esbuild's header says, children can add up to more than their parent (parallel
// work): such children are laid out overlapping from the parent's start and a warning says so;
// durations are never clamped. "Done in" (esbuild's own total) is checked against the top-level sum.

import type { Ms, Phase, Warning } from '../model';
import { ms, secondsToMs } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';
import { layoutReportTree, stripAnsi } from './rollup-perf';

export const ESBUILD_TIMING_FORMAT = 'esbuild-timing';

const HEADER = /Timing information \(times may not nest hierarchically due to parallelism\)/;
const ROW = /^((?: {2})+)(.+): (\d+)ms$/;
const DONE = /^\S* ?Done in (\d+(?:\.\d+)?)(ms|s)\s*$/m;

export interface EsbuildTiming {
  name: string;
  /** 0 for the top level. */
  depth: number;
  ms: Ms;
  /** 1-based. */
  line: number;
}

export interface EsbuildTimingReport {
  timings: EsbuildTiming[];
  /** esbuild's "Done in" total, when the summary was printed. */
  doneMs?: Ms;
}

export function isEsbuildTiming(text: string): boolean {
  return HEADER.test(text);
}

/**
 * Reads the timing tree after the header. A blank line ends it; a row that does not parse is an
 * error unless it is the last line of the input (output cut short: kept with a warning).
 */
export function parseEsbuildTiming(text: string, file = '<input>', warnings: Warning[] = []): EsbuildTimingReport {
  const lines = stripAnsi(text)
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const total = lines.length;
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  // esbuild ends the table with a blank line: "row\n\n" leaves two empty strings after the split.
  const blankAtEnd = total - lines.length >= 2;
  const h = lines.findIndex((l) => HEADER.test(l));
  if (h < 0)
    throw new ImportError('not-this-format', 'no esbuild --timing report (no "Timing information" header)', file);
  const timings: EsbuildTiming[] = [];
  let i = h + 1;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  let ended = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      // Spaces that end the input without a newline are the start of a row cut short, not the
      // blank line that ends the table.
      ended = i < lines.length - 1 || total > lines.length;
      break;
    }
    const m = ROW.exec(line);
    const depth = m ? m[1]!.length / 2 - 1 : -1;
    const prevDepth = timings.length ? timings[timings.length - 1]!.depth : -1;
    if (m && depth <= prevDepth + 1) {
      timings.push({ name: m[2]!, depth, ms: ms(Number(m[3])), line: i + 1 });
      continue;
    }
    if (i === lines.length - 1) {
      warnings.push({
        code: 'esbuild-timing-truncated',
        message: `${file}:${i + 1}: the last line is not a complete timing row ("${line}"): the report is cut short; kept the ${timings.length} row(s) before it`,
        file,
        line: i + 1,
      });
      ended = true; // warned
      break;
    }
    throw new ImportError(
      'broken',
      m
        ? `"${m[2]}" is indented ${depth - prevDepth} levels deeper than the row before it`
        : `"${line}" is not an esbuild timing row like "    Link: 148ms"`,
      file,
      i + 1,
    );
  }
  if (!timings.length)
    throw new ImportError('broken', 'the "Timing information" header is followed by no timing row', file, h + 1);
  if (!ended && !blankAtEnd)
    warnings.push({
      code: 'esbuild-timing-truncated',
      message: `${file}:${lines.length}: the input ends right after a timing row, without the blank line that ends esbuild's table: the report may be cut short; kept the ${timings.length} row(s)`,
      file,
      line: lines.length,
    });
  const done = DONE.exec(lines.slice(i).join('\n'));
  const report: EsbuildTimingReport = { timings };
  if (done) report.doneMs = done[2] === 's' ? secondsToMs(Number(done[1])) : ms(Number(done[1]));
  return report;
}

/** The phases laid out from `startMs`, with the warnings of the layout and of the cross-check against "Done in". */
export function esbuildTimingPhases(
  r: EsbuildTimingReport,
  opts: { startMs: Ms; pid?: number; file?: string },
): { phases: Phase[]; warnings: Warning[]; totalMs: Ms } {
  const laid = layoutReportTree(r.timings, opts.startMs, (t) => t.depth, {
    tool: 'esbuild',
    ...(opts.file ? { file: opts.file } : {}),
  });
  const phases = laid.placed.map((p) => {
    const ph: Phase = {
      name: p.node.name,
      parent: p.parent,
      startMs: p.startMs,
      endMs: ms(p.startMs + p.node.ms),
      category: 'esbuild',
      args: { reconstructed: true },
    };
    if (opts.pid !== undefined) ph.pid = opts.pid;
    return ph;
  });
  const totalMs = ms(laid.endMs - opts.startMs);
  const file = opts.file ? { file: opts.file } : {};
  const warnings: Warning[] = [
    {
      code: 'esbuild-phases-reconstructed',
      message: `esbuild --timing reports durations without timestamps: its ${phases.length} phases are laid out one after another (children from their parent's start); their durations are esbuild's, their placement is reconstructed`,
      ...file,
    },
    ...laid.warnings,
  ];
  // Each row is rounded to whole ms: allow 1 ms per top-level row.
  const tops = r.timings.filter((t) => t.depth === 0).length;
  if (r.doneMs !== undefined && totalMs > r.doneMs + tops) {
    warnings.push({
      code: 'esbuild-timing-exceeds-total',
      message: `esbuild's top-level phases add up to ${totalMs} ms, more than its own "Done in ${r.doneMs}ms"`,
      ...file,
    });
  }
  return { phases, warnings, totalMs };
}

export function importEsbuildTiming(text: string, file = '<input>'): ImportResult {
  const warnings: Warning[] = [];
  const r = parseEsbuildTiming(text, file, warnings);
  const laid = esbuildTimingPhases(r, { startMs: ms(0), file });
  const result: ImportResult = {
    phases: laid.phases,
    warnings: [...laid.warnings, ...warnings],
    sources: [ESBUILD_TIMING_FORMAT],
  };
  if (r.doneMs !== undefined) result.run = { wallMs: r.doneMs };
  return result;
}

export const esbuildTimingImporter = defineImporter({
  format: ESBUILD_TIMING_FORMAT,
  description: "esbuild's hidden --timing report (stderr): indented tree of phase times",
  sniff: isEsbuildTiming,
  importText: importEsbuildTiming,
});
