// rolldown's RD_LOG tracing output (format `rolldown-log`): tracing-subscriber's "pretty" records,
// written on stdout by the JS API (the CLI ignores RD_LOG), separated by blank lines:
//
//   2026-11-21T09:12:36.586619Z DEBUG rolldown::stages::link_stage: close, time.busy: 14.7ms, time.idle: 320ns
//     at crates/rolldown/src/stages/link_stage/mod.rs:276
//     in rolldown::stages::link_stage::link                  <- the span itself (innermost first)
//     in rolldown::bundle::bundle::bundle_write
//     in rolldown::bundle::bundle_factory::build with CONTEXT_build_id: "bid_0_count_0", …
//
// Timestamps are RFC 3339 UTC with µs: a real timeline (originEpochMs = the first timestamp). Span
// events are "enter" (an async span enters many times) and "close, time.busy: X, time.idle: Y" with
// ns/µs/ms/s units (µ is U+00B5; 3 significant digits). Other records are plain events.
//
// A span instance is identified by its "in" stack. It ends at its close; it starts at its first
// "enter" within the rounding of close − busy − idle (busy + idle run from the span's creation), or at
// that estimate when the log has no such enter (the root `build` span is created before the first
// record: time 0 is then its estimated start, and originEpochMs is moved back to it). Its parent is the
// instance of the stack without its first line that is open at the child's close. Spans of worker
// threads carry no parent context (a one-line stack): they go under the innermost span containing them
// in time (args.parentByTime). A span still open at the end of the log (a cut log, a killed build), or
// an ancestor that never appeared itself, ends at the last timestamp, with a warning. The phase is
// named after the span's last path segment (`link`, `instantiate_chunks`); args hold the full span
// path, busy/idle ms and the span's fields.
// INFO/WARN/ERROR events become markers; DEBUG/TRACE events are counted only.

import type { EpochMs, Marker, Ms, Phase, Warning } from '../model';
import { epochMs, ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';
import { stripAnsi } from './rollup-perf';

export const ROLLDOWN_LOG_FORMAT = 'rolldown-log';

const HEAD = /^\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(\S+?):\s(.*)$/;
const CLOSE = /^close, time\.busy: (\S+), time\.idle: (\S+)$/;
const DURATION = /^(\d+(?:\.\d+)?)(ns|µs|μs|us|ms|s)$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, µs: 1e-3, μs: 1e-3, us: 1e-3, ms: 1, s: 1e3 };

export function isRolldownLog(text: string): boolean {
  const t = stripAnsi(text);
  return (
    /^\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z\s+(?:TRACE|DEBUG|INFO|WARN|ERROR)\s+\S+: /m.test(t) &&
    /^\s+in (?:rolldown|devtool)::/m.test(t)
  );
}

/** A duration as tracing prints it ("14.7ms", "1.13µs", "0.00ns") in ms. */
export function parseTracingDuration(s: string): Ms | undefined {
  const m = DURATION.exec(s);
  return m ? ms(Math.round(Number(m[1]) * UNIT_MS[m[2]!]! * 1e9) / 1e9) : undefined;
}

export interface RolldownRecord {
  /** Epoch ms, fractional (µs kept). */
  epochMs: number;
  level: string;
  target: string;
  message: string;
  /** "in" lines, innermost first, as printed (with their fields). */
  stack: string[];
  /** 1-based line of the record's first line. */
  line: number;
}

/**
 * The records of the log. Lines outside records (the build's own output) are skipped; a record head
 * that is cut short is tolerated as the last line of the input (with a warning) and an error elsewhere.
 */
export function parseRolldownRecords(text: string, file = '<input>', warnings: Warning[] = []): RolldownRecord[] {
  const lines = stripAnsi(text).split('\n');
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const records: RolldownRecord[] = [];
  let cur: RolldownRecord | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const m = HEAD.exec(line);
    if (m) {
      const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
      records.push(
        (cur = {
          epochMs: Date.parse(`${m[1]}Z`) + Number(frac) / 1000,
          level: m[3]!,
          target: m[4]!,
          message: m[5]!,
          stack: [],
          line: i + 1,
        }),
      );
      continue;
    }
    if (cur && /^\s+in \S/.test(line)) {
      cur.stack.push(line.trim().slice(3));
      continue;
    }
    if (cur && /^\s+at \S/.test(line)) continue;
    if (/^\s*\d{4}-\d\d-\d\dT[\d:.]*Z?\s*\S*$/.test(line) || /^\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z\s/.test(line)) {
      // A record head that does not parse: the log was cut in the middle of it, or is damaged.
      if (i === lines.length - 1) {
        warnings.push({
          code: 'rolldown-log-truncated',
          message: `${file}:${i + 1}: the last record is cut short ("${line.trim()}"): ignored`,
          file,
          line: i + 1,
        });
        break;
      }
      throw new ImportError(
        'broken',
        `"${line.trim()}" is not a tracing record head like "2026-11-21T09:12:36.586619Z DEBUG rolldown::stages::link_stage: enter"`,
        file,
        i + 1,
      );
    }
    cur = undefined; // a blank line ends a record; anything else is output of the build
  }
  if (!records.length)
    throw new ImportError(
      'not-this-format',
      'no RD_LOG tracing record (no "<RFC 3339 time>Z <LEVEL> <target>: …" line)',
      file,
    );
  return records;
}

/** How late a close record can be stamped after its span's times were measured (ms). */
export const CLOSE_STALL_MS = 50;

interface Instance {
  key: string;
  stack: string[];
  startMs: Ms;
  endMs: Ms;
  closed: boolean;
  busyMs?: Ms;
  idleMs?: Ms;
  parent?: Instance;
  /** The start is the close record's time minus busy + idle, no enter record matched it. */
  estimated?: boolean;
  /** The parent was found by time containment, not by the "in" lines. */
  parentByTime?: boolean;
  index?: number;
}

export interface RolldownSpans {
  phases: Phase[];
  markers: Marker[];
  warnings: Warning[];
  /** Epoch ms of time 0 (the first record). */
  originEpochMs: EpochMs;
  /** The build's span of the log (the root spans), ms relative to the origin. */
  endMs: Ms;
  events: number;
}

/** Spans and events of a parsed log, times in ms relative to the first record. */
export function rolldownSpans(records: RolldownRecord[], opts: { file?: string; pid?: number } = {}): RolldownSpans {
  const file = opts.file ?? '<input>';
  const origin = records[0]!.epochMs;
  const rel = (r: RolldownRecord): Ms => ms(r.epochMs - origin);
  const warnings: Warning[] = [];
  const markers: Marker[] = [];
  /** Enter times per stack not yet matched to a close. */
  const enters = new Map<string, Ms[]>();
  const instances: Instance[] = [];
  let events = 0;
  for (const r of records) {
    const key = r.stack.join('\n');
    if (r.message === 'enter') {
      if (r.stack.length) enters.set(key, [...(enters.get(key) ?? []), rel(r)]);
      continue;
    }
    const c = CLOSE.exec(r.message);
    if (c) {
      const busyMs = parseTracingDuration(c[1]!);
      const idleMs = parseTracingDuration(c[2]!);
      if (busyMs === undefined || idleMs === undefined)
        throw new ImportError(
          'broken',
          `"${busyMs === undefined ? c[1] : c[2]}" is not a tracing duration like "14.7ms" or "1.13µs"`,
          file,
          r.line,
        );
      if (!r.stack.length) throw new ImportError('broken', 'a span close record without its "in" lines', file, r.line);
      const endMs = rel(r);
      // busy + idle run from the span's creation; its first enter is the exact time, when it is in the
      // log and within the rounding of busy + idle (3 significant digits) of that estimate.
      const estimateMs = ms(endMs - busyMs - idleMs);
      const tolMs = 0.005 * (busyMs + idleMs) + 0.001;
      const pending = (enters.get(key) ?? []).filter((t) => t >= estimateMs - tolMs);
      const startMs = pending.length ? pending[0]! : estimateMs;
      enters.set(
        key,
        pending.filter((t) => t < startMs || t > endMs),
      );
      instances.push({ key, stack: r.stack, startMs, endMs, closed: true, busyMs, idleMs, estimated: !pending.length });
      continue;
    }
    events++;
    if (r.level === 'INFO' || r.level === 'WARN' || r.level === 'ERROR') {
      const comma = r.message.indexOf(', ');
      markers.push({
        name: comma > 0 ? r.message.slice(0, comma) : r.message,
        kind: `log:${r.level.toLowerCase()}`,
        tMs: rel(r),
        detail: `${r.target}: ${r.message}`,
        ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
      });
    }
  }
  const lastMs = rel(records[records.length - 1]!);
  // Spans entered but never closed.
  for (const [key, times] of enters)
    if (times.length) instances.push({ key, stack: key.split('\n'), startMs: times[0]!, endMs: lastMs, closed: false });
  // Parents: the instance of the parent stack that is open at the child's end; ancestors that never
  // appeared themselves are made up from their children.
  const byKey = new Map<string, Instance[]>();
  for (const x of instances) byKey.set(x.key, [...(byKey.get(x.key) ?? []), x]);
  const work = [...instances];
  while (work.length) {
    const x = work.pop()!;
    if (x.stack.length < 2) continue;
    const pkey = x.stack.slice(1).join('\n');
    const cands = byKey.get(pkey) ?? [];
    let p =
      cands.filter((c) => c.endMs >= x.endMs && c.startMs <= x.endMs).sort((a, b) => a.endMs - b.endMs)[0] ??
      cands.filter((c) => c.endMs >= x.endMs).sort((a, b) => a.endMs - b.endMs)[0];
    if (!p) {
      p = { key: pkey, stack: x.stack.slice(1), startMs: x.startMs, endMs: lastMs, closed: false };
      byKey.set(pkey, [...cands, p]);
      instances.push(p);
      work.push(p);
    }
    x.parent = p;
  }
  // A parent starts no later than its children: widen it. Silently when within the rounding of 3
  // significant digits, or, for a start estimated from the close record, within a stall of the
  // logging thread: it measures busy + idle, then stamps the record, and a busy machine can
  // deschedule it in between (a fresh-clone CI run saw `build`, never entered, 8 ms after its child).
  const depth = (x: Instance) => x.stack.length;
  for (const x of [...instances].sort((a, b) => depth(b) - depth(a) || a.startMs - b.startMs)) {
    const p = x.parent;
    if (!p || x.startMs >= p.startMs) continue;
    const slack = Math.max(0.01, 0.006 * ((p.busyMs ?? 0) + (p.idleMs ?? 0))) + (p.estimated ? CLOSE_STALL_MS : 0);
    if (p.startMs - x.startMs > slack && p.closed) {
      warnings.push({
        code: 'rolldown-span-widened',
        message: `${file}: span ${spanName(p.stack[0]!)} started ${(p.startMs - x.startMs).toFixed(3)} ms after its child ${spanName(x.stack[0]!)}: its start was moved to the child's`,
        file,
      });
    }
    p.startMs = x.startMs;
  }
  // Spans of worker threads carry no parent context (a stack of one line): put them under the
  // innermost other span that contains them in time.
  for (const x of instances) {
    if (x.parent || x.stack.length !== 1) continue;
    let best: Instance | undefined;
    for (const y of instances) {
      if (y === x || y.stack.length < 2 || y.startMs > x.startMs || y.endMs < x.endMs) continue;
      if (y.stack[y.stack.length - 1] === x.stack[0]) continue; // y is a descendant of x
      if (!best || y.stack.length > best.stack.length) best = y;
    }
    if (best) {
      x.parent = best;
      x.parentByTime = true;
      x.stack = [x.stack[0]!, ...best.stack];
    }
  }
  const open = instances
    .filter((x) => !x.closed)
    .sort((a, b) => a.startMs - b.startMs || a.stack.length - b.stack.length);
  if (open.length) {
    warnings.push({
      code: 'unclosed-phase',
      message: `${file}: ${open.length} span(s) never closed (${[...new Set(open.map((x) => spanName(x.stack[0]!)))].join(', ')}): the log ends before them (cut short, or the build was stopped); they end at the last record`,
      file,
    });
  }
  instances.sort((a, b) => a.startMs - b.startMs || depth(a) - depth(b) || b.endMs - a.endMs);
  instances.forEach((x, i) => (x.index = i));
  const phases: Phase[] = instances.map((x) => {
    const head = x.stack[0]!;
    const w = head.indexOf(' with ');
    const path = w >= 0 ? head.slice(0, w) : head;
    const args: Record<string, string | number | boolean> = { span: path };
    if (x.busyMs !== undefined) args.busyMs = x.busyMs;
    if (x.idleMs !== undefined) args.idleMs = x.idleMs;
    if (!x.closed) args.unclosed = true;
    if (x.parentByTime) args.parentByTime = true;
    if (w >= 0) args.fields = head.slice(w + 6);
    const ph: Phase = {
      name: spanName(head),
      parent: x.parent?.index ?? null,
      startMs: x.startMs,
      endMs: x.endMs,
      category: 'rolldown-span',
      args,
    };
    if (opts.pid !== undefined) ph.pid = opts.pid;
    return ph;
  });
  // Time 0 is the first record, or the estimated start of a span created before it.
  const shiftMs = Math.min(0, ...phases.map((p) => p.startMs));
  for (const p of phases) {
    p.startMs = ms(p.startMs - shiftMs);
    p.endMs = ms(p.endMs - shiftMs);
  }
  for (const m of markers) m.tMs = ms(m.tMs - shiftMs);
  let endMs = ms(0);
  for (const p of phases) endMs = ms(Math.max(endMs, p.endMs));
  return { phases, markers, warnings, originEpochMs: epochMs(origin + shiftMs), endMs, events };
}

/** `rolldown::stages::link_stage::link with a: 1` → `link`. */
function spanName(inLine: string): string {
  const w = inLine.indexOf(' with ');
  const path = w >= 0 ? inLine.slice(0, w) : inLine;
  return path.slice(path.lastIndexOf('::') + 2);
}

export function importRolldownLog(text: string, file = '<input>'): ImportResult {
  const warnings: Warning[] = [];
  const records = parseRolldownRecords(text, file, warnings);
  const s = rolldownSpans(records, { file });
  return {
    phases: s.phases,
    markers: s.markers,
    warnings: [...s.warnings, ...warnings],
    originEpochMs: s.originEpochMs,
    sources: [ROLLDOWN_LOG_FORMAT],
  };
}

export const rolldownLogImporter = defineImporter({
  format: ROLLDOWN_LOG_FORMAT,
  description: "rolldown's RD_LOG tracing output (JS API, readable format): span enter/close with µs timestamps",
  sniff: isRolldownLog,
  importText: importRolldownLog,
});
