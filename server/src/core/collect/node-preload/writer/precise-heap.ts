// Precise heap mode (`cmi profile --precise-heap`, CMI_PRECISE_HEAP=1): a full GC forced at phase
// boundaries and at exit, so that the live heap there is exact rather than whatever the last natural
// full GC left. Without it (the default), a sparse form of the same: a full GC at a phase boundary
// only where the heap has grown well past the live heap last known (by a quarter, and 16 MiB), so
// that a phase that holds much more than the last natural full GC saw is not left unknown, and only
// while forced GCs have taken under 3 % of the process's time. Each forced GC shows in v8.GCProfiler's records like any other, marked `forced`, its
// window drained right before and right after it (gc.ts).
//
// gc() is obtained without --expose-gc on the command line: the flag, set at run time, exposes gc in
// contexts created afterwards, so one new context hands its gc over, and the flag is cleared again so
// that the program's own contexts see nothing new. The program's global gets no gc either.

import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { type GcProfile, drainGc } from './gc';
import { usedHeapBytes } from './heap';

/**
 * A boundary this close to the previous forced GC, with less than SKIP_GROWTH_BYTES allocated since,
 * is not given a GC of its own: the previous one stands for it (a measure right after its end mark,
 * the next phase's start mark right after that).
 */
const SKIP_WITHIN_MS = 50;
const SKIP_GROWTH_BYTES = 1024 * 1024;

export interface PreciseHeap {
  readonly gc: () => void;
  /** performance.now() when the last forced GC ended, and the heap in use then. */
  lastEndMs: number;
  lastUsedBytes: number;
  /** Time spent in forced GCs so far (ms). */
  spentMs: number;
  /** Forced GCs skipped because they would have taken more time than the program itself. */
  skipped: number;
  /** The sparse default: forced GCs only past SPARSE_GROWTH, within SPARSE_BUDGET of the time; no GC at exit. */
  readonly sparse: boolean;
}

/** Sparse mode: the heap in use must exceed the last live heap by this share and SPARSE_MIN_GROWTH_BYTES. */
const SPARSE_GROWTH = 0.25;
const SPARSE_MIN_GROWTH_BYTES = 16 * 1024 * 1024;
/** Sparse mode: forced GCs may take at most this share of the process's time so far. */
const SPARSE_BUDGET = 0.03;

/** gc() for precise heap mode, or undefined where it cannot be had (the GCs are then simply not forced). */
export function preciseHeap(sparse = false): PreciseHeap | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    v8.setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return undefined;
    return {
      gc: gc as () => void,
      lastEndMs: Number.NEGATIVE_INFINITY,
      lastUsedBytes: 0,
      spentMs: 0,
      skipped: 0,
      sparse,
    };
  } catch {
    return undefined;
  }
}

/**
 * Forces a full GC now (a phase boundary), its window in `gc` holding it alone. Not where the previous
 * one stands for it (SKIP_WITHIN_MS), and not once forced GCs have taken as long as the program itself
 * (counted in `skipped`), unless `always` (the exit). Returns whether it ran.
 */
export function forceFullGc(p: PreciseHeap, gc: GcProfile, always = false): boolean {
  const t0 = performance.now();
  if (p.sparse) {
    const used = usedHeapBytes();
    const live = gc.lastFullAfterBytes;
    if (used < live * (1 + SPARSE_GROWTH) || used - live < SPARSE_MIN_GROWTH_BYTES) return false;
    if (p.spentMs > SPARSE_BUDGET * t0) return false;
  } else if (!always) {
    if (t0 - p.lastEndMs < SKIP_WITHIN_MS && usedHeapBytes() - p.lastUsedBytes < SKIP_GROWTH_BYTES) return false;
    if (p.spentMs > t0 - p.spentMs) {
      p.skipped++;
      return false;
    }
  }
  drainGc(gc, t0, true);
  p.gc();
  const t1 = performance.now();
  drainGc(gc, t1, true, true);
  p.spentMs += t1 - t0;
  p.lastEndMs = performance.now();
  p.lastUsedBytes = usedHeapBytes();
  return true;
}

/**
 * Forces a full GC after each of the program's performance.mark() and performance.measure() calls
 * (the methods of the one `performance` object are wrapped: a program comparing them with the
 * prototype's would see it). Its marks reach the PerformanceObserver only when the event loop turns,
 * too late for a synchronous compiler, hence the wrap.
 */
export function forceGcAtPerformanceMarks(onBoundary: () => void): void {
  const perf = performance as unknown as Record<'mark' | 'measure', (...args: unknown[]) => unknown>;
  for (const name of ['mark', 'measure'] as const) {
    const original = perf[name];
    if (typeof original !== 'function') continue;
    Object.defineProperty(perf, name, {
      value: function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        onBoundary();
        return result;
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
