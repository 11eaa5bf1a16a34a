// Phase timing with performance.mark/measure (what a profiler preload observes), and a heap
// meter sampled at phase boundaries and at checkpoints inside long phases.
//
// Run with `node --expose-gc` to make the samples mean "live heap": the meter then collects
// garbage before each sample. Without it the samples are heapUsed including garbage.

import { performance } from 'node:perf_hooks';

export interface PhaseTiming {
  name: string;
  /** Nesting path, e.g. "generate › instantiate_chunks". */
  path: string;
  duration: number;
}

const stack: string[] = [];
export const timings: PhaseTiming[] = [];

export function currentPhase(): string {
  return stack.length === 0 ? '(top level)' : stack.join(' › ');
}

/** Runs `fn` as the phase `name`: marks `name:start`/`name:end` and measures `name`. */
export function phase<T>(name: string, fn: () => T): T {
  stack.push(name);
  const path = currentPhase();
  performance.mark(`${name}:start`);
  try {
    return fn();
  } finally {
    performance.mark(`${name}:end`);
    const measure = performance.measure(name, `${name}:start`, `${name}:end`);
    timings.push({ name, path, duration: measure.duration });
    heap.sample();
    stack.pop();
  }
}

type GcFunction = () => void;

export class HeapMeter {
  private readonly gc: GcFunction | undefined;
  peakBytes = 0;
  peakPhase = '(top level)';
  samples = 0;
  /** When set, every sample is printed to stderr. */
  trace = false;

  constructor() {
    const maybeGc = (globalThis as { gc?: unknown }).gc;
    this.gc = typeof maybeGc === 'function' ? (maybeGc as GcFunction) : undefined;
  }

  /** True when samples are taken after a full GC (node --expose-gc). */
  get live(): boolean {
    return this.gc !== undefined;
  }

  /** Samples the heap and attributes a new peak to the current phase. */
  sample(): number {
    this.gc?.();
    const used = process.memoryUsage().heapUsed;
    this.samples++;
    if (this.trace) process.stderr.write(`heap ${mib(used).padStart(10)}  ${currentPhase()}\n`);
    if (used > this.peakBytes) {
      this.peakBytes = used;
      this.peakPhase = currentPhase();
    }
    return used;
  }
}

export const heap = new HeapMeter();

/** Calls heap.sample() about `times` times over a loop of `total` steps (call with the step index). */
export function checkpointEvery(total: number, times = 8): (step: number) => void {
  const stride = Math.max(1, Math.ceil(total / times));
  return (step) => {
    if ((step + 1) % stride === 0) heap.sample();
  };
}

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function ms(duration: number): string {
  return duration >= 1000 ? `${(duration / 1000).toFixed(2)} s` : `${Math.round(duration)} ms`;
}
