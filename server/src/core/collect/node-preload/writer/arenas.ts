// The writer's arena events: the calls of the arena API (server/src/arena-api) through the hook
// installed at globalThis[ARENA_HOOK]. Its calls also read the V8 heap (at most once per interval),
// so a synchronous compiler that reports arenas gets a heap curve while it blocks the event loop.

import { performance } from 'node:perf_hooks';
import { ARENA_BYTES, ARENA_CREATE, ARENA_FREE, ARENA_HOOK, ARENA_USE, FLUSH_EVERY_MS } from '../records';
import { type GcProfile, drainGc } from './gc';
import { HEAP_CAPACITY, type HeapSamples, sampleHeap } from './heap';
import { type RecordFile, joinColumn } from './record-file';

/** Arena events kept in memory between flushes (typed arrays: no object per call). */
const ARENA_CAPACITY = 4096;

/** The next arenas record: the events since the last flush, the arenas and phase names new since then. */
export interface ArenaEvents {
  readonly tMs: Float64Array;
  readonly kind: Uint8Array;
  readonly id: Uint32Array;
  readonly value: Float64Array;
  /** Events in the arrays (since the last flush). */
  n: number;
  /** Arenas created so far: the id of the next one. */
  count: number;
  readonly newArenas: string[][]; // id, name, category (JSON texts)
  readonly phaseIndex: Map<string, number>;
  readonly newPhases: string[];
}

export function arenaEvents(): ArenaEvents {
  return {
    tMs: new Float64Array(ARENA_CAPACITY),
    kind: new Uint8Array(ARENA_CAPACITY),
    id: new Uint32Array(ARENA_CAPACITY),
    value: new Float64Array(ARENA_CAPACITY),
    n: 0,
    count: 0,
    newArenas: [[], [], []],
    phaseIndex: new Map(),
    newPhases: [],
  };
}

/**
 * Installs the arena hook (non-enumerable, frozen). Each call is recorded into `arenas`; with
 * `readHeap` (not in tsc, whose marks read it) the heap is read into `heap` at most once per
 * interval; `flush` is called when a buffer is full or FLUSH_EVERY_MS has passed since `file`'s last flush;
 * `atBoundary` (precise heap mode) where the phase named by arena uses changes.
 */
export function installArenaHook(
  arenas: ArenaEvents,
  heap: HeapSamples,
  gc: GcProfile,
  file: RecordFile,
  intervalMs: number,
  readHeap: boolean,
  flush: () => void,
  atBoundary?: () => void,
): void {
  let lastUsePhase = -2;
  const event = (kind: number, id: number, value: number): void => {
    const t = performance.now();
    const n = arenas.n;
    arenas.tMs[n] = t;
    arenas.kind[n] = kind;
    arenas.id[n] = id;
    arenas.value[n] = value;
    arenas.n = n + 1;
    // A synchronous compiler never lets the timer run: read the heap here, at most once per interval.
    if (readHeap && t - heap.lastReadMs >= intervalMs) {
      heap.lastReadMs = t;
      sampleHeap(heap, t);
      drainGc(gc, t, true);
    }
    if (arenas.n === ARENA_CAPACITY || heap.n === HEAP_CAPACITY || t - file.lastFlushMs >= FLUSH_EVERY_MS) flush();
  };
  const hook = {
    v: 1,
    create(name: string, category: string): number {
      const id = arenas.count++;
      try {
        arenas.newArenas[0]!.push(String(id));
        arenas.newArenas[1]!.push(JSON.stringify(String(name)));
        arenas.newArenas[2]!.push(JSON.stringify(String(category)));
        event(ARENA_CREATE, id, 0);
      } catch {
        // never let the profiler break the compiler
      }
      return id;
    },
    bytes(id: number, totalBytes: number): void {
      try {
        event(ARENA_BYTES, id, Number.isFinite(totalBytes) ? totalBytes : 0);
      } catch {
        // ignore
      }
    },
    use(id: number, phase?: string): void {
      try {
        let p = -1;
        if (phase !== undefined) {
          const known = arenas.phaseIndex.get(phase);
          if (known !== undefined) p = known;
          else {
            p = arenas.phaseIndex.size;
            arenas.phaseIndex.set(phase, p);
            arenas.newPhases.push(JSON.stringify(String(phase)));
          }
        }
        event(ARENA_USE, id, p);
        // Precise heap mode: the phase the program names for its arena uses changed, a phase boundary.
        if (atBoundary && p >= 0 && p !== lastUsePhase) atBoundary();
        lastUsePhase = p;
      } catch {
        // ignore
      }
    },
    free(id: number): void {
      try {
        event(ARENA_FREE, id, 0);
      } catch {
        // ignore
      }
    },
  };
  Object.defineProperty(globalThis, ARENA_HOOK, {
    value: Object.freeze(hook),
    writable: false,
    configurable: true,
    enumerable: false,
  });
}

/** The arenas record of the events since the last flush ('' if none), and empties the buffers. */
export function takeArenasRecord(arenas: ArenaEvents, epoch: (tPerfMs: number) => string): string {
  const created = arenas.newArenas;
  if (!arenas.n && !created[0]!.length) return '';
  let out = '{"t":"arenas"';
  if (created[0]!.length) {
    out += `,"new":{"id":[${created[0]}],"name":[${created[1]}],"category":[${created[2]}]}`;
    for (const a of created) a.length = 0;
  }
  if (arenas.newPhases.length) {
    out += `,"newPhases":[${arenas.newPhases}]`;
    arenas.newPhases.length = 0;
  }
  const n = arenas.n;
  out += `,"tMs":[${joinColumn(arenas.tMs, n, epoch)}],"kind":[${joinColumn(arenas.kind, n, String)}],"arena":[${joinColumn(arenas.id, n, String)}],"value":[${joinColumn(arenas.value, n, String)}]}\n`;
  arenas.n = 0;
  return out;
}
