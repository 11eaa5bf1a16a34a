// The Node preload's reader: the records of one process (process-records.ts) → its parts of the
// profile: the V8 heap series with its GC markers, tsc's phases, the program's performance measures
// and marks, its arena lanes, and the process itself.

import * as path from 'node:path';
import type { Arena, Marker, MemorySeries, Ms, Phase, ProcessInfo, Warning } from '../../model';
import { SeriesBuilder } from '../../model';
import { bytes, epochMs, epochToProfileMs, formatBytes, ms } from '../../units';
import type { CollectContext } from '../instrumentation';
import type { ProcessRecords } from './process-records';
import { ARENA_BYTES, ARENA_CREATE, ARENA_FREE, ARENA_USE, type HeaderRecord } from './records';
import { TSC_MEASURE_NAMES, classifyMark } from './tsc-mark-names';
import { groupTscPasses } from './tsc-passes';

const SOURCE = 'node preload';

/** perf_hooks' gc entry kinds (NODE_PERFORMANCE_GC_*) for v8.GCProfiler's gcType names. */
const GC_KIND: Record<string, number> = {
  Scavenge: 1,
  MinorMarkSweep: 1,
  MinorMarkCompact: 1,
  MarkSweepCompact: 4,
  IncrementalMarking: 8,
  ProcessWeakCallbacks: 16,
};

/** The records' times are epoch ms, kept as plain numbers in their columns: this puts one on the profile's clock. */
type ToProfileMs = (epochMsValue: number) => Ms;

export interface ProcessContribution {
  phases: Phase[];
  series: MemorySeries[];
  markers: Marker[];
  arenas: Arena[];
  process: Partial<ProcessInfo> & { pid: number };
  warnings: Warning[];
}

export function processContribution(
  r: ProcessRecords,
  ctx: CollectContext,
  seriesIds: Set<string>,
): ProcessContribution {
  const h = r.header;
  const pid = h.pid;
  const rel: ToProfileMs = (t) => epochToProfileMs(epochMs(t), ctx.startEpochMs);
  const label = nodeProcessLabel(h);
  const warnings: Warning[] = [];
  const markers: Marker[] = [];
  const phases: Phase[] = [];
  const endEpochMs = r.exit?.tMs ?? r.lastMs;

  // Heap samples from every source: the timer, tsc marks, both sides of every GC, the exit.
  const samples: [tMs: number, bytes: number][] = [];
  for (let i = 0; i < r.heapT.length; i++) samples.push([r.heapT[i]!, r.heapBytes[i]!]);
  for (let i = 0; i < r.markT.length; i++) if (r.markHeapBytes[i]) samples.push([r.markT[i]!, r.markHeapBytes[i]!]);
  const gcs = placeGcs(r);
  for (const g of gcs) {
    samples.push([g.startMs, g.beforeBytes], [g.startMs + g.durMs, g.afterBytes]);
    const m: Marker = {
      name: g.forced ? `${g.type} (forced by the profiler at a phase boundary)` : g.type,
      kind: 'gc',
      tMs: rel(g.startMs),
      durMs: ms(g.durMs),
      pid,
      detail: `${g.type}: heap ${formatBytes(g.beforeBytes)} → ${formatBytes(g.afterBytes)}`,
    };
    if (g.windowMs !== undefined)
      m.detail += ` (time estimated: the GC ran within a ${g.windowMs.toFixed(1)} ms window)`;
    markers.push(m);
  }
  if (r.exit?.heapBytes) samples.push([r.exit.tMs, r.exit.heapBytes]);
  samples.sort((a, b) => a[0] - b[0]);
  const heap = new SeriesBuilder(Math.max(16, samples.length));
  for (const [t, b] of samples) heap.push(rel(t), bytes(b));
  const series: MemorySeries[] = [];
  const seriesId = (prefix: string) => {
    let id = `${prefix}:${pid}`;
    for (let n = 2; seriesIds.has(id); n++) id = `${prefix}:${pid}-${n}`;
    seriesIds.add(id);
    return id;
  };
  if (heap.length)
    series.push(
      heap.build({
        id: seriesId('js-heap'),
        name: `V8 heap of ${label} (pid ${pid})`,
        kind: 'js-heap',
        source: SOURCE,
        pid,
      }),
    );
  const live = liveHeapPoints(gcs);
  if (live.length) {
    const b = new SeriesBuilder(Math.max(16, live.length));
    for (const [t, v] of live) b.push(rel(t), bytes(v));
    series.push(
      b.build({
        id: seriesId('js-live-heap'),
        name: `live V8 heap of ${label} (pid ${pid}) (after full GC)`,
        kind: 'js-live-heap',
        source: SOURCE,
        pid,
      }),
    );
  }
  if (r.exit?.preciseSkipped)
    warnings.push({
      code: 'precise-heap-skipped',
      message: `${label} (pid ${pid}): ${r.exit.preciseSkipped} forced GC(s) of --precise-heap skipped (they would have taken more time than the program itself): the live heap is not exact at those phase boundaries`,
      file: r.file,
    });

  if (h.tsc?.addedArgs.length) warnings.push(flagAddedWarning(`tsc (pid ${pid})`, h.tsc.addedArgs));
  if (r.markT.length) {
    const tsc = tscPhases(r, rel, rel(endEpochMs));
    phases.push(...tsc.phases);
    markers.push(...tsc.markers);
    warnings.push(...tsc.warnings.map((w) => ({ ...w, message: `tsc (pid ${pid}): ${w.message}`, file: r.file })));
  }
  appendPhases(phases, measurePhases(r, rel));
  for (const m of r.perfMarks) markers.push({ name: m.name, kind: 'mark', tMs: rel(m.tMs), pid });

  const proc: Partial<ProcessInfo> & { pid: number } = {
    pid,
    ppid: h.ppid,
    label,
    role: 'build',
    argv: [h.argv0 ?? h.argv[0] ?? 'node', ...h.execArgv, ...h.argv.slice(1)],
  };
  if (!ctx.processes.some((p) => p.pid === pid)) {
    // The sampler missed it (too short-lived): the preload knows when it started and ended.
    proc.startMs = rel(h.timeOriginMs);
    proc.endMs = r.exit ? rel(r.exit.tMs) : null;
  }
  if (r.exit?.code !== undefined) proc.exitCode = r.exit.code;
  const arenas = arenaLanes(r, phases, rel, warnings);
  return { phases, series, markers, arenas, process: proc, warnings };
}

/**
 * The arena API's calls of one process → one Arena per handle: bytes over time (0 at creation and
 * after the free), uses with their phase (the one the program named, else the path of the innermost
 * phase of this process open at that time, else none), endMs null when never freed.
 */
function arenaLanes(r: ProcessRecords, phases: Phase[], rel: ToProfileMs, warnings: Warning[]): Arena[] {
  if (!r.arenaT.length) return [];
  const pid = r.header.pid;
  interface Lane {
    arena: Arena;
    bytes: SeriesBuilder;
    freed: boolean;
  }
  const lanes = new Map<number, Lane>();
  let useAfterFree = 0;
  let unknown = 0;
  const phaseAt = innermostPhasePath(phases);
  const lane = (id: number, tMs: Ms): Lane => {
    let l = lanes.get(id);
    if (!l) {
      const info = r.arenaInfo.get(id);
      if (!info) unknown++;
      l = {
        arena: {
          id: `${pid}:${id}`,
          name: info?.name ?? `arena ${id}`,
          category: info?.category ?? 'arena',
          pid,
          startMs: tMs,
          endMs: null,
          tMs: new Float64Array(0),
          bytes: new Float64Array(0),
          uses: [],
        },
        bytes: new SeriesBuilder(8),
        freed: false,
      };
      l.bytes.push(tMs, bytes(0));
      lanes.set(id, l);
    }
    return l;
  };
  for (let i = 0; i < r.arenaT.length; i++) {
    const tMs = rel(r.arenaT[i]!);
    const id = r.arenaId[i]!;
    const kind = r.arenaKind[i];
    if (kind === ARENA_CREATE) {
      lane(id, tMs);
      continue;
    }
    const l = lane(id, tMs);
    if (kind === ARENA_BYTES) {
      if (!l.freed) l.bytes.push(tMs, bytes(r.arenaValue[i]!));
    } else if (kind === ARENA_USE) {
      if (l.freed) useAfterFree++;
      const named = r.arenaPhaseNames[r.arenaValue[i]!];
      const phase = named ?? phaseAt(tMs);
      l.arena.uses.push(phase === undefined ? { tMs } : { tMs, phase });
    } else if (kind === ARENA_FREE && !l.freed) {
      l.freed = true;
      l.arena.endMs = tMs;
      l.bytes.push(tMs, bytes(0));
    }
  }
  if (useAfterFree)
    warnings.push({
      code: 'arena-use-after-free',
      message: `pid ${pid}: ${useAfterFree} arena use(s) after the arena was freed`,
      file: r.file,
    });
  if (unknown)
    warnings.push({
      code: 'arena-unknown',
      message: `pid ${pid}: ${unknown} arena(s) used without a creation record (the file is damaged): named by their id`,
      file: r.file,
    });
  const out: Arena[] = [];
  for (const l of lanes.values()) {
    const s = l.bytes.build({ id: l.arena.id, name: l.arena.name, kind: 'compiler-reported', source: SOURCE });
    l.arena.tMs = s.tMs;
    l.arena.bytes = s.bytes;
    out.push(l.arena);
  }
  return out;
}

/** The path ("generate › instantiate_chunks") of the innermost of `phases` (parents local to it) open at a time. */
function innermostPhasePath(phases: Phase[]): (tMs: number) => string | undefined {
  const depth: number[] = [];
  const paths: string[] = [];
  phases.forEach((p, i) => {
    depth[i] = p.parent === null ? 0 : depth[p.parent]! + 1;
    paths[i] = p.parent === null ? p.name : `${paths[p.parent]!} › ${p.name}`;
  });
  return (tMs) => {
    let best = -1;
    for (let i = 0; i < phases.length; i++) {
      const p = phases[i]!;
      if (p.startMs <= tMs && tMs <= p.endMs && (best < 0 || depth[i]! > depth[best]!)) best = i;
    }
    return best < 0 ? undefined : paths[best];
  };
}

export function flagAddedWarning(who: string, args: string[]): Warning {
  return {
    code: 'tsc-flag-added',
    message: `${who}: ${args.join(' ')} was added to its arguments so that its phases could be measured: its statistics table is in the build's output`,
  };
}

/**
 * The label of a Node process from its preload header: `tsc` (or `tsc launcher` when tsc was not
 * hooked), `npm`, `npx`, else its script's base name. It knows what only the preload saw (whether tsc
 * was hooked), so it refines the label the sampler made from the command line.
 */
function nodeProcessLabel(h: HeaderRecord): string {
  if (h.tsc) return h.tsc.hooked ? 'tsc' : 'tsc launcher';
  const script = h.argv[1];
  if (!script) return 'node';
  const base = path.basename(script).replace(/\.[cm]?js$/, '');
  if (base === 'npm-cli') return 'npm';
  if (base === 'npx-cli') return 'npx';
  return base;
}

interface PlacedGc {
  startMs: number;
  durMs: number;
  type: string;
  beforeBytes: number;
  afterBytes: number;
  afterExternalBytes: number;
  /** Set when the time is estimated: the width of the window the GC is known to lie in. */
  windowMs?: number;
  /** The end of that window: the latest time the GC can have ended. */
  windowEndMs: number;
  /** The preload forced it at a phase boundary (--precise-heap). */
  forced: boolean;
}

/** v8.GCProfiler's name of a full GC (mark-sweep-compact of the whole heap); scavenges and minor GCs are not. */
const FULL_GC = 'MarkSweepCompact';

/**
 * The points of the js-live-heap series: the heap in use right after each full GC (which leaves no
 * garbage behind: what is left is live). A GC matched to a PerformanceObserver entry
 * is placed where it ended; any other at the end of the window it is known to lie in (the latest time
 * it can have ended: a forced GC's window ends right after it).
 */
function liveHeapPoints(gcs: PlacedGc[]): [tMs: number, bytes: number][] {
  const out: [number, number][] = [];
  for (const g of gcs) {
    if (g.type !== FULL_GC || !g.afterBytes) continue;
    // With the memory V8 accounts outside its heap (Buffers, ArrayBuffers): what the program holds.
    out.push([g.windowMs === undefined ? g.startMs + g.durMs : g.windowEndMs, g.afterBytes + g.afterExternalBytes]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Gives every GC of v8.GCProfiler a time. The profiler has heap before/after but no timestamps; the
 * preload drains it at every heap read, so each GC lies within a known window. Where a
 * PerformanceObserver 'gc' entry (exact time, but only delivered while the event loop turns) matches
 * in time and duration, its time is used; otherwise the GCs of a window are spread evenly across it.
 */
function placeGcs(r: ProcessRecords): PlacedGc[] {
  const out: PlacedGc[] = [];
  const entries = r.gcEntries;
  let j = 0;
  for (let i = 0; i < r.gc.length; ) {
    // The GCs of one window.
    let k = i;
    while (k < r.gc.length && r.gc[k]!.winStartMs === r.gc[i]!.winStartMs && r.gc[k]!.winEndMs === r.gc[i]!.winEndMs)
      k++;
    const slotMs = (r.gc[i]!.winEndMs - r.gc[i]!.winStartMs) / (k - i);
    for (let n = i; n < k; n++) {
      const g = r.gc[n]!;
      while (j < entries.length && entries[j]!.startMs < g.winStartMs - 1) j++;
      const e = entries[j];
      const placed: PlacedGc = {
        startMs: 0,
        durMs: g.durMs,
        type: g.type,
        beforeBytes: g.beforeBytes,
        afterBytes: g.afterBytes,
        afterExternalBytes: g.afterExternalBytes,
        windowEndMs: g.winEndMs,
        forced: g.forced,
      };
      if (
        e &&
        e.startMs <= g.winEndMs + 1 &&
        Math.abs(e.durMs - g.durMs) <= Math.max(0.5, 0.2 * g.durMs) &&
        (GC_KIND[g.type] === undefined || e.kind === GC_KIND[g.type])
      ) {
        placed.startMs = e.startMs;
        j++;
      } else if (g.forced && k - i === 1) {
        // Its window was opened right before the preload forced it and closed right after.
        placed.startMs = Math.max(g.winStartMs, g.winEndMs - g.durMs);
      } else {
        placed.startMs = g.winStartMs + (n - i) * slotMs + Math.max(0, (slotMs - g.durMs) / 2);
        placed.windowMs = g.winEndMs - g.winStartMs;
      }
      out.push(placed);
    }
    i = k;
  }
  return out;
}

/**
 * tsc's marks → nested phases, by a stack of before<X>/after<X> pairs. The spans the preload summed
 * (commentTime, Source Map) go to the args of the phase that was innermost while they ran:
 * "commentTime ms", "commentTime spans". Then grouped as tsc's passes (tsc-passes.ts): one Bind and
 * one Check per program, the checks the emitter triggers inside their Emit.
 */
function tscPhases(
  r: ProcessRecords,
  rel: ToProfileMs,
  endMs: Ms,
): { phases: Phase[]; markers: Marker[]; warnings: Warning[] } {
  const pid = r.header.pid;
  const kinds = r.markNames.map(classifyMark);
  const phases: Phase[] = [];
  const markers: Marker[] = [];
  const warnings: Warning[] = [];
  const stack: { key: string; index: number }[] = [];
  let strayEnds = 0;
  let misnested = 0;
  const close = (index: number, tMs: Ms, heapBytes: number) => {
    const p = phases[index]!;
    p.endMs = tMs;
    if (heapBytes) {
      p.memEndBytes = bytes(heapBytes);
      p.memKind = 'js-heap';
    }
  };
  let nextFold = 0;
  const addFolded = (beforeMark: number) => {
    for (; nextFold < r.folded.length && r.folded[nextFold]!.atMark <= beforeMark; nextFold++) {
      const f = r.folded[nextFold]!;
      const open = stack[stack.length - 1];
      if (!open) continue;
      const measure = TSC_MEASURE_NAMES[f.key] ?? f.key;
      const args = (phases[open.index]!.args ??= {});
      args[`${measure} ms`] = Math.round(((Number(args[`${measure} ms`]) || 0) + f.ms) * 1000) / 1000;
      args[`${measure} spans`] = (Number(args[`${measure} spans`]) || 0) + f.spans;
    }
  };

  for (let i = 0; i < r.markT.length; i++) {
    addFolded(i);
    const k = kinds[r.markId[i]!];
    if (!k) continue;
    const tMs = rel(r.markT[i]!);
    const heapBytes = r.markHeapBytes[i] ?? 0;
    if (k.kind === 'instant') {
      markers.push({ name: k.measure, kind: 'mark', tMs, pid });
    } else if (k.kind === 'begin') {
      const p: Phase = {
        name: k.measure,
        parent: stack.length ? stack[stack.length - 1]!.index : null,
        startMs: tMs,
        endMs: tMs,
        pid,
        category: 'tsc',
      };
      if (heapBytes) {
        p.memStartBytes = bytes(heapBytes);
        p.memKind = 'js-heap';
      }
      stack.push({ key: k.key, index: phases.push(p) - 1 });
    } else {
      let j = stack.length - 1;
      while (j >= 0 && stack[j]!.key !== k.key) j--;
      if (j < 0) {
        strayEnds++;
        continue;
      }
      while (stack.length - 1 > j) {
        misnested++;
        close(stack.pop()!.index, tMs, 0);
      }
      close(stack.pop()!.index, tMs, heapBytes);
    }
  }
  addFolded(Infinity);
  if (stack.length) {
    warnings.push({
      code: 'unclosed-phase',
      message: `${stack.length} phase(s) never ended (${stack.map((s) => phases[s.index]!.name).join(' › ')}): closed where the process's records end`,
    });
    while (stack.length) close(stack.pop()!.index, endMs, 0);
  }
  if (strayEnds)
    warnings.push({ code: 'tsc-marks-unpaired', message: `${strayEnds} end mark(s) without a begin mark: ignored` });
  if (misnested)
    warnings.push({
      code: 'tsc-marks-unpaired',
      message: `${misnested} phase(s) ended outside their parent: closed with the parent`,
    });
  return { phases: groupTscPasses(phases), markers, warnings };
}

/** The program's performance.measure() entries → phases, nested where one contains another. */
function measurePhases(r: ProcessRecords, rel: ToProfileMs): Phase[] {
  const sorted = [...r.measures].sort((a, b) => a.startMs - b.startMs || b.durMs - a.durMs);
  const phases: Phase[] = [];
  const open: { endMs: number; index: number }[] = [];
  for (const m of sorted) {
    const endMs = m.startMs + m.durMs;
    while (open.length && open[open.length - 1]!.endMs < endMs) open.pop();
    const parent = open.length ? open[open.length - 1]!.index : null;
    const index =
      phases.push({
        name: m.name,
        parent,
        startMs: rel(m.startMs),
        endMs: rel(endMs),
        pid: r.header.pid,
        category: 'measure',
      }) - 1;
    open.push({ endMs, index });
  }
  return phases;
}

/** Appends phases whose parent indices are local to `add`. */
export function appendPhases(into: Phase[], add: Phase[]): void {
  const base = into.length;
  for (const p of add) into.push({ ...p, parent: p.parent === null ? null : p.parent + base });
}
