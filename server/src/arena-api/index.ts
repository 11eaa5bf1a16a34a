// The arena instrumentation API for Node-based compilers: `require('compiler-memory-insight/arena')`
// (bundled to dist/arena.js: CommonJS, no dependencies, nothing of VS Code).
//
//   const { createArena } = require('compiler-memory-insight/arena');
//   const arena = createArena('ast:' + moduleName, 'ast'); // when a module's arena is created
//   arena.grow(totalBytes);    // its total size now (or arena.add(deltaBytes)); batch it, not per node
//   arena.use();               // a reader used it (the phase open at that moment), or arena.use('link')
//   arena.free();              // it was released
//
// When the program is not being profiled every call is a no-op on one shared inert handle: the only
// cost is the check for the hook in createArena(). When it is profiled by Compiler Memory Insight,
// the Node preload records each call (with the time on the clock of its other records) and the
// profile gets one arena lane per handle: bytes over time, uses with their phase, creation and free.
//
// THE CONTRACT (version 1) is a global, not this package: a compiler can instrument itself without
// depending on compiler-memory-insight by looking the hook up itself, as this file does:
//
//   const hook = globalThis[Symbol.for('compiler-memory-insight.arena')];  // undefined: not profiling
//   hook.v                          === 1
//   hook.create(name, category)     → id (a number, unique within the process)
//   hook.bytes(id, totalBytes)      the arena's total bytes now (growth, shrinking, 0)
//   hook.use(id, phase?)            used now, by `phase` if given (else the profiler takes the
//                                   innermost phase open at that time: performance.measure or tsc)
//   hook.free(id)                   released now (its bytes drop to 0)
//
// The hook's methods never throw and return at once. Look the hook up when an arena is created, not
// once at load: the preload installs it before the program's first line runs, but a program may
// also be loaded by a tool that installs it later.

// The hook's symbol is declared once with the preload's records (server/src/core/collect/node-preload/records.ts,
// which imports nothing, so this bundle stays free of dependencies) and exported from here as it always was.
import { ARENA_HOOK } from '../core/collect/node-preload/records';

/** The global symbol under which the profiler's preload installs its hook. */
export { ARENA_HOOK };

/** What the preload installs at `globalThis[ARENA_HOOK]`. */
export interface ArenaHook {
  readonly v: 1;
  create(name: string, category: string): number;
  bytes(id: number, totalBytes: number): void;
  use(id: number, phase?: string): void;
  free(id: number): void;
}

export interface ArenaHandle {
  /** The arena's total bytes now. */
  grow(totalBytes: number): void;
  /** Adds `deltaBytes` (negative to shrink) to the arena's total. */
  add(deltaBytes: number): void;
  /** The arena is read (or written) now, by `phase` if given, else by the phase open at that moment. */
  use(phase?: string): void;
  /** The arena is released; later calls on the handle are ignored. */
  free(): void;
  /** False for the inert handle handed out when not profiling. */
  readonly recording: boolean;
}

const noop = (): void => {};

/** The handle of every arena created while not profiling: does nothing. */
const INERT: ArenaHandle = Object.freeze({ grow: noop, add: noop, use: noop, free: noop, recording: false });

class RecordingArena implements ArenaHandle {
  private totalBytes = 0;
  private freed = false;
  readonly recording = true;

  constructor(
    private readonly hook: ArenaHook,
    private readonly id: number,
  ) {}

  grow(totalBytes: number): void {
    if (this.freed) return;
    this.totalBytes = totalBytes;
    this.hook.bytes(this.id, totalBytes);
  }

  add(deltaBytes: number): void {
    if (this.freed) return;
    this.totalBytes += deltaBytes;
    this.hook.bytes(this.id, this.totalBytes);
  }

  use(phase?: string): void {
    if (!this.freed) this.hook.use(this.id, phase);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.hook.free(this.id);
  }
}

/** The hook, when this process is being profiled. */
export function arenaHook(): ArenaHook | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[ARENA_HOOK] as ArenaHook | undefined;
  return hook !== undefined && hook.v === 1 ? hook : undefined;
}

/** True when arena calls are being recorded (the process runs under the profiler's preload). */
export function isProfiling(): boolean {
  return arenaHook() !== undefined;
}

/**
 * A handle for one arena. `name` is what the profile shows (e.g. "ast:lib_0"); `category` groups
 * arenas of one kind (default "arena").
 */
export function createArena(name: string, category = 'arena'): ArenaHandle {
  const hook = (globalThis as Record<symbol, unknown>)[ARENA_HOOK] as ArenaHook | undefined;
  if (hook === undefined || hook.v !== 1) return INERT;
  return new RecordingArena(hook, hook.create(String(name), String(category)));
}
