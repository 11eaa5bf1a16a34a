// The Go runtime's GC trace (format `go-gctrace`): with GODEBUG=gctrace=1 every Go program prints one
// line to stderr per garbage collection (Go 1.19 shown; "stacks"/"globals" came in 1.18, "(forced)"
// may end a line):
//
//   gc 2 @0.015s 8%: 1.0+2.1+0.003 ms clock, 2.1+0.56/0.095/0+0.007 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
//
// = GC number (from 1 in each process), @ seconds since THAT process started (when the GC began), %
// of time in GC so far, wall ("clock") time of the sweep termination (stop-the-world) + concurrent mark
// + mark termination (stop-the-world) phases, their CPU times, heap at GC start -> heap at GC end ->
// live heap marked, the heap goal of the next cycle, stacks, globals, processors. MB is 2^20 bytes
// (Go's runtime divides by 1<<20 and truncates), so each figure is a lower bound of up to 1 MiB less.
//
// `go build` passes GODEBUG to every process it runs: the go command's own lines, each compile's and
// the linker's come in one stream. The go command prints "# <import path>" before each package's
// compile output; its own lines (no header) interleave anywhere. Lines are split into processes by the
// GC numbers (a process's GCs are numbered 1, 2, 3 … on a clock that only grows): a line continues the
// current process, else another process it follows, else (gc 1) starts a new one, named by the header
// before it. Each process's series are on its own clock: time 0 is that process's start, so processes
// overlap at 0 (a warning says so). Other lines are ignored. A last line without its newline was cut
// (a killed build): warned of with its line, kept only when it reads whole.

import type { MemorySeries, Marker, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';

export const GO_GCTRACE_FORMAT = 'go-gctrace';
const MIB = 1024 * 1024;

const GC_LINE =
  /^gc (\d+) @(\d+(?:\.\d+)?)s (\d+)%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, [\d.+/]+ ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal\b(.*)$/;

export function isGoGctrace(head: string): boolean {
  return /^gc \d+ @\d+(\.\d+)?s \d+%: /m.test(head);
}

interface GcEvent {
  n: number;
  startMs: number;
  /** Wall time of the cycle: its three phases' clock times. */
  durMs: number;
  pauseMs: number;
  startBytes: number;
  endBytes: number;
  liveBytes: number;
  goalBytes: number;
  forced: boolean;
  line: number;
}

interface GoProcess {
  name: string;
  gcs: GcEvent[];
}

export function importGoGctrace(text: string, file = '<input>'): ImportResult {
  const lines = text.split('\n');
  const warnings: Warning[] = [];
  const procs: GoProcess[] = [];
  let current: GoProcess | undefined;
  let header: string | undefined;
  let unnamed = 0;
  let badLines = 0;
  const follows = (p: GoProcess, e: GcEvent) => {
    const last = p.gcs[p.gcs.length - 1]!;
    return e.n === last.n + 1 && e.startMs >= last.startMs;
  };
  // A file that does not end with a newline was cut (a killed build): its last line is suspect.
  const cutLine = text.endsWith('\n') ? -1 : lines.length - 1;
  lines.forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    const lineNo = i + 1;
    const cut = i === cutLine && l.trim() !== '';
    const m = GC_LINE.exec(l);
    // Go ends each line with a newline: a last line without one was cut, even when it reads whole (a
    // whole line ends with its processor count, and "(forced)"): kept then, dropped otherwise.
    const whole = m !== null && /, \d+ P( \(forced\))?\s*$/.test(l);
    if (cut)
      warnings.push({
        code: 'go-gctrace-truncated',
        message: `${file}:${lineNo}: the file ends in the middle of a line (${l.length} characters, no newline): it was cut short; that line is ${whole ? 'kept: it reads whole' : 'dropped'}`,
        file,
        line: lineNo,
      });
    if (cut && !whole) return;
    if (l.startsWith('# ')) {
      header = l.slice(2).trim();
      return;
    }
    if (!/^gc \d+ @/.test(l)) return;
    if (!m) {
      if (badLines++ === 0)
        warnings.push({
          code: 'go-gctrace-bad-line',
          message: `${file}:${lineNo}: a GC line that does not read as Go's gctrace format was skipped (the first such)`,
          file,
          line: lineNo,
        });
      return;
    }
    const clock = [Number(m[4]), Number(m[5]), Number(m[6])] as const;
    const e: GcEvent = {
      n: Number(m[1]),
      startMs: round3(Number(m[2]) * 1000),
      durMs: round3(clock[0] + clock[1] + clock[2]),
      pauseMs: round3(clock[0] + clock[2]),
      startBytes: Number(m[7]) * MIB,
      endBytes: Number(m[8]) * MIB,
      liveBytes: Number(m[9]) * MIB,
      goalBytes: Number(m[10]) * MIB,
      forced: /\(forced\)/.test(m[11]!),
      line: lineNo,
    };
    let p: GoProcess | undefined;
    if (current && follows(current, e)) p = current;
    else p = [...procs].reverse().find((q) => follows(q, e));
    if (!p) {
      if (e.n !== 1)
        warnings.push({
          code: 'go-gctrace-gap',
          message: `${file}:${lineNo}: gc ${e.n} follows no earlier GC of any process: read as a new process`,
          file,
          line: lineNo,
        });
      const name = header ?? (procs.length === 0 ? 'go command' : `Go process ${++unnamed + 1}`);
      header = undefined;
      p = { name, gcs: [] };
      procs.push(p);
    }
    p.gcs.push(e);
    current = p;
  });
  if (!procs.length) throw new ImportError('not-this-format', 'no GODEBUG=gctrace=1 line ("gc N @Ts P%: …")', file);
  if (badLines > 1)
    warnings.push({
      code: 'go-gctrace-bad-lines',
      message: `${file}: ${badLines} GC lines in all did not read as Go's gctrace format and were skipped`,
      file,
    });
  if (procs.length > 1)
    warnings.push({
      code: 'go-gctrace-own-clocks',
      message: `${file}: ${procs.length} Go processes, each on its own clock (seconds since that process started): their series all start at time 0 and are not placed against each other`,
      file,
    });

  const series: MemorySeries[] = [];
  const markers: Marker[] = [];
  procs.forEach((p, k) => {
    const id = `go${k + 1}`;
    const of = `${p.name} (Go process ${k + 1})`;
    const mk = (suffix: string, name: string, kind: MemorySeries['kind'], pts: [number, number][]): MemorySeries => ({
      id: `${suffix}:${id}`,
      name,
      kind,
      source: 'Go gctrace',
      unit: 'bytes',
      tMs: Float64Array.from(pts, (x) => x[0]),
      bytes: Float64Array.from(pts, (x) => x[1]),
    });
    series.push(
      mk(
        'go-live-heap',
        `live heap after GC of ${of}`,
        'allocator-heap',
        p.gcs.map((g) => [round3(g.startMs + g.durMs), g.liveBytes]),
      ),
      mk(
        'go-heap-at-gc',
        `heap at GC start of ${of}`,
        'compiler-reported',
        p.gcs.map((g) => [g.startMs, g.startBytes]),
      ),
    );
    // The heap goal is a target for the next GC, not memory anyone holds: it stays in each GC's marker,
    // never a series (a series would be read as memory, and could become the "retained" peak).
    for (const g of p.gcs)
      markers.push({
        name: `GC ${g.n}${g.forced ? ' (forced)' : ''} of ${p.name}`,
        kind: 'gc',
        tMs: ms(g.startMs),
        durMs: ms(g.durMs),
        detail: `${g.startBytes / MIB}->${g.endBytes / MIB}->${g.liveBytes / MIB} MiB, goal ${g.goalBytes / MIB} MiB; stop-the-world ${g.pauseMs} ms of ${g.durMs} ms (line ${g.line})`,
      });
  });
  return { series, markers, warnings, sources: [GO_GCTRACE_FORMAT] };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export const goGctraceImporter = defineImporter({
  format: GO_GCTRACE_FORMAT,
  description:
    "the Go runtime's GC trace (GODEBUG=gctrace=1, stderr): live heap after each GC, heap at GC start (the heap goal in each GC's marker), per process",
  sniff: isGoGctrace,
  importText: (text, file) => importGoGctrace(text, file),
});
