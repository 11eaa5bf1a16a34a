// Arena lifetimes for Compiler Memory Insight, with no dependency on it.
//
// When this compiler runs under the profiler (`cmi profile -- node out/main.js`), the profiler's
// Node preload installs a hook at globalThis[Symbol.for("compiler-memory-insight.arena")]; this
// module reports each AST arena to it: created, grown, used, freed. Any compiler can do the same by
// copying these lines: the global symbol and its methods are the whole contract (version 1):
//
//   hook.v === 1
//   hook.create(name, category) -> id     hook.bytes(id, totalBytes)
//   hook.use(id, phase?)                   hook.free(id)
//
// A package that depends on compiler-memory-insight can instead
// `require("compiler-memory-insight/arena")`, whose createArena() does exactly this.
// Without the profiler there is no hook: createArena() returns one shared handle whose methods do
// nothing, so the instrumentation costs a property lookup per arena and an empty call per report.

const HOOK = Symbol.for('compiler-memory-insight.arena');

interface ArenaHook {
  readonly v: number;
  create(name: string, category: string): number;
  bytes(id: number, totalBytes: number): void;
  use(id: number, phase?: string): void;
  free(id: number): void;
}

export interface ArenaHandle {
  /** The arena's total bytes now. */
  grow(totalBytes: number): void;
  /** Used now, by `phase` if given, else by the phase open at that moment (performance.measure). */
  use(phase?: string): void;
  free(): void;
}

const noop = (): void => {};
const INERT: ArenaHandle = Object.freeze({ grow: noop, use: noop, free: noop });

export function createArena(name: string, category: string): ArenaHandle {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK] as ArenaHook | undefined;
  if (hook === undefined || hook.v !== 1) return INERT;
  const id = hook.create(name, category);
  return {
    grow: (totalBytes) => hook.bytes(id, totalBytes),
    use: (phase) => hook.use(id, phase),
    free: () => hook.free(id),
  };
}
