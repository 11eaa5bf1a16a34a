// What no importer may pass on, checked once for all of them (the registry applies it to every
// import): times and sizes outside what a build can report (plausible.ts: NaN, 1e305 ms, 1e29 bytes,
// a negative heap), spans that end before they begin, parent indices that do not point to an earlier
// phase (out of range, or a cycle), phases nested deeper than any real trace, and series samples that
// go back in time. Values are dropped, never clamped, and each kind of drop is one warning with its
// count and first example, as Perfetto counts what it drops in its stats (docs/import-limits.md).

import type { Arena, Marker, MemorySeries, Phase, ProcessInfo, Warning } from '../model';
import {
  isPlausibleBytes,
  isPlausibleDurationMs,
  isPlausibleEpochMs,
  isPlausibleMs,
  isPlausiblePid,
} from '../plausible';
import type { ImportResult } from './importer';

/** The warning codes this module emits, one per kind of drop. */
export const DROP_CODES = {
  negativeDuration: 'dropped-negative-duration',
  time: 'dropped-implausible-time',
  bytes: 'dropped-implausible-bytes',
  parent: 'invalid-parent',
  origin: 'dropped-implausible-origin',
  depth: 'dropped-too-deep',
  order: 'dropped-out-of-order-sample',
  pid: 'dropped-implausible-pid',
} as const;

/**
 * The deepest phase kept: real traces nest some tens of levels (a few hundred in template-heavy
 * clang traces); thousands come from damage, and would overflow every recursive walk downstream.
 */
export const MAX_PHASE_DEPTH = 1000;

export type DropCode = (typeof DROP_CODES)[keyof typeof DROP_CODES];

/** Counts of what was dropped, by code, with the first example of each. */
class DropCounts {
  private readonly counts = new Map<DropCode, { n: number; first: string }>();
  add(code: DropCode, example: string): void {
    const c = this.counts.get(code);
    if (c) c.n++;
    else this.counts.set(code, { n: 1, first: example });
  }
  warnings(file: string): Warning[] {
    return [...this.counts].map(([code, c]) => droppedWarning(code, c.n, c.first, file));
  }
}

/**
 * The warning of `n` values of one kind dropped (`example`: the first), worded as the registry's
 * checks word it: for an importer that must drop a value before it reaches the result (a pass whose
 * absurd duration would be clamped by a reconstruction, say).
 */
export function droppedWarning(code: DropCode, n: number, example: string, file?: string): Warning {
  return { code, message: `${n} ${WHAT[code]} (first: ${example})`, ...(file !== undefined ? { file } : {}) };
}

const WHAT: Record<DropCode, string> = {
  'dropped-negative-duration': 'spans that end before they begin were dropped',
  'dropped-implausible-time': 'times or durations that no build can have (NaN, over a week) were dropped',
  'dropped-implausible-bytes': 'memory figures that no machine can have (negative, NaN, over 64 TiB) were dropped',
  'invalid-parent': 'phases whose parent is not an earlier phase (out of range or a cycle) were made roots',
  'dropped-implausible-origin': 'wall-clock origins outside 2000–2100 were ignored (times stay relative)',
  'dropped-out-of-order-sample':
    'memory samples earlier than the sample before them were dropped (a series goes forward in time)',
  'dropped-implausible-pid': 'process ids that no system gives (not a whole number within 32 bits) were removed',
  'dropped-too-deep': `phases nested deeper than ${MAX_PHASE_DEPTH} levels were dropped`,
};

const q = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/**
 * The result without implausible values, with one counted warning per kind of drop (after the
 * importer's own warnings). A result with nothing to drop is returned as it is.
 */
export function dropImplausible(r: ImportResult, file: string): ImportResult {
  const d = new DropCounts();
  const count = (code: DropCode, example: string) => d.add(code, example);
  const out: ImportResult = { ...r };
  if (r.originEpochMs !== undefined && !isPlausibleEpochMs(r.originEpochMs)) {
    count(DROP_CODES.origin, String(r.originEpochMs));
    delete out.originEpochMs;
  }
  if (r.phases) out.phases = phases(r.phases, count);
  if (r.series) out.series = r.series.map((s) => withPlausiblePid(series(s, count), s.name, count));
  if (r.markers)
    out.markers = r.markers.filter((m) => markerOk(m, count)).map((m) => withPlausiblePid(m, m.name, count));
  if (r.arenas) out.arenas = r.arenas.flatMap((a) => arena(a, count));
  if (r.processes) out.processes = r.processes.flatMap((p) => processInfo(p, count));
  if (r.run?.wallMs !== undefined && !isPlausibleDurationMs(r.run.wallMs)) {
    count(DROP_CODES.time, `the run's wall time ${r.run.wallMs}`);
    const { wallMs: _, ...run } = r.run;
    out.run = run;
  }
  const dropped = d.warnings(file);
  if (!dropped.length) return r;
  out.warnings = [...(r.warnings ?? []), ...dropped];
  return out;
}

type Count = (code: DropCode, example: string) => void;

/**
 * Phases with plausible times that end after they begin; parents re-pointed to the nearest kept
 * ancestor. A parent that is not an earlier phase makes its phase a root first, so no walk up the
 * tree can loop.
 */
function phases(list: readonly Phase[], count: Count): Phase[] {
  const parent = list.map((p, i) => {
    if (p.parent === null) return null;
    if (Number.isInteger(p.parent) && p.parent >= 0 && p.parent < i) return p.parent;
    count(DROP_CODES.parent, `${q(p.name)} (phase ${i}) has parent ${p.parent}`);
    return null;
  });
  const newIndex = new Int32Array(list.length).fill(-1);
  const depth = new Int32Array(list.length);
  const kept: Phase[] = [];
  list.forEach((p, i) => {
    const up0 = parent[i]!;
    depth[i] = up0 === null ? 0 : depth[up0]! + 1;
    if (depth[i]! > MAX_PHASE_DEPTH) {
      // Its descendants are deeper still: all of them go.
      count(DROP_CODES.depth, `${q(p.name)} (phase ${i})`);
      return;
    }
    if (!isPlausibleMs(p.startMs) || !isPlausibleMs(p.endMs)) {
      count(DROP_CODES.time, `${q(p.name)} from ${p.startMs} to ${p.endMs} ms`);
      return;
    }
    if (p.endMs < p.startMs) {
      count(DROP_CODES.negativeDuration, `${q(p.name)} from ${p.startMs} to ${p.endMs} ms`);
      return;
    }
    let up = parent[i]!;
    while (up !== null && newIndex[up] === -1) up = parent[up]!;
    const phase: Phase = withPlausiblePid({ ...p, parent: up === null ? null : newIndex[up]! }, p.name, count);
    for (const key of ['memStartBytes', 'memEndBytes'] as const) {
      const v = phase[key];
      if (v !== undefined && !isPlausibleBytes(v)) {
        count(DROP_CODES.bytes, `${v} bytes at ${key === 'memStartBytes' ? 'the start' : 'the end'} of ${q(p.name)}`);
        delete phase[key];
      }
    }
    newIndex[i] = kept.length;
    kept.push(phase);
  });
  return kept;
}

/** The record without its pid when that pid is no process id (the record itself is kept). */
function withPlausiblePid<T extends { pid?: number }>(x: T, name: string, count: Count): T {
  if (x.pid === undefined || isPlausiblePid(x.pid)) return x;
  count(DROP_CODES.pid, `pid ${x.pid} of ${q(name)}`);
  const { pid: _, ...rest } = x;
  return rest as T;
}

/** A series without implausible samples, nor samples earlier than the one before (times ascend). */
function series(s: MemorySeries, count: Count): MemorySeries {
  const keep = new Uint8Array(s.tMs.length);
  let kept = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < s.tMs.length; i++) {
    const t = s.tMs[i]!;
    if (!pointOk(t, s.bytes[i]!, s.name, count)) continue;
    if (t < last) {
      count(DROP_CODES.order, `a sample of ${q(s.name)} at ${t} ms after one at ${last} ms`);
      continue;
    }
    last = t;
    keep[i] = 1;
    kept++;
  }
  if (kept === s.tMs.length) return s;
  const tMs = new Float64Array(kept);
  const bytes = new Float64Array(kept);
  let k = 0;
  for (let i = 0; i < s.tMs.length; i++) {
    if (!keep[i]) continue;
    tMs[k] = s.tMs[i]!;
    bytes[k++] = s.bytes[i]!;
  }
  return { ...s, tMs, bytes };
}

/** Whether a sample is plausible; counts it when not. */
function pointOk(t: number, b: number, where: string, count: Count): boolean {
  if (!isPlausibleMs(t)) {
    count(DROP_CODES.time, `a sample of ${q(where)} at ${t} ms`);
    return false;
  }
  if (!isPlausibleBytes(b)) {
    count(DROP_CODES.bytes, `${b} bytes in ${q(where)} at ${t} ms`);
    return false;
  }
  return true;
}

function markerOk(m: Marker, count: Count): boolean {
  if (isPlausibleMs(m.tMs) && (m.durMs === undefined || isPlausibleDurationMs(m.durMs))) return true;
  count(DROP_CODES.time, `marker ${q(m.name)} at ${m.tMs} ms${m.durMs !== undefined ? ` for ${m.durMs} ms` : ''}`);
  return false;
}

function arena(a: Arena, count: Count): Arena[] {
  if (!isPlausibleMs(a.startMs) || (a.endMs !== null && !isPlausibleMs(a.endMs))) {
    count(DROP_CODES.time, `arena ${q(a.name)} from ${a.startMs} to ${a.endMs} ms`);
    return [];
  }
  if (a.endMs !== null && a.endMs < a.startMs) {
    count(DROP_CODES.negativeDuration, `arena ${q(a.name)} from ${a.startMs} to ${a.endMs} ms`);
    return [];
  }
  const s = series(
    {
      id: a.id,
      name: `arena ${a.name}`,
      kind: 'allocator-heap',
      source: '',
      unit: 'bytes',
      tMs: a.tMs,
      bytes: a.bytes,
    },
    count,
  );
  const uses = a.uses.filter((u) => {
    if (isPlausibleMs(u.tMs)) return true;
    count(DROP_CODES.time, `a use of arena ${q(a.name)} at ${u.tMs} ms`);
    return false;
  });
  return [s.tMs === a.tMs && uses.length === a.uses.length ? a : { ...a, tMs: s.tMs, bytes: s.bytes, uses }];
}

function processInfo(
  p: Partial<ProcessInfo> & { pid: number },
  count: Count,
): (Partial<ProcessInfo> & { pid: number })[] {
  if (!isPlausiblePid(p.pid)) {
    count(DROP_CODES.pid, `process ${p.pid}`);
    return [];
  }
  const out = { ...p };
  let changed = false;
  for (const key of ['startMs', 'endMs'] as const) {
    const v = out[key];
    if (v !== undefined && v !== null && !isPlausibleMs(v)) {
      count(DROP_CODES.time, `the ${key === 'startMs' ? 'start' : 'end'} of process ${p.pid} at ${v} ms`);
      delete out[key];
      changed = true;
    }
  }
  if (out.peakRssBytes !== undefined && out.peakRssBytes !== null && !isPlausibleBytes(out.peakRssBytes)) {
    count(DROP_CODES.bytes, `the peak RSS of process ${p.pid}: ${out.peakRssBytes} bytes`);
    delete out.peakRssBytes;
    changed = true;
  }
  return [changed ? out : p];
}
