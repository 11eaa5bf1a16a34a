// The Node preload's records, declared once: the writer (writer/, bundled to dist/preload.js and run
// inside the user's Node processes), the reader (process-records.ts, reader.ts) and the
// instrumentation all import this module, and so does the arena API (server/src/arena-api) for the
// hook's symbol. It imports nothing, so the writer's and the arena API's bundles stay free of dependencies.
//
// The Node preload lives in core/collect/node-preload/ as one folder, writer included, rather than at
// server/src/node-preload/ with the reader here: the reader belongs to the core (it makes profile parts),
// and the core imports nothing from outside it, so the records it shares with the writer have to live
// in the core too; keeping the writer beside them keeps the whole format readable in one place.
//
// THE FILES: one per process, `$CMI_NODE_DIR/node-<pid>.ndjson` (`node-<pid>-<n>.ndjson` if the pid
// was reused), one JSON object per line, appended in batches (at most every FLUSH_EVERY_MS, or when a
// buffer fills), so a process killed half-way leaves what it had. All times are epoch milliseconds
// (performance.timeOrigin + performance.now(), 3 decimals); sizes are bytes. The header comes first;
// in one flush the records follow in this order: arenas, heap, tscMarks, gc, gcEntries, marks,
// measures; the exit record is written last.

/** The folder the preload writes into (set by the instrumentation; unset: the preload does nothing). */
export const NODE_DIR_ENV = 'CMI_NODE_DIR';
/** The sampling interval in ms (CMI_INTERVAL_MS; 10 when unset or not a number, at least 1). */
export const INTERVAL_ENV = 'CMI_INTERVAL_MS';
/**
 * `1`: precise heap mode (`cmi profile --precise-heap`): the preload forces a full GC at phase
 * boundaries (tsc's top-level phases, the program's performance marks and measures, a change of the
 * phase its arena uses name) and at exit, so the live heap is known there.
 */
export const PRECISE_HEAP_ENV = 'CMI_PRECISE_HEAP';

/** The file of a process: `node-<pid>.ndjson`, or `node-<pid>-<n>.ndjson` for the nth use of a reused pid. */
export function recordFileName(pid: number, n: number): string {
  return n === 1 ? `node-${pid}.ndjson` : `node-${pid}-${n}.ndjson`;
}

/** Matches the names recordFileName() gives. */
export const RECORD_FILE_NAME = /^node-\d+(-\d+)?\.ndjson$/;

/** Buffered records are written at least this often (from the timer, and from tsc's marks while it blocks the loop). */
export const FLUSH_EVERY_MS = 250;

/**
 * tsc marks every comment and every source-map mapping it emits (250,000 marks for rxjs, where
 * everything else is 8,000): recording each cost 3 % of the compile. Their spans are summed in
 * place instead, and written as totals ("folded") at the next recorded mark.
 */
export const FOLDED_MARK_KEYS = ['Comment', 'Sourcemap'];

/**
 * How tsc names its marks: `before<X>`/`after<X>` (and `begin`/`end`, `SolutionBuilder::` ones in
 * build mode) open and close the span of X; any other name is an instant.
 */
export const TSC_MARK_NAME = /^(SolutionBuilder::)?(before|after|begin|end)(.+)$/;

/** The global symbol under which the preload installs the arena hook (server/src/arena-api documents the contract). */
export const ARENA_HOOK = Symbol.for('compiler-memory-insight.arena');

/** The `kind` of an arena event. */
export const ARENA_CREATE = 0;
/** `value`: the arena's total bytes. */
export const ARENA_BYTES = 1;
/**
 * `value`: index in the phase-name table (the concatenation of every newPhases so far), or -1 when
 * the program named no phase.
 */
export const ARENA_USE = 2;
export const ARENA_FREE = 3;

/**
 * Written once, before any other record. For tsc the header is written once its code is compiled
 * (the switch's outcome known).
 */
export interface HeaderRecord {
  t: 'header';
  v: 1;
  pid: number;
  ppid: number;
  /** process.argv as the program gave it. */
  argv: string[];
  execArgv: string[];
  argv0?: string;
  node: string;
  timeOriginMs: number;
  cwd?: string;
  intervalMs: number;
  /** The main script is TypeScript's tsc. */
  tsc?: TscHeader;
}

export interface TscHeader {
  version: string;
  main: string;
  /** The diagnostics flag appended to tsc's arguments when its performance module was not switched on. */
  addedArgs: string[];
  /** It is tsc 6 and its marks are recorded (tsc 7's lib/tsc.js only launches the native binary). */
  hooked: boolean;
  /** Its performance module was turned on in memory, without a flag (absent before it existed, and for a launcher). */
  switchedOn?: boolean;
}

/** The V8 used heap, read by the timer (and at arena calls while the event loop is blocked). */
export interface HeapRecord {
  t: 'heap';
  tMs: number[];
  bytes: number[];
}

/**
 * tsc's performance marks in order; `mark` indexes the name table (the concatenation of every
 * newNames so far); heapBytes is the V8 used heap read at that mark, 0 where not read.
 */
export interface TscMarksRecord {
  t: 'tscMarks';
  newNames: string[];
  tMs: number[];
  mark: number[];
  heapBytes: number[];
  /**
   * before<key>/after<key> spans of FOLDED_MARK_KEYS not recorded one by one: `spans` of them, `ms`
   * in all, all between recorded mark atMark-1 and atMark (0-based, across records).
   */
  folded?: { atMark: number[]; key: string[]; spans: number[]; ms: number[] };
}

/**
 * From v8.GCProfiler, which gives heap before/after every GC even while the event loop is blocked,
 * but no time: each GC happened inside [winStartMs, winEndMs] (between two drains).
 */
export interface GcRecord {
  t: 'gc';
  winStartMs: number[];
  winEndMs: number[];
  durMs: number[];
  type: string[];
  beforeBytes: number[];
  afterBytes: number[];
  /** The memory outside V8's heap that V8 accounts for (ArrayBuffers, Node's Buffers) after each GC; absent in older records. */
  afterExternalBytes?: number[];
  /** 1 where the preload forced the GC at a phase boundary (precise heap mode: its window holds it alone); absent: none was. */
  forced?: number[];
}

/**
 * PerformanceObserver 'gc' entries: exact times, but only delivered when the event loop turns (none
 * while a synchronous compiler runs).
 */
export interface GcEntriesRecord {
  t: 'gcEntries';
  startMs: number[];
  durMs: number[];
  kind: number[];
}

/** The program's performance.mark()s. */
export interface MarksRecord {
  t: 'marks';
  name: string[];
  tMs: number[];
}

/** The program's performance.measure()s. */
export interface MeasuresRecord {
  t: 'measures';
  name: string[];
  startMs: number[];
  durMs: number[];
}

/**
 * Calls of the arena API, through the hook under ARENA_HOOK. `new`: arenas created since the last
 * record; `kind`: ARENA_CREATE, ARENA_BYTES, ARENA_USE or ARENA_FREE, whose comments say what
 * `value` holds.
 */
export interface ArenasRecord {
  t: 'arenas';
  new?: { id: number[]; name: string[]; category: string[] };
  newPhases?: string[];
  tMs: number[];
  kind: number[];
  arena: number[];
  value: number[];
}

/** Written last, at exit or on a signal. */
export interface ExitRecord {
  t: 'exit';
  tMs: number;
  heapBytes: number;
  code?: number;
  signal?: string;
  /** Precise heap mode: forced GCs skipped because they would have taken longer than the program itself. */
  preciseSkipped?: number;
}

export type NodePreloadRecord =
  | HeaderRecord
  | HeapRecord
  | TscMarksRecord
  | GcRecord
  | GcEntriesRecord
  | MarksRecord
  | MeasuresRecord
  | ArenasRecord
  | ExitRecord;
