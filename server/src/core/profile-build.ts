// The engine's front door for "profile this build": the runner with every instrumentation that
// applies. The CLI's `cmi profile` and the language server's Profile Build both call this.

import { allocatorSettingsInstrumentation } from './collect/allocator-settings';
import { bundlerInstrumentations } from './collect/bundlers';
import { ccInstrumentation } from './collect/cc';
import type { HeapProfilerKind } from './collect/heap-profiler';
import { heapProfilerInstrumentation } from './collect/heap-profiler';
import { liveHeapInstrumentation } from './collect/live-heap/instrumentation';
import { nodePreloadInstrumentation } from './collect/node-preload/instrumentation';
import { rustcInstrumentation } from './collect/rustc';
import { traceFileInstrumentation } from './collect/trace-file';
import type { ArenaRule } from './analysis/arena-rules';
import type { Instrumentation } from './collect/instrumentation';
import type { Profile } from './model';
import type { RunOptions } from './runner';
import { runBuild } from './runner';

export type { LiveProgress } from './runner';
export { SpawnError } from './runner';

export interface ProfileBuildOptions extends Omit<RunOptions, 'instrumentations'> {
  /** Leave out the Node preload (V8 heap, performance marks, tsc phases). */
  noNodePreload?: boolean;
  /** The Node preload forces a full GC at phase boundaries: the live V8 heap there is exact (opt-in: it costs time). */
  preciseHeap?: boolean;
  /** Leave out the rustc/Cargo adapter. */
  noRustc?: boolean;
  /** Leave out the C/C++ adapter (gcc -ftime-report, clang -ftime-trace per translation unit). */
  noCc?: boolean;
  /** gcc: read -ftime-report (durations only) instead of loading the pass-timing plugin (dist/cmi_gcc.so). */
  noGccPlugin?: boolean;
  /** Leave out the bundler adapters (rollup --perf, rolldown RD_LOG, esbuild --timing, Voyd's perf switch). */
  noBundlers?: boolean;
  /** Don't offer CMI_TRACE_FILE / CMI_TRACE_DIR to the build. */
  noTraceFile?: boolean;
  /** Don't preload the live-heap library (libcmi-heap.so: each process's malloc'd bytes). */
  noLiveHeap?: boolean;
  /** Run the build under a heap profiler and import its output (opt-in: it slows the build down a lot). */
  heapProfiler?: HeapProfilerKind;
  /** Arena rules for the heap profiler's data (default: the built-in rules for well-known arena allocators). */
  arenaRules?: readonly ArenaRule[];
  /**
   * Run with the allocators' own settings. By default the build runs with eager purge
   * (collect/allocator-settings.ts): mimalloc, jemalloc and glibc return freed memory at once, so RSS
   * follows the live heap.
   */
  allocatorDefaults?: boolean;
}

export type InstrumentationChoice = Pick<
  ProfileBuildOptions,
  | 'noNodePreload'
  | 'preciseHeap'
  | 'noRustc'
  | 'noCc'
  | 'noGccPlugin'
  | 'noBundlers'
  | 'noTraceFile'
  | 'heapProfiler'
  | 'arenaRules'
  | 'noLiveHeap'
  | 'allocatorDefaults'
>;

export function defaultInstrumentations(opts: InstrumentationChoice = {}): Instrumentation[] {
  const list: Instrumentation[] = [];
  // First: the others then see (and a heap profiler passes on) the final environment.
  if (!opts.allocatorDefaults) list.push(allocatorSettingsInstrumentation());
  if (!opts.noNodePreload) list.push(nodePreloadInstrumentation({ preciseHeap: opts.preciseHeap }));
  if (!opts.noRustc) list.push(rustcInstrumentation());
  if (!opts.noCc) list.push(ccInstrumentation({ noGccPlugin: opts.noGccPlugin }));
  if (!opts.noBundlers) list.push(...bundlerInstrumentations());
  if (!opts.noTraceFile) list.push(traceFileInstrumentation());
  // Not under a heap profiler: valgrind replaces malloc itself, and measures the heap already.
  if (!opts.noLiveHeap && !opts.heapProfiler) list.push(liveHeapInstrumentation());
  // Last: it wraps the final argv (after the rustc adapter may have rewritten a direct rustc call).
  if (opts.heapProfiler) list.push(heapProfilerInstrumentation(opts.heapProfiler, opts.arenaRules));
  return list;
}

/** Runs the build with every applicable instrumentation; never throws for a failing build (see SpawnError). */
export async function profileBuild(opts: ProfileBuildOptions): Promise<Profile> {
  return (await profileBuildWithOutput(opts)).profile;
}

export async function profileBuildWithOutput(opts: ProfileBuildOptions) {
  // The instrumentation choices travel along with the run's options: the runner reads only its own.
  return runBuild({ ...opts, instrumentations: defaultInstrumentations(opts) });
}
