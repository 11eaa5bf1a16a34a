// Ninja's build log (format `ninja-log`), `.ninja_log` in the build directory (ninja and CMake -G Ninja):
//
//   # ninja log v5                                                     v5 (ninja 1.10-1.11), v6, v7
//   4	106	1796691093238702800	CMakeFiles/minivm.dir/hashtab.c.o	d93b42c0f37629bf
//   1	125	1796691093254767087	CMakeFiles/minivm.dir/main.c.o	218c9772d41e5a30
//   …
//   start_ms TAB end_ms TAB mtime TAB target TAB command_hash, one line per output of each command run
//
// Times are integer ms since that ninja run started. Ninja appends a line when a command finishes, so
// within one run the end times never go down; every run appends to the same file, its clock starting
// again at 0. The importer keeps the LATEST run only: a run ends before a line that ends earlier than
// the line before it, or that names a target already built in this run (ninja builds each target at
// most once per run). Earlier runs are counted in a warning. Lines of one command (several outputs:
// same start, end and hash, one after the other) are one phase named by its first output.
//
// One phase per command, from its start to its end, `category: 'ninja'`; no memory, no pid. The
// parallel structure: `args.slot` is the lowest slot free when the command started (a slot frees at
// the end of its command), so overlapping commands never share one; `run.wallMs` is the last end.
// A last line cut short (a build stopped while ninja wrote it) is left out with a warning naming the
// file and line; any other line that does not parse is an error.
//
// Not handled: a log that ninja recompacted (it rewrites the file with one line per target in no order
// when it holds too many stale lines) is read as many short runs; only the last of them is shown.

import type { Phase, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';

export const NINJA_LOG_FORMAT = 'ninja-log';

const HEADER = /^# ninja log v(\d+)[ \t]*\r?$/;
const SNIFF = /^# ninja log v\d+[ \t]*\r?(\n|$)/;
/** The oldest version with the five fields read here (v4 and older: no mtime, or the command itself). */
const MIN_VERSION = 5;
const INT = /^\d+$/;

export interface NinjaLogEntry {
  startMs: number;
  endMs: number;
  /** As ninja wrote it (its unit depends on the platform and version). */
  mtime: string;
  target: string;
  commandHash: string;
  /** 1-based. */
  line: number;
}

export interface NinjaLog {
  version: number;
  /** Every complete entry, in file order. */
  entries: NinjaLogEntry[];
}

export function isNinjaLog(head: string): boolean {
  return SNIFF.test(head);
}

/** The header's version and every complete line. A cut last line is dropped with a warning. */
export function parseNinjaLog(text: string, file = '<input>', warnings: Warning[] = []): NinjaLog {
  const lines = text.split('\n');
  const header = HEADER.exec(lines[0] ?? '');
  if (!header) throw new ImportError('not-this-format', 'no "# ninja log vN" header on the first line', file, 1);
  const version = Number(header[1]);
  if (version < MIN_VERSION)
    throw new ImportError(
      'broken',
      `ninja log v${version} is older than v${MIN_VERSION} (its lines lack the fields read here)`,
      file,
      1,
    );
  // The text ends with a newline when complete: the last "line" of the split is then empty.
  const cutShort = lines[lines.length - 1] !== '';
  const entries: NinjaLogEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    let l = lines[i]!;
    if (l.endsWith('\r')) l = l.slice(0, -1);
    if (l === '' && i === lines.length - 1) break;
    const f = l.split('\t');
    const ok = f.length === 5 && INT.test(f[0]!) && INT.test(f[1]!) && f[3] !== '' && /^[0-9a-f]+$/i.test(f[4]!);
    const last = i === lines.length - 1;
    if (!ok || (last && cutShort)) {
      if (last && cutShort) {
        warnings.push({
          code: 'ninja-log-truncated',
          message: `${file}:${i + 1}: the last line has no newline (${JSON.stringify(l)}): the log is cut short; kept the ${entries.length} complete line(s) before it`,
          file,
          line: i + 1,
        });
        break;
      }
      throw new ImportError(
        'broken',
        `${JSON.stringify(l)} is not a ninja log line like "start_ms<TAB>end_ms<TAB>mtime<TAB>target<TAB>hash"`,
        file,
        i + 1,
      );
    }
    const startMs = Number(f[0]);
    const endMs = Number(f[1]);
    if (endMs < startMs)
      throw new ImportError('broken', `"${f[3]}" ends (${endMs} ms) before it starts (${startMs} ms)`, file, i + 1);
    entries.push({ startMs, endMs, mtime: f[2]!, target: f[3]!, commandHash: f[4]!, line: i + 1 });
  }
  return { version, entries };
}

/** Index of the first entry of the last run (see the header comment for the rule). */
export function lastRunStart(entries: NinjaLogEntry[]): number {
  let start = 0;
  let seen = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > start && (e.endMs < entries[i - 1]!.endMs || seen.has(e.target))) {
      start = i;
      seen = new Set();
    }
    seen.add(e.target);
  }
  return start;
}

export function importNinjaLog(text: string, file = '<input>'): ImportResult {
  const warnings: Warning[] = [];
  const log = parseNinjaLog(text, file, warnings);
  const from = lastRunStart(log.entries);
  const run = log.entries.slice(from);
  if (from > 0)
    warnings.push({
      code: 'ninja-log-earlier-runs',
      message: `${file}: ninja appended ${from} line(s) of earlier runs before the last run's ${run.length} (from line ${run[0]!.line}); only the last run is shown`,
      file,
      line: run[0]!.line,
    });
  // One job per command: consecutive lines with the same times and hash are the outputs of one edge.
  const jobs: NinjaLogEntry[][] = [];
  for (const e of run) {
    const prev = jobs[jobs.length - 1]?.[0];
    if (prev && prev.startMs === e.startMs && prev.endMs === e.endMs && prev.commandHash === e.commandHash)
      jobs[jobs.length - 1]!.push(e);
    else jobs.push([e]);
  }
  jobs.sort((a, b) => a[0]!.startMs - b[0]!.startMs || a[0]!.endMs - b[0]!.endMs || a[0]!.line - b[0]!.line);
  const slotEnds: number[] = [];
  const phases: Phase[] = jobs.map((job) => {
    const e = job[0]!;
    let slot = slotEnds.findIndex((end) => end <= e.startMs);
    if (slot < 0) slot = slotEnds.push(e.endMs) - 1;
    else slotEnds[slot] = e.endMs;
    const args: Record<string, string | number | boolean> = { slot, commandHash: e.commandHash, line: e.line };
    if (job.length > 1) args.outputs = job.map((x) => x.target).join(' ');
    return { name: e.target, parent: null, startMs: ms(e.startMs), endMs: ms(e.endMs), category: 'ninja', args };
  });
  if (!phases.length)
    warnings.push({
      code: 'ninja-log-empty',
      message: `${file}: the ninja log holds no command (a build with nothing to do writes only the header)`,
      file,
    });
  const result: ImportResult = { phases, warnings, sources: [NINJA_LOG_FORMAT] };
  let wallMs = 0;
  for (const e of run) if (e.endMs > wallMs) wallMs = e.endMs;
  if (phases.length) result.run = { wallMs: ms(wallMs) };
  return result;
}

export const ninjaLogImporter = defineImporter({
  format: NINJA_LOG_FORMAT,
  description: "Ninja's .ninja_log (v5+): one phase per command with its start and end, by parallel slot",
  sniff: isNinjaLog,
  importText: importNinjaLog,
});
