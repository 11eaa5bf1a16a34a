// tsc's statistics table, printed on stdout by `--diagnostics` / `--extendedDiagnostics`, after any
// error diagnostics:
//
//   Files:                         308        TS 6 --extendedDiagnostics: counts, "Memory used: 181613K",
//   Lines of Library:            55727        then one "<measure> time" row per performance measure in
//   ...                                       first-use order ("I/O Read time", "Parse time", "Program
//   Memory used:               181613K        time", "transformTime time", ...), then "Total time".
//   ...                                       Times are seconds with 2 decimals; K = 1000 bytes
//   Check time:                  3.20s        (process.memoryUsage().heapUsed at the end).
//   Total time:                  4.86s
//
// TS 6 --diagnostics prints fewer rows ("I/O read", "I/O write", and "Parse time", which is really the
// Program measure). TS 7 (native) prints one table for both flags: "Memory allocs", "Config time",
// times with 3 decimals, and K = 1024 bytes (Go's live heap at the end). With `tsc -b` there are
// "Aggregate ..." rows and a "Projects in scope" table. Only totals: no timestamps, no per-phase memory.
//
// The table is read from the last "Files:" row on (in watch or build mode there is one per compile).

import type { Contribution, Ms, Phase, Warning } from '../model';
import { bytes, ms } from '../units';
import { ImportError } from './import-error';
import { defineImporter } from './importer';

export type TscDiagnosticsVersion = 6 | 7 | 'unknown';

export interface TscDiagnostics {
  /** 7: "Memory allocs" row or 3-decimal times; 6: 2-decimal times; 'unknown': neither (no timings). */
  version: TscDiagnosticsVersion;
  /** Every row of the table, name → value as printed ("Check time" → "3.20s"), in order. */
  rows: Map<string, string>;
  /** Time rows in ms, keyed by the row name without its " time" suffix ("Check", "I/O Read", "Total"). */
  timesMs: Record<string, number>;
  /** "Memory used" in bytes (K = 1000 B for TS 6, 1024 B for TS 7). */
  memoryUsedBytes?: number;
  /** The 1-based line of the table's last row. */
  endLine: number;
}

const TABLE_START = /^(?:Files:[ \t]+\d+[ \t]*\r?\n(?:Lines|Lines of Library):|Projects in scope:[ \t]+\d+[ \t]*\r?$)/m;
/** A line that starts like a row: a name (letters, digits, spaces, "/", "()", "-") and a colon. */
const ROW_NAME = /^([A-Za-z][A-Za-z0-9 /()'-]*?):(?:[ \t]|$)/;
const ROW = /^([A-Za-z][A-Za-z0-9 /()'-]*?):[ \t]+(\S+)[ \t]*$/;
const TIME_VALUE = /^(\d+)\.(\d+)s$/;

/** Sniffs the table: a "Files:" row followed by a "Lines" row, or a `tsc -b` "Projects in scope:" row. */
export function isTscDiagnostics(text: string): boolean {
  return TABLE_START.test(text);
}

/**
 * Reads the last statistics table of `text`. Throws ImportError ('broken', with the line) when there is
 * no table, or when a row of it is broken (e.g. output cut in the middle of a row).
 */
export function parseTscDiagnostics(text: string, fileName = '<input>'): TscDiagnostics {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let start = -1;
  for (let i = lines.length - 1; i >= 0 && start < 0; i--) if (/^Files:[ \t]+\d+[ \t]*$/.test(lines[i]!)) start = i;
  for (let i = lines.length - 1; i >= 0 && start < 0; i--)
    if (/^Projects in scope:[ \t]+\d+[ \t]*$/.test(lines[i]!)) start = i;
  if (start < 0) {
    throw new ImportError('broken', 'no tsc --diagnostics/--extendedDiagnostics table (no "Files:" row)', fileName, 1);
  }

  const rows = new Map<string, string>();
  const timesMs: Record<string, number> = {};
  let decimals: number | undefined;
  let endLine = start + 1;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const named = ROW_NAME.exec(line);
    if (!named) break; // the end of the table (an empty line, "Found 2 errors", the watch prompt ...)
    const row = ROW.exec(line);
    const name = named[1]!;
    const value = row?.[2];
    const fail = (what: string) =>
      new ImportError('broken', `row "${name}": ${what} (the table is cut or damaged)`, fileName, i + 1);
    if (value === undefined) throw fail('no value');
    if (isTimeRow(name)) {
      const m = TIME_VALUE.exec(value);
      if (!m) throw fail(`"${value}" is not a time in seconds like "3.20s"`);
      decimals = Math.max(decimals ?? 0, m[2]!.length);
      timesMs[name.replace(/ time$/, '')] = Math.round(Number(`${m[1]}.${m[2]}`) * 1e6) / 1e3;
    } else if (isMemoryRow(name)) {
      if (!/^\d+K$/.test(value)) throw fail(`"${value}" is not a size like "181613K"`);
    } else if (!/^\d+$/.test(value)) throw fail(`"${value}" is not a count`);
    rows.set(name, value);
    endLine = i + 1;
  }

  const version: TscDiagnosticsVersion =
    rows.has('Memory allocs') || rows.has('Aggregate Memory allocs') || decimals === 3
      ? 7
      : decimals === 2
        ? 6
        : 'unknown';
  const memory = rows.get('Memory used') ?? rows.get('Aggregate Memory used');
  const result: TscDiagnostics = { version, rows, timesMs, endLine };
  // TS 6 prints Math.round(bytes / 1000) + "K"; TS 7 prints Go's bytes / 1024. Without timings the
  // version is unknown; TS 7 always prints "Memory allocs", so it is TS 6's unit then.
  if (memory) result.memoryUsedBytes = Number(memory.slice(0, -1)) * (version === 7 ? 1024 : 1000);
  return result;
}

function isTimeRow(name: string): boolean {
  return name.endsWith(' time') || name === 'I/O read' || name === 'I/O write';
}

function isMemoryRow(name: string): boolean {
  return name === 'Memory used' || name === 'Aggregate Memory used';
}

/**
 * The top-level phases of the table, in tsc's order: TS 6 Program › Bind › Check › Emit (the other
 * measures nest inside Program and Emit), TS 7 Config › [BuildInfo read] › Parse › Bind › Check › Emit ›
 * [Changes compute]. The table has totals only, so they are laid out one after another, ending at
 * `endMs`; durations are tsc's, placement is reconstructed (args.reconstructed). The last phase
 * carries "Memory used" as its end memory.
 */
export function tscDiagnosticsPhases(d: TscDiagnostics, opts: { endMs: Ms; pid?: number }): Phase[] {
  const parts = topLevelTimes(d);
  const totalMs = parts.reduce((s, [, durMs]) => s + durMs, 0);
  let at = ms(Math.max(0, opts.endMs - totalMs));
  const phases: Phase[] = parts.map(([name, durMs]) => {
    const p: Phase = {
      name,
      parent: null,
      startMs: at,
      endMs: ms(at + durMs),
      category: 'tsc',
      args: { reconstructed: true },
    };
    if (opts.pid !== undefined) p.pid = opts.pid;
    at = ms(at + durMs);
    return p;
  });
  const last = phases[phases.length - 1];
  if (last && d.memoryUsedBytes !== undefined) {
    last.memEndBytes = bytes(d.memoryUsedBytes);
    last.memKind = d.version === 7 ? 'compiler-reported' : 'js-heap';
  }
  return phases;
}

/** The warning that goes with tscDiagnosticsPhases. */
export function reconstructedWarning(d: TscDiagnostics, phases: Phase[], file?: string): Warning {
  const names = phases.map((p) => p.name).join(', ');
  const w: Warning = {
    code: 'tsc-phases-reconstructed',
    message: `tsc${d.version === 'unknown' ? '' : ` ${d.version}`} reports only totals: the phases ${names} are laid out one after another, ending when tsc ended; their durations are tsc's, their placement is reconstructed`,
  };
  if (file) w.file = file;
  return w;
}

/** Imports a saved statistics table (stdout of tsc with --diagnostics or --extendedDiagnostics). */
export function importTscDiagnostics(text: string, fileName: string): Contribution {
  const d = parseTscDiagnostics(text, fileName);
  const phases = tscDiagnosticsPhases(d, { endMs: ms(topLevelTimes(d).reduce((s, [, durMs]) => s + durMs, 0)) });
  const warnings: Warning[] = [reconstructedWarning(d, phases, fileName)];
  // "Total time" is the table's last row in every tsc version: without it the output was cut.
  if (!('Total' in d.timesMs) && !('Aggregate Total' in d.timesMs)) {
    warnings.push({
      code: 'tsc-diagnostics-truncated',
      message: `${fileName}:${d.endLine}: the table ends without its last row, "Total time": the output is cut short; kept the ${d.rows.size} row(s) before it`,
      file: fileName,
      line: d.endLine,
    });
  }
  return { phases, warnings, sources: ['tsc-diagnostics'] };
}

export const tscDiagnosticsImporter = defineImporter({
  format: 'tsc-diagnostics',
  description: 'tsc --diagnostics / --extendedDiagnostics output (TypeScript 6 and 7)',
  sniff: isTscDiagnostics,
  importText: importTscDiagnostics,
});

function topLevelTimes(d: TscDiagnostics): [name: string, ms: number][] {
  const t = d.timesMs;
  const parts: [string, number][] = [];
  if (d.version === 7) {
    for (const name of Object.keys(t))
      if (name !== 'Total' && !name.startsWith('Aggregate ')) parts.push([name, t[name]!]);
  } else {
    // Plain --diagnostics calls the Program measure "Parse time"; --extendedDiagnostics has both.
    const programMs = 'Program' in t ? t.Program : t.Parse;
    if (programMs !== undefined) parts.push(['Program', programMs]);
    for (const name of ['Bind', 'Check', 'Emit']) if (t[name] !== undefined) parts.push([name, t[name]!]);
  }
  return parts;
}
