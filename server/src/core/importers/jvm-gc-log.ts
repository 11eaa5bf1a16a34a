// The JVM's unified GC log (format `jvm-gc-log`): `-Xlog:gc` (javac/kotlinc/scalac take it as
// `-J-Xlog:gc…`), JDK 9 and later, with its default decorations [uptime][level][tags]:
//
//   [0.172s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 5M->2M(12M) 3.477ms
//   [0.320s][info][gc] GC(2) Concurrent Mark Cycle
//   [0.331s][info][gc] GC(2) Concurrent Mark Cycle 10.555ms
//
// = seconds since the JVM started (when the line was written: a pause's end), level, tags, GC id, what
// happened, heap used before -> after (committed heap) and the pause. K/M/G are 2^10/2^20/2^30 bytes
// (HotSpot's byte_size_in_proper_unit, truncated). Decorations may also be `uptimemillis` ([172ms]),
// `time`/`uptimenanos`/`pid`/`tid` …: the uptime one gives the clock; a log without one is refused.
// Other lines (`Using G1`, gc+heap details, safepoints) are ignored. A last line without its newline
// was cut (a killed JVM): warned of with its line, kept only when it reads whole.
//
// Series: heap before each GC (at the pause's start), heap after it (the live heap left after the
// collection, at its end) and the committed heap; markers for each pause and each concurrent cycle.

import type { Marker, MemorySeries, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';

export const JVM_GC_LOG_FORMAT = 'jvm-gc-log';

const UNIT: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const SIZE = String.raw`(\d+(?:\.\d+)?)([BKMGT])`;
const PAUSE = new RegExp(String.raw`^GC\((\d+)\) (.+?) ${SIZE}->${SIZE}\(${SIZE}\) (\d+(?:\.\d+)?)ms\s*$`);
const CYCLE = /^GC\((\d+)\) (Concurrent [A-Za-z ]+?)(?: (\d+(?:\.\d+)?)ms)?\s*$/;

export function isJvmGcLog(head: string): boolean {
  return /^(\[[^\]\n]*\])*\[(\d+(\.\d+)?s|\d+ms)\](\[[^\]\n]*\])*\s*(GC\(\d+\) |Using (G1|Serial|Parallel|Shenandoah|The Z Garbage Collector|ZGC))/m.test(
    head,
  );
}

/** Uptime in ms and the message of a decorated line, or undefined when it has no uptime decoration or no gc tag. */
function splitLine(l: string): { tMs: number; msg: string } | undefined {
  const m = /^((?:\[[^\]]*\])+)\s*(.*)$/.exec(l);
  if (!m) return undefined;
  let tMs: number | undefined;
  let gcTag = false;
  for (const [, d] of m[1]!.matchAll(/\[([^\]]*)\]/g)) {
    const s = d!.trim();
    const sec = /^(\d+(?:\.\d+)?)s$/.exec(s);
    const milli = /^(\d+)ms$/.exec(s);
    if (sec && tMs === undefined) tMs = Number(sec[1]) * 1000;
    else if (milli && tMs === undefined) tMs = Number(milli[1]);
    else if (/^gc\b/.test(s)) gcTag = true;
  }
  // Without tags decoration every line is kept; with tags, only those of gc.
  const hasTags = /\[(gc|safepoint|os|class|jit|heap)[,\s\]]/.test(m[1]!);
  if (tMs === undefined || (hasTags && !gcTag)) return undefined;
  return { tMs, msg: m[2]! };
}

const bytesOf = (n: string, u: string) => Number(n) * UNIT[u]!;

export function importJvmGcLog(text: string, file = '<input>'): ImportResult {
  const lines = text.split('\n');
  const warnings: Warning[] = [];
  const before: [number, number][] = [];
  const after: [number, number][] = [];
  const committed: [number, number][] = [];
  const markers: Marker[] = [];
  const cycleStarts = new Map<string, number>();
  let decorated = 0;
  // A file that does not end with a newline was cut (a killed JVM): its last line, unless it reads whole.
  const cutLine = text.endsWith('\n') ? -1 : lines.length - 1;
  lines.forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    const lineNo = i + 1;
    const cut = i === cutLine && l.trim() !== '';
    const s = splitLine(l);
    if (!s) {
      if (cut) warnings.push(cutWarning(file, lineNo, l, false));
      return;
    }
    decorated++;
    // The JVM ends each line with a newline: a last line without one was cut, even when it reads whole
    // (ending in its duration): kept then, dropped otherwise.
    if (cut) {
      const whole = / \d+(\.\d+)?ms\s*$/.test(s.msg);
      warnings.push(cutWarning(file, lineNo, l, whole));
      if (!whole) return;
    }
    const p = PAUSE.exec(s.msg);
    if (p) {
      const id = Number(p[1]);
      const durMs = Number(p[9]);
      const startMs = Math.max(0, Math.round((s.tMs - durMs) * 1000) / 1000);
      before.push([startMs, bytesOf(p[3]!, p[4]!)]);
      after.push([s.tMs, bytesOf(p[5]!, p[6]!)]);
      committed.push([s.tMs, bytesOf(p[7]!, p[8]!)]);
      markers.push({
        name: `GC(${id}) ${p[2]}`,
        kind: 'gc',
        tMs: ms(startMs),
        durMs: ms(durMs),
        detail: `${p[3]}${p[4]}->${p[5]}${p[6]}(${p[7]}${p[8]}) ${p[9]}ms (line ${lineNo})`,
      });
      return;
    }
    const c = CYCLE.exec(s.msg);
    if (c) {
      const key = `${c[1]} ${c[2]}`;
      if (c[3] === undefined) cycleStarts.set(key, s.tMs);
      else {
        const durMs = Number(c[3]);
        const startMs = cycleStarts.get(key) ?? Math.max(0, s.tMs - durMs);
        cycleStarts.delete(key);
        markers.push({
          name: `GC(${c[1]}) ${c[2]}`,
          kind: 'gc-concurrent',
          tMs: ms(startMs),
          durMs: ms(durMs),
          detail: `${c[3]}ms, concurrent with the program (line ${lineNo})`,
        });
      }
      return;
    }
  });
  if (!decorated)
    throw new ImportError(
      'not-this-format',
      'no JVM unified-logging GC line with an uptime decoration ("[0.172s][info][gc] GC(0) …")',
      file,
    );
  for (const [key, t] of cycleStarts)
    markers.push({ name: `GC(${key.replace(' ', ') ')} (unfinished)`, kind: 'gc-concurrent', tMs: ms(t) });
  if (!before.length)
    warnings.push({
      code: 'jvm-gc-log-no-pauses',
      message: `${file}: no GC pause line with heap sizes ("GC(N) Pause … 5M->2M(12M) 3.477ms"): no heap series`,
      file,
    });
  const mk = (id: string, name: string, kind: MemorySeries['kind'], pts: [number, number][]): MemorySeries => ({
    id,
    name,
    kind,
    source: 'JVM -Xlog:gc',
    unit: 'bytes',
    tMs: Float64Array.from(pts, (x) => x[0]),
    bytes: Float64Array.from(pts, (x) => x[1]),
  });
  const series = before.length
    ? [
        mk('jvm-heap-after-gc', 'JVM heap after GC (live)', 'allocator-heap', after),
        mk('jvm-heap-before-gc', 'JVM heap before GC', 'compiler-reported', before),
        mk('jvm-heap-committed', 'JVM committed heap', 'compiler-reported', committed),
      ]
    : [];
  return { series, markers, warnings, sources: [JVM_GC_LOG_FORMAT] };
}

function cutWarning(file: string, line: number, l: string, kept: boolean): Warning {
  return {
    code: 'jvm-gc-log-truncated',
    message: `${file}:${line}: the file ends in the middle of a line (${l.length} characters, no newline): it was cut short; that line is ${kept ? 'kept: it reads whole' : 'dropped'}`,
    file,
    line,
  };
}

export const jvmGcLogImporter = defineImporter({
  format: JVM_GC_LOG_FORMAT,
  description:
    "the JVM's unified GC log (-Xlog:gc, javac -J-Xlog:gc…): heap before and after each GC, committed heap, pauses",
  sniff: isJvmGcLog,
  importText: (text, file) => importJvmGcLog(text, file),
});
