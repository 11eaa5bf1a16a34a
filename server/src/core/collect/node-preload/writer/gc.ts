// The writer's GC records from v8.GCProfiler: drained at every heap read, so a GC is known to lie
// between two reads (the profiler gives heap before/after but no time; see GcRecord in ../records.ts).

import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { us, usToMs } from '../../../units';

interface GCProfilerResult {
  statistics: {
    gcType: string /** µs */;
    cost: number;
    beforeGC?: { heapStatistics?: { usedHeapSize?: number } };
    afterGC?: { heapStatistics?: { usedHeapSize?: number; externalMemory?: number } };
  }[];
}

export interface GcProfile {
  /** Undefined where v8.GCProfiler is missing or failed, and after the last drain. */
  profiler: v8.GCProfiler | undefined;
  /** performance.now() of the previous drain: the start of the window of the GCs of the next one. */
  windowStartMs: number;
  /** The columns of the next gc record: winStart, winEnd, dur, type, before, after, forced, external after (JSON texts). */
  readonly columns: string[][];
  /** Some GC in the columns was forced (the record then gets its `forced` column). */
  anyForced: boolean;
  /** The heap in use after the last full GC drained (0 before any): the live heap then. */
  lastFullAfterBytes: number;
  readonly epoch: (tPerfMs: number) => string;
}

export function startGcProfile(epoch: (tPerfMs: number) => string): GcProfile {
  const columns: string[][] = [[], [], [], [], [], [], [], []];
  const gc: GcProfile = {
    profiler: undefined,
    windowStartMs: performance.now(),
    columns,
    anyForced: false,
    lastFullAfterBytes: 0,
    epoch,
  };
  if (typeof v8.GCProfiler === 'function') {
    try {
      gc.profiler = new v8.GCProfiler();
      gc.profiler.start();
    } catch {
      gc.profiler = undefined;
    }
  }
  return gc;
}

/**
 * Takes the GCs since the last drain (all within [windowStartMs, tMs]); `restart` false at the end;
 * `forced`: the preload forced the GCs of this window (precise-heap.ts).
 *
 * Drained at most once per interval, the profiler holds a few GCs' statistics at a time (about 2 KB
 * each, on the C++ side), and their parsed form is garbage at once.
 */
export function drainGc(gc: GcProfile, tMs: number, restart: boolean, forced = false): void {
  if (!gc.profiler) return;
  const result = gc.profiler.stop() as GCProfilerResult | undefined;
  if (restart) gc.profiler.start();
  else gc.profiler = undefined;
  const c = gc.columns;
  for (const s of result?.statistics ?? []) {
    c[0]!.push(gc.epoch(gc.windowStartMs));
    c[1]!.push(gc.epoch(tMs));
    c[2]!.push(usToMs(us(s.cost)).toFixed(3));
    c[3]!.push(JSON.stringify(String(s.gcType)));
    c[4]!.push(String(s.beforeGC?.heapStatistics?.usedHeapSize ?? 0));
    c[5]!.push(String(s.afterGC?.heapStatistics?.usedHeapSize ?? 0));
    c[6]!.push(forced ? '1' : '0');
    c[7]!.push(String(s.afterGC?.heapStatistics?.externalMemory ?? 0));
    if (forced) gc.anyForced = true;
    if (s.gcType === 'MarkSweepCompact') gc.lastFullAfterBytes = s.afterGC?.heapStatistics?.usedHeapSize ?? 0;
  }
  gc.windowStartMs = tMs;
}

/** The gc record of the GCs drained since the last flush ('' if none), and empties the columns. */
export function takeGcRecord(gc: GcProfile): string {
  const c = gc.columns;
  if (!c[0]!.length) return '';
  const forced = gc.anyForced ? `,"forced":[${c[6]}]` : '';
  const out = `{"t":"gc","winStartMs":[${c[0]}],"winEndMs":[${c[1]}],"durMs":[${c[2]}],"type":[${c[3]}],"beforeBytes":[${c[4]}],"afterBytes":[${c[5]}],"afterExternalBytes":[${c[7]}]${forced}}\n`;
  for (const a of c) a.length = 0;
  gc.anyForced = false;
  return out;
}
