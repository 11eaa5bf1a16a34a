// The writer's tsc 6 marks: tsc calls the global onProfilerEvent at each of its performance marks
// (once its performance module is on: tsc-process.ts, header.ts). A mark costs a few typed-array
// stores; the heap is read at a few of them only, and the spans of FOLDED_MARK_KEYS are summed in
// place (see TscMarksRecord in ../records.ts).

import { performance } from 'node:perf_hooks';
import { FLUSH_EVERY_MS, FOLDED_MARK_KEYS, TSC_MARK_NAME } from '../records';
import { type GcProfile, drainGc } from './gc';
import { type HeapSamples, usedHeapBytes } from './heap';
import { type RecordFile, joinColumn } from './record-file';

/** tsc marks kept in memory between flushes (typed arrays: no object per mark). */
const MARK_CAPACITY = 8192;

const MARK_INSTANT = 0;
const MARK_BEGIN = 1;
const MARK_END = 2;

/** What a begin mark starts, where it matters to the phase boundaries (see TopPhase.emitting). */
const ROLE_OTHER = 0;
const ROLE_PROGRAM = 1;
const ROLE_CHECK = 2;
const ROLE_EMIT = 3;
const ROLES: Record<string, number> = { Program: ROLE_PROGRAM, Check: ROLE_CHECK, Emit: ROLE_EMIT };

/** The next tscMarks record: the marks since the last flush, and the name table so far. */
export interface TscMarks {
  readonly tMs: Float64Array;
  readonly id: Uint32Array;
  readonly heapBytes: Float64Array;
  /** Marks in the arrays (since the last flush). */
  n: number;
  /** Marks recorded so far: the index of the next one. */
  total: number;
  readonly names: string[];
  /** Names written in earlier records (the next record's newNames are the rest). */
  namesWritten: number;
  readonly index: Map<string, number>;
  /** By mark id: MARK_INSTANT, MARK_BEGIN or MARK_END. */
  readonly kind: number[];
  /** By mark id: ROLE_PROGRAM, ROLE_CHECK, ROLE_EMIT for their begin marks, else ROLE_OTHER. */
  readonly role: number[];
  /** By mark id: index in FOLDED_MARK_KEYS, or -1. */
  readonly foldSlot: number[];
  readonly folds: FoldedSpans;
  readonly phase: TopPhase;
}

/** The spans of FOLDED_MARK_KEYS summed since the last recorded mark, and the folded column of the next record. */
interface FoldedSpans {
  /** By slot: performance.now() of the open span's begin mark, NaN when none is open. */
  readonly beginMs: number[];
  readonly spans: number[];
  readonly ms: number[];
  /** Some slot has spans not yet emitted. */
  pending: boolean;
  readonly columns: string[][]; // atMark, key, spans, ms
}

/** Where tsc stands in its phases: the heap is read where a top-level phase begins or ends. */
interface TopPhase {
  depth: number;
  /** The top-level phase last begun (its mark id), and when. */
  topId: number;
  topBeginMs: number;
  /**
   * The program's emit has begun: a top-level Check now is the emitter asking the checker again
   * (getEmitResolver, once per emitted file in incremental and build mode), not a phase of its own.
   */
  emitting: boolean;
}

export function tscMarks(): TscMarks {
  return {
    tMs: new Float64Array(MARK_CAPACITY),
    id: new Uint32Array(MARK_CAPACITY),
    heapBytes: new Float64Array(MARK_CAPACITY),
    n: 0,
    total: 0,
    names: [],
    namesWritten: 0,
    index: new Map(),
    kind: [],
    role: [],
    foldSlot: [],
    folds: {
      beginMs: FOLDED_MARK_KEYS.map(() => NaN),
      spans: FOLDED_MARK_KEYS.map(() => 0),
      ms: FOLDED_MARK_KEYS.map(() => 0),
      pending: false,
      columns: [[], [], [], []],
    },
    phase: { depth: 0, topId: -1, topBeginMs: 0, emitting: false },
  };
}

/** Writes the summed spans as totals at the next recorded mark. */
export function emitFolds(marks: TscMarks): void {
  const f = marks.folds;
  for (let i = 0; i < FOLDED_MARK_KEYS.length; i++) {
    if (!f.spans[i]) continue;
    f.columns[0]!.push(String(marks.total));
    f.columns[1]!.push(JSON.stringify(FOLDED_MARK_KEYS[i]));
    f.columns[2]!.push(String(f.spans[i]));
    f.columns[3]!.push(f.ms[i]!.toFixed(3));
    f.spans[i] = f.ms[i] = 0;
  }
  f.pending = false;
}

function intern(marks: TscMarks, name: string): number {
  const id = marks.names.length;
  marks.names.push(name);
  marks.index.set(name, id);
  const m = TSC_MARK_NAME.exec(name);
  marks.kind.push(!m ? MARK_INSTANT : m[2] === 'before' || m[2] === 'begin' ? MARK_BEGIN : MARK_END);
  marks.role.push(m && !m[1] && m[2] === 'before' ? (ROLES[m[3]!] ?? ROLE_OTHER) : ROLE_OTHER);
  marks.foldSlot.push(m && !m[1] && (m[2] === 'before' || m[2] === 'after') ? FOLDED_MARK_KEYS.indexOf(m[3]!) : -1);
  return id;
}

/**
 * Installs the global onProfilerEvent (non-enumerable; calling on to one that was already there).
 * It records each mark into `marks`, reads the heap into it (and drains `gc`) where it should, and
 * calls `flush` when the buffer is full or FLUSH_EVERY_MS has passed since `file`'s last flush, and
 * `atBoundary` (precise heap mode) where tsc moves on to another top-level phase.
 */
export function installTscHook(
  marks: TscMarks,
  heap: HeapSamples,
  gc: GcProfile,
  file: RecordFile,
  intervalMs: number,
  flush: () => void,
  atBoundary?: () => void,
): void {
  const {
    tMs: markT,
    id: markId,
    heapBytes: markHeap,
    index,
    kind: markKind,
    role: markRole,
    foldSlot,
    folds,
    phase,
  } = marks;
  const onMark = (name: string): void => {
    try {
      const t = performance.now();
      const id = index.get(name) ?? intern(marks, name);
      const kind = markKind[id];
      const slot = foldSlot[id]!;
      if (slot >= 0) {
        if (kind === MARK_BEGIN) folds.beginMs[slot] = t;
        else if (!Number.isNaN(folds.beginMs[slot])) {
          folds.ms[slot] += t - folds.beginMs[slot]!;
          folds.spans[slot]!++;
          folds.beginMs[slot] = NaN;
          folds.pending = true;
        }
        return;
      }
      if (folds.pending) emitFolds(marks);
      // Read the heap (~1 µs, plus ~10 µs to drain the GC profiler) at most once per interval, and
      // also where a top-level phase (depth 0: Program, Bind, Check, Emit) begins after one of
      // another kind, or ends after lasting an interval or more. tsc binds and checks file by
      // file: reading at both ends of every file's span cost 2 % of the compile. Once the emit has
      // begun, the emitter's checks and the per-file Emits alternate: the heap is read there, but
      // that is no phase boundary (no forced GC in precise heap mode).
      let read = t - heap.lastReadMs >= intervalMs;
      let boundary = false;
      if (kind === MARK_BEGIN) {
        if (phase.depth === 0) {
          const role = markRole[id];
          if (role === ROLE_PROGRAM) phase.emitting = false;
          if (id !== phase.topId) {
            read = true;
            boundary = !(phase.emitting && (role === ROLE_CHECK || role === ROLE_EMIT));
          }
          if (role === ROLE_EMIT) phase.emitting = true;
          phase.topId = id;
          phase.topBeginMs = t;
        }
        phase.depth++;
      } else if (kind === MARK_END && phase.depth > 0) {
        phase.depth--;
        if (phase.depth === 0 && t - phase.topBeginMs >= intervalMs) read = true;
      }
      const n = marks.n;
      markT[n] = t;
      markId[n] = id;
      if (read) {
        markHeap[n] = usedHeapBytes();
        heap.lastReadMs = t;
        drainGc(gc, t, true);
      } else markHeap[n] = 0;
      marks.n = n + 1;
      marks.total++;
      // Precise heap mode: the live heap where tsc moves on to another top-level phase (Program,
      // Bind, Check, Emit: not between the files of one).
      if (boundary && atBoundary) atBoundary();
      if (marks.n === MARK_CAPACITY || t - file.lastFlushMs >= FLUSH_EVERY_MS) flush();
    } catch {
      // never let the profiler break the compiler
    }
  };
  const previous = (globalThis as { onProfilerEvent?: unknown }).onProfilerEvent;
  const hook =
    typeof previous === 'function' ? (n: string) => (onMark(n), (previous as (n: string) => void)(n)) : onMark;
  Object.defineProperty(globalThis, 'onProfilerEvent', {
    value: hook,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** The tscMarks record of the marks since the last flush ('' if none), and empties the buffers. */
export function takeTscMarksRecord(marks: TscMarks, epoch: (tPerfMs: number) => string): string {
  const folded = marks.folds.columns;
  if (!marks.n && !folded[0]!.length) return '';
  const newNames = marks.names.slice(marks.namesWritten);
  marks.namesWritten = marks.names.length;
  let out = `{"t":"tscMarks","newNames":${JSON.stringify(newNames)},"tMs":[${joinColumn(marks.tMs, marks.n, epoch)}],"mark":[${joinColumn(marks.id, marks.n, String)}],"heapBytes":[${joinColumn(marks.heapBytes, marks.n, String)}]`;
  if (folded[0]!.length)
    out += `,"folded":{"atMark":[${folded[0]}],"key":[${folded[1]}],"spans":[${folded[2]}],"ms":[${folded[3]}]}`;
  out += '}\n';
  marks.n = 0;
  for (const a of folded) a.length = 0;
  return out;
}
