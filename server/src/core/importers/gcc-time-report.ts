// gcc / g++ `-ftime-report` and `-ftime-report-details`, printed on stderr by each cc1 / cc1plus
// process when it finishes (GCC 12 layout):
//
//   (blank line)
//   Time variable                                   usr           sys          wall           GGC
//    phase parsing                      :   1.05 ( 35%)   1.65 ( 68%)   4.13 ( 55%)   176M ( 64%)
//    |name lookup                       :   0.26 (  9%)   0.39 ( 17%)   0.96 ( 14%)  6704k (  2%)
//    callgraph construction             :   0.04 (  1%)   0.01 (  0%)   0.05 (  1%)  2638k (  1%)
//    `- tree gimplify                   :   0.03 (  1%)   0.02 (  1%)   0.02 (  0%)  4221k (  1%)
//    TOTAL                              :   2.97          2.41          7.48          277M
//
// Times are seconds (2 decimals). GGC is the VOLUME allocated in GCC's garbage-collected heap while
// the timevar was on top of the stack: not live memory, not a peak. It is kept as the phase arg
// `ggcAllocatedBytes`, never as a memory series. Units are binary: blank = bytes, k = KiB, M = MiB.
//
// Kinds of rows, and what becomes of them (one root phase per block = per cc1 process):
//  - "phase xxx" rows partition TOTAL: children of the block's root, laid out one after the other.
//  - every other timevar (pass) also sums to about TOTAL, but gcc does not say in which phase it ran:
//    they go under a child "timevars" of the root, one after the other, in gcc's print order (which is
//    the order timevars are declared in, not the order they ran). So "timevars" overlaps the phase rows.
//  - "`- name" rows (-ftime-report-details): time spent in a nested timevar while the row above ran:
//    children of that row.
//  - "|name" rows are accumulated in addition to the others (overlapping timers): under a child
//    "| overlapping timers" of the root, never added to any sum.
// There are no timestamps: every placement is reconstructed (a warning says so). Columns are found by
// their labels in the header (current GCC prints only wall and GGC).

import type { Ms, Phase, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';

type Column = 'usr' | 'sys' | 'wall' | 'GGC';

export interface GccTimevarRow {
  /** As printed, without the "|" or "`- " prefix. */
  name: string;
  kind: 'phase' | 'timevar' | 'detail' | 'overlapping';
  /** Seconds → ms; undefined when the column is absent. */
  usrMs?: number;
  sysMs?: number;
  wallMs?: number;
  ggcAllocatedBytes?: number;
  /** 1-based line in the file. */
  line: number;
}

export interface GccTimeReportBlock {
  rows: GccTimevarRow[];
  /** The TOTAL row, absent when the output was cut before it. */
  total?: GccTimevarRow;
  /** Line of the header. */
  line: number;
  /** `cc1plus` when C++-only timevars appear (name lookup, overload resolution, template instantiation), else `cc1`. */
  compiler: 'cc1' | 'cc1plus';
}

export interface ParsedGccTimeReport {
  blocks: GccTimeReportBlock[];
  warnings: Warning[];
}

const HEADER = /^Time variable\s+((?:(?:usr|sys|wall|GGC)\s*)+)$/;
const ROW = /^ (.*?)\s*:\s+(\d.*)$/;
const PERCENT = /\(\s*\d+%\)/g;
const SECONDS = /^(\d+)\.(\d+)$/;
const GGC = /^(\d+)([kMG]?)$/;
const CXX_ONLY = new Set(['name lookup', 'overload resolution', 'template instantiation']);

/** Sniffs gcc's time report: the "Time variable ... wall ... GGC" header. */
export function isGccTimeReport(text: string): boolean {
  return /^Time variable\s+(?:usr\s+sys\s+)?wall\s+GGC\s*$/m.test(text);
}

function secondsToMs(s: string): number | undefined {
  const m = SECONDS.exec(s);
  if (!m) return undefined;
  // Exact decimal → ms: "7.48" → 7480 (no 7479.999…).
  return Number(m[1]) * 1000 + Number(`${m[2]!}000`.slice(0, 3)) + Number(`0.${m[2]!.slice(3) || '0'}`);
}

function ggcBytes(s: string): number | undefined {
  const m = GGC.exec(s);
  if (!m) return undefined;
  const mult = m[2] === 'k' ? 1024 : m[2] === 'M' ? 1024 ** 2 : m[2] === 'G' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

/** Parses one row's values against the header's columns; undefined when a value is missing or malformed. */
function parseValues(rest: string, columns: Column[]): Partial<GccTimevarRow> | undefined {
  const tokens = rest.replace(PERCENT, ' ').trim().split(/\s+/);
  if (tokens.length !== columns.length) return undefined;
  const out: Partial<GccTimevarRow> = {};
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    if (c === 'GGC') {
      const b = ggcBytes(tokens[i]!);
      if (b === undefined) return undefined;
      out.ggcAllocatedBytes = b;
    } else {
      const ms = secondsToMs(tokens[i]!);
      if (ms === undefined) return undefined;
      out[`${c}Ms`] = ms;
    }
  }
  return out;
}

export function parseGccTimeReport(text: string, file = '<input>'): ParsedGccTimeReport {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const blocks: GccTimeReportBlock[] = [];
  const warnings: Warning[] = [];
  let block: (GccTimeReportBlock & { columns: Column[] }) | undefined;
  const finish = () => {
    if (!block) return;
    const { columns: _c, ...b } = block;
    b.compiler = b.rows.some((r) => CXX_ONLY.has(r.name)) ? 'cc1plus' : 'cc1';
    blocks.push(b);
    if (!b.total) {
      warnings.push({
        code: 'gcc-report-truncated',
        message: `block ${blocks.length} has no TOTAL row (the output was cut): its total is the sum of its phase rows`,
        file,
        line: lines.length,
      });
    }
    block = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const header = HEADER.exec(l);
    if (header) {
      finish();
      block = { rows: [], line: i + 1, compiler: 'cc1', columns: header[1]!.trim().split(/\s+/) as Column[] };
      continue;
    }
    if (!block) continue;
    if (l === '') {
      // A blank line ends a block only after its TOTAL row (gcc prints none inside the table).
      if (block.total) finish();
      continue;
    }
    const m = ROW.exec(l);
    const values = m ? parseValues(m[2]!, block.columns) : undefined;
    if (!m || !values) {
      if (block.total) {
        finish();
        continue;
      }
      if (i === lines.length - 1) {
        warnings.push({
          code: 'gcc-report-truncated',
          message: `the last row is cut: "${l.trim()}" (skipped)`,
          file,
          line: i + 1,
        });
        continue;
      }
      throw new ImportError('broken', `not a row of gcc's time report: "${l.trim()}"`, file, i + 1);
    }
    let name = m[1]!;
    if (name === 'TOTAL') {
      block.total = { name, kind: 'timevar', line: i + 1, ...values };
      continue;
    }
    let kind: GccTimevarRow['kind'] = 'timevar';
    if (name.startsWith('`- ')) {
      kind = 'detail';
      name = name.slice(3);
      if (!block.rows.some((r) => r.kind === 'timevar' || r.kind === 'phase'))
        throw new ImportError('broken', `nested row "${name}" has no timevar row above it`, file, i + 1);
    } else if (name.startsWith('|')) {
      kind = 'overlapping';
      name = name.slice(1);
    } else if (name.startsWith('phase ')) kind = 'phase';
    block.rows.push({ name, kind, line: i + 1, ...values });
  }
  finish();
  if (!blocks.length)
    throw new ImportError('not-this-format', 'no "Time variable ... wall ... GGC" header of gcc -ftime-report', file);
  return { blocks, warnings };
}

function argsOf(r: GccTimevarRow): Record<string, number> {
  const a: Record<string, number> = {};
  if (r.usrMs !== undefined) a.usrMs = r.usrMs;
  if (r.sysMs !== undefined) a.sysMs = r.sysMs;
  if (r.wallMs !== undefined) a.wallMs = r.wallMs;
  if (r.ggcAllocatedBytes !== undefined) a.ggcAllocatedBytes = r.ggcAllocatedBytes;
  return a;
}

/** The duration a row gets: wall time, or usr + sys where a (very old) report has no wall column. */
function durOf(r: GccTimevarRow): Ms {
  return ms(r.wallMs ?? (r.usrMs ?? 0) + (r.sysMs ?? 0));
}

/** Builds the phases of a parsed report: blocks one after the other, each laid out as described at the top. */
export function gccTimeReportToResult(parsed: ParsedGccTimeReport, file = '<input>'): ImportResult {
  const phases: Phase[] = [];
  const warnings: Warning[] = [...parsed.warnings];
  let t = ms(0);
  const counts = { cc1: 0, cc1plus: 0 };
  for (const b of parsed.blocks) {
    const n = ++counts[b.compiler];
    const phaseRows = b.rows.filter((r) => r.kind === 'phase');
    const totalMs = b.total ? durOf(b.total) : ms(phaseRows.reduce((s, r) => s + durOf(r), 0));
    const rootEndMs = ms(t + totalMs);
    const root = phases.length;
    phases.push({
      name: `${b.compiler} #${n}`,
      parent: null,
      startMs: t,
      endMs: rootEndMs,
      category: 'gcc-process',
      args: { ...(b.total ? argsOf(b.total) : {}), reportLine: b.line },
    });
    // Phase rows partition TOTAL; rounding can make them overshoot it by a few ms: clamp to the root.
    let pt = t;
    for (const r of phaseRows) {
      const end = ms(Math.min(pt + durOf(r), rootEndMs));
      phases.push({
        name: r.name,
        parent: root,
        startMs: pt,
        endMs: end,
        category: 'gcc-phase',
        args: { ...argsOf(r), reconstructed: true },
      });
      pt = end;
    }
    const timevars = b.rows.filter((r) => r.kind === 'timevar' || r.kind === 'detail');
    if (timevars.length) {
      const group = phases.length;
      phases.push({
        name: 'timevars',
        parent: root,
        startMs: t,
        endMs: t,
        category: 'gcc-timevar-group',
        args: { reconstructed: true },
      });
      let tt = t;
      let parentIdx = -1;
      let childT = t;
      for (const r of timevars) {
        if (r.kind === 'timevar') {
          parentIdx = phases.length;
          phases.push({
            name: r.name,
            parent: group,
            startMs: tt,
            endMs: ms(tt + durOf(r)),
            category: 'gcc-timevar',
            args: { ...argsOf(r), reconstructed: true },
          });
          childT = tt;
          tt = ms(tt + durOf(r));
        } else {
          const p = phases[parentIdx]!;
          const start = ms(Math.min(childT, p.endMs));
          const end = ms(Math.min(start + durOf(r), p.endMs));
          phases.push({
            name: r.name,
            parent: parentIdx,
            startMs: start,
            endMs: end,
            category: 'gcc-timevar-detail',
            args: { ...argsOf(r), reconstructed: true },
          });
          childT = end;
        }
      }
      phases[group]!.endMs = ms(Math.min(tt, rootEndMs));
      if (tt > rootEndMs) {
        // Timevars past TOTAL (rounding, or a loaded machine) are kept but clipped to the root.
        for (let i = group + 1; i < phases.length; i++) {
          const p = phases[i]!;
          p.startMs = ms(Math.min(p.startMs, rootEndMs));
          p.endMs = ms(Math.min(p.endMs, rootEndMs));
        }
      }
    }
    const overlapping = b.rows.filter((r) => r.kind === 'overlapping');
    if (overlapping.length) {
      const group = phases.length;
      phases.push({
        name: '| overlapping timers',
        parent: root,
        startMs: t,
        endMs: t,
        category: 'gcc-overlapping-group',
        args: { reconstructed: true },
      });
      let ot = t;
      for (const r of overlapping) {
        const end = ms(Math.min(ot + durOf(r), rootEndMs));
        phases.push({
          name: `|${r.name}`,
          parent: group,
          startMs: ot,
          endMs: end,
          category: 'gcc-overlapping',
          args: { ...argsOf(r), reconstructed: true },
        });
        ot = end;
      }
      phases[group]!.endMs = ot;
    }
    t = rootEndMs;
  }
  warnings.push({
    code: 'placement-reconstructed',
    message:
      'gcc -ftime-report gives per-timevar totals, no timestamps: phases are laid out one after the other in print order, the "timevars" lane overlaps the phase rows, and several blocks (one per cc1 process) are placed back to back',
    file,
  });
  return { phases, warnings, sources: ['gcc-time-report'] };
}

/** Parses gcc -ftime-report text into an ImportResult. Throws ImportError. */
export function importGccTimeReport(text: string, file = '<input>'): ImportResult {
  return gccTimeReportToResult(parseGccTimeReport(text, file), file);
}

export const gccTimeReportImporter = defineImporter({
  format: 'gcc-time-report',
  description:
    'gcc/g++ -ftime-report and -ftime-report-details (one root phase per cc1 block; wall time as duration, usr/sys and GGC allocated volume as args: GGC is bytes allocated, not live memory; no timestamps, so placement is reconstructed)',
  sniff: isGccTimeReport,
  importText: importGccTimeReport,
});
