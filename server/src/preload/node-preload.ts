// The Node preload: loaded into every Node process of a profiled build with
// `NODE_OPTIONS=--require <dist>/preload.js` (set up by server/src/core/collect/node-preload.ts).
//
// It runs inside the USER's processes, so: Node built-ins only, it never throws, it is cheap, and it
// changes nothing the program can observe except what is documented here:
//   - the global `onProfilerEvent` (non-enumerable) in TypeScript 6 tsc processes;
//   - tsc 6 only calls onProfilerEvent when its performance module is on, i.e. under a diagnostics
//     flag. When the command has none, the preload turns the module on in memory: the condition is
//     made true in tsc's code as Node compiles it (switchTscPerformanceOn; the file is not touched),
//     so that tsc neither counts lines nor prints its statistics table as --diagnostics would. Where
//     the code does not read as expected (another version), and with --build (whose own marks need
//     the flag), `--diagnostics` (`--extendedDiagnostics` with --build) is appended to process.argv
//     instead, and tsc then also prints its statistics table after its usual output;
//   - listeners for SIGTERM/SIGINT/SIGHUP in processes other than tsc. They flush the records; when no
//     other listener exists, the preload removes its own and re-raises the signal, so the process
//     still dies by that signal. (A JavaScript signal listener only runs when the event loop turns:
//     a program blocked in synchronous code handles the signal once it unblocks. tsc compiles
//     synchronously from start to end, so no listener is installed there: a cancelled tsc dies at
//     once, and loses at most FLUSH_EVERY_MS of records.)
//   - an unref'd timer, a PerformanceObserver and a v8.GCProfiler: they keep nothing alive.
//   - the arena hook, a non-enumerable global under Symbol.for('compiler-memory-insight.arena') that
//     the arena API (server/src/arena-api/index.ts documents the contract) finds at call time. Its
//     calls also read the V8 heap (at most once per interval), so a synchronous compiler that reports
//     arenas gets a heap curve while it blocks the event loop.
// With CMI_NODE_DIR unset it does nothing at all; in worker threads it does nothing either.
//
// OUTPUT: one file per process, `$CMI_NODE_DIR/node-<pid>.ndjson` (`node-<pid>-<n>.ndjson` if the
// pid was reused), one JSON object per line, appended in batches (at most every FLUSH_EVERY_MS, or
// when a buffer fills), so a process killed half-way leaves what it had. All times are epoch
// milliseconds (performance.timeOrigin + performance.now(), 3 decimals); sizes are bytes.
//   {"t":"header","v":1,"pid","ppid","argv","execArgv","argv0","node","timeOriginMs","cwd","intervalMs",
//    "tsc"?:{"version","main","addedArgs":[...],"hooked","switchedOn"}}       argv: process.argv as the program gave it;
//       tsc: the main script is TypeScript's tsc; hooked: it is tsc 6 and its marks are recorded
//       (tsc 7's lib/tsc.js only launches the native binary); switchedOn: its performance module was
//       turned on in memory; addedArgs: the flag appended otherwise. For tsc the header is written
//       once its code is compiled (the switch's outcome known), before any other record
//   {"t":"heap","tMs":[...],"bytes":[...]}                          V8 used heap from the timer
//   {"t":"tscMarks","newNames":[...],"tMs":[...],"mark":[...],"heapBytes":[...],
//    "folded"?:{"atMark":[...],"key":[...],"spans":[...],"ms":[...]}}
//       tsc's performance marks in order; `mark` indexes the name table (the concatenation of every
//       newNames so far); heapBytes is the V8 used heap read at that mark, 0 where not read.
//       folded: before<key>/after<key> spans of FOLDED_MARK_KEYS not recorded one by one: `spans`
//       of them, `ms` in all, all between recorded mark atMark-1 and atMark (0-based, across records)
//   {"t":"gc","winStartMs":[...],"winEndMs":[...],"durMs":[...],"type":[...],"beforeBytes":[...],"afterBytes":[...]}
//       from v8.GCProfiler, which gives heap before/after every GC even while the event loop is
//       blocked, but no time: each GC happened inside [winStartMs, winEndMs] (between two drains)
//   {"t":"gcEntries","startMs":[...],"durMs":[...],"kind":[...]}   PerformanceObserver 'gc' entries: exact times,
//       but only delivered when the event loop turns (none while a synchronous compiler runs)
//   {"t":"marks","name":[...],"tMs":[...]}                          the program's performance.mark()s
//   {"t":"measures","name":[...],"startMs":[...],"durMs":[...]}     the program's performance.measure()s
//   {"t":"arenas","new"?:{"id":[...],"name":[...],"category":[...]},"newPhases"?:[...],
//    "tMs":[...],"kind":[...],"arena":[...],"value":[...]}
//       calls of the arena API (server/src/arena-api: the hook below); new: arenas created since the
//       last record; kind 0 create, 1 bytes (value: the arena's total bytes), 2 use (value: index in
//       the phase-name table, the concatenation of every newPhases so far, or -1 when the program
//       named no phase), 3 free
//   {"t":"exit","tMs","code"?,"signal"?,"heapBytes"}               written last, at exit or on a signal

import { tscDiagnosticsFlagToAdd } from '../core/collect/tsc-flags';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** Write buffered records at least this often (from the timer, and from tsc's marks while it blocks the loop). */
const FLUSH_EVERY_MS = 250;
/** tsc marks kept in memory between flushes (typed arrays: no object per mark). */
const MARK_CAPACITY = 8192;
const HEAP_CAPACITY = 2048;
/** Arena events kept in memory between flushes (typed arrays: no object per call). */
const ARENA_CAPACITY = 4096;
const ARENA_HOOK = Symbol.for('compiler-memory-insight.arena');
const ARENA_CREATE = 0;
const ARENA_BYTES = 1;
const ARENA_USE = 2;
const ARENA_FREE = 3;

/**
 * tsc marks every comment and every source-map mapping it emits (250,000 marks for rxjs, where
 * everything else is 8,000): recording each cost 3 % of the compile. Their spans are summed in
 * place instead, and written as totals ("folded") at the next recorded mark.
 */
const FOLDED_MARK_KEYS = ['Comment', 'Sourcemap'];

const MARK_INSTANT = 0;
const MARK_BEGIN = 1;
const MARK_END = 2;

type PerfEntryLike = { entryType: string; name: string; startTime: number; duration: number; detail?: unknown };

try {
  const dir = process.env.CMI_NODE_DIR;
  if (dir && isMainThread) start(dir);
} catch {
  // Never disturb the program: without a profile it still runs as it would have.
}

function start(dir: string): void {
  const timeOriginMs = performance.timeOrigin;
  const intervalMs = Math.max(1, Number(process.env.CMI_INTERVAL_MS) || 10);
  const fd = openOutput(dir);
  if (fd === undefined) return;
  let failed = false;
  let finished = false;

  // ---- output -------------------------------------------------------------------------------
  // Epoch ms with 3 decimals, formatted from integer microseconds: 3x cheaper than toFixed(3), and
  // formatting is most of what a tsc mark costs.
  const epoch = (tPerfMs: number) => {
    const us = String(Math.round((timeOriginMs + tPerfMs) * 1000));
    return us.slice(0, -3) + '.' + us.slice(-3);
  };
  let lastFlushMs = performance.now();
  const write = (text: string) => {
    if (failed || !text) return;
    try {
      fs.writeSync(fd, text);
    } catch {
      failed = true; // disk full, directory gone: stop recording, keep the program running
    }
  };

  // ---- heap from the timer ------------------------------------------------------------------
  const heapT = new Float64Array(HEAP_CAPACITY);
  const heapB = new Float64Array(HEAP_CAPACITY);
  let heapN = 0;
  const usedHeapBytes = () => v8.getHeapStatistics().used_heap_size;

  // ---- GCs: v8.GCProfiler, drained at every heap read (so a GC is known to lie between two reads) ----
  let gcProfiler: v8.GCProfiler | undefined;
  let gcWindowStart = performance.now();
  const gcs: string[][] = [[], [], [], [], [], []]; // winStart, winEnd, dur, type, before, after
  if (typeof v8.GCProfiler === 'function') {
    try {
      gcProfiler = new v8.GCProfiler();
      gcProfiler.start();
    } catch {
      gcProfiler = undefined;
    }
  }
  const drainGc = (tMs: number, restart: boolean) => {
    if (!gcProfiler) return;
    const result = gcProfiler.stop() as GCProfilerResult | undefined;
    if (restart) gcProfiler.start();
    else gcProfiler = undefined;
    for (const s of result?.statistics ?? []) {
      gcs[0]!.push(epoch(gcWindowStart));
      gcs[1]!.push(epoch(tMs));
      gcs[2]!.push((s.cost / 1000).toFixed(3));
      gcs[3]!.push(JSON.stringify(String(s.gcType)));
      gcs[4]!.push(String(s.beforeGC?.heapStatistics?.usedHeapSize ?? 0));
      gcs[5]!.push(String(s.afterGC?.heapStatistics?.usedHeapSize ?? 0));
    }
    gcWindowStart = tMs;
  };

  // ---- tsc 6: its performance marks through the global onProfilerEvent ----------------------
  const typescript = detectTsc();
  const tsc = typescript && typescript.major < 7 ? typescript : undefined; // 7 is a launcher of a native binary
  const markT = tsc ? new Float64Array(MARK_CAPACITY) : undefined;
  const markId = tsc ? new Uint32Array(MARK_CAPACITY) : undefined;
  const markHeap = tsc ? new Float64Array(MARK_CAPACITY) : undefined;
  let markN = 0;
  const markNames: string[] = [];
  let markNamesWritten = 0;
  const markIndex = new Map<string, number>();
  const markKind: number[] = [];
  const markFoldSlot: number[] = []; // index in FOLDED_MARK_KEYS, or -1
  let markTotal = 0; // marks recorded so far: the index of the next one
  const foldBeginT = FOLDED_MARK_KEYS.map(() => NaN);
  const foldSpans = FOLDED_MARK_KEYS.map(() => 0);
  const foldMs = FOLDED_MARK_KEYS.map(() => 0);
  let foldPending = false;
  const folds: string[][] = [[], [], [], []]; // atMark, key, spans, ms
  const emitFolds = () => {
    for (let i = 0; i < FOLDED_MARK_KEYS.length; i++) {
      if (!foldSpans[i]) continue;
      folds[0]!.push(String(markTotal));
      folds[1]!.push(JSON.stringify(FOLDED_MARK_KEYS[i]));
      folds[2]!.push(String(foldSpans[i]));
      folds[3]!.push(foldMs[i]!.toFixed(3));
      foldSpans[i] = foldMs[i] = 0;
    }
    foldPending = false;
  };
  let depth = 0;
  let lastHeapReadMs = -Infinity;
  /** The top-level phase last begun (its mark id), and when. */
  let topId = -1;
  let topBeginMs = 0;

  // ---- the program's own performance entries, and GC entries --------------------------------
  const perfMarks: string[][] = [[], []];
  const perfMeasures: string[][] = [[], [], []];
  const gcEntries: string[][] = [[], [], []];
  const onEntry = (e: PerfEntryLike) => {
    if (e.entryType === 'gc') {
      gcEntries[0]!.push(epoch(e.startTime));
      gcEntries[1]!.push(e.duration.toFixed(3));
      const detail = e.detail as { kind?: number } | undefined;
      gcEntries[2]!.push(String(detail?.kind ?? (e as { kind?: number }).kind ?? 0));
    } else if (e.entryType === 'mark') {
      perfMarks[0]!.push(JSON.stringify(e.name));
      perfMarks[1]!.push(epoch(e.startTime));
    } else if (e.entryType === 'measure') {
      perfMeasures[0]!.push(JSON.stringify(e.name));
      perfMeasures[1]!.push(epoch(e.startTime));
      perfMeasures[2]!.push(e.duration.toFixed(3));
    }
  };
  let observer: PerformanceObserver | undefined;
  try {
    observer = new PerformanceObserver((list) => {
      try {
        for (const e of list.getEntries()) onEntry(e);
      } catch {
        // ignore
      }
    });
    // tsc's own marks reach perf_hooks only under --generateCpuProfile; they come through onProfilerEvent.
    observer.observe({ entryTypes: tsc ? ['gc'] : ['gc', 'mark', 'measure'] });
  } catch {
    observer = undefined;
  }

  // ---- arenas: the calls of the arena API through the global hook ---------------------------
  const arenaT = new Float64Array(ARENA_CAPACITY);
  const arenaKind = new Uint8Array(ARENA_CAPACITY);
  const arenaId = new Uint32Array(ARENA_CAPACITY);
  const arenaValue = new Float64Array(ARENA_CAPACITY);
  let arenaN = 0;
  let arenaCount = 0;
  const newArenas: string[][] = [[], [], []]; // id, name, category
  const arenaPhaseIndex = new Map<string, number>();
  const newArenaPhases: string[] = [];

  /** Writes the header record, once, before anything else (for tsc it waits for switchTscPerformanceOn). */
  let writeHeader = () => {};
  const flush = () => {
    writeHeader();
    let out = '';
    if (arenaN || newArenas[0]!.length) {
      out += '{"t":"arenas"';
      if (newArenas[0]!.length) {
        out += `,"new":{"id":[${newArenas[0]}],"name":[${newArenas[1]}],"category":[${newArenas[2]}]}`;
        for (const a of newArenas) a.length = 0;
      }
      if (newArenaPhases.length) {
        out += `,"newPhases":[${newArenaPhases}]`;
        newArenaPhases.length = 0;
      }
      out += `,"tMs":[${join(arenaT, arenaN, epoch)}],"kind":[${join(arenaKind, arenaN, String)}],"arena":[${join(arenaId, arenaN, String)}],"value":[${join(arenaValue, arenaN, String)}]}\n`;
      arenaN = 0;
    }
    if (heapN) {
      out += `{"t":"heap","tMs":[${join(heapT, heapN, epoch)}],"bytes":[${join(heapB, heapN, String)}]}\n`;
      heapN = 0;
    }
    if ((markN || folds[0]!.length) && markT && markId && markHeap) {
      const newNames = markNames.slice(markNamesWritten);
      markNamesWritten = markNames.length;
      out += `{"t":"tscMarks","newNames":${JSON.stringify(newNames)},"tMs":[${join(markT, markN, epoch)}],"mark":[${join(markId, markN, String)}],"heapBytes":[${join(markHeap, markN, String)}]`;
      if (folds[0]!.length) out += `,"folded":{"atMark":[${folds[0]}],"key":[${folds[1]}],"spans":[${folds[2]}],"ms":[${folds[3]}]}`;
      out += '}\n';
      markN = 0;
      for (const a of folds) a.length = 0;
    }
    if (gcs[0]!.length) {
      out += `{"t":"gc","winStartMs":[${gcs[0]}],"winEndMs":[${gcs[1]}],"durMs":[${gcs[2]}],"type":[${gcs[3]}],"beforeBytes":[${gcs[4]}],"afterBytes":[${gcs[5]}]}\n`;
      for (const a of gcs) a.length = 0;
    }
    if (gcEntries[0]!.length) {
      out += `{"t":"gcEntries","startMs":[${gcEntries[0]}],"durMs":[${gcEntries[1]}],"kind":[${gcEntries[2]}]}\n`;
      for (const a of gcEntries) a.length = 0;
    }
    if (perfMarks[0]!.length) {
      out += `{"t":"marks","name":[${perfMarks[0]}],"tMs":[${perfMarks[1]}]}\n`;
      for (const a of perfMarks) a.length = 0;
    }
    if (perfMeasures[0]!.length) {
      out += `{"t":"measures","name":[${perfMeasures[0]}],"startMs":[${perfMeasures[1]}],"durMs":[${perfMeasures[2]}]}\n`;
      for (const a of perfMeasures) a.length = 0;
    }
    write(out);
    lastFlushMs = performance.now();
  };

  // ---- header -------------------------------------------------------------------------------
  const header: Record<string, unknown> = {
    t: 'header',
    v: 1,
    pid: process.pid,
    ppid: process.ppid,
    argv: process.argv.slice(),
    execArgv: process.execArgv,
    argv0: process.argv0,
    node: process.version,
    timeOriginMs,
    cwd: safeCwd(),
    intervalMs,
  };
  let headerWritten = false;
  writeHeader = () => {
    if (headerWritten) return;
    headerWritten = true;
    write(JSON.stringify(header) + '\n');
  };
  if (tsc) {
    const flag = tscDiagnosticsFlagToAdd(process.argv.slice(2), true);
    const tscInfo = { version: tsc.version, main: tsc.main, addedArgs: [] as string[], hooked: true, switchedOn: false };
    header.tsc = tscInfo;
    // --diagnostics would turn the marks on, and also make tsc count every file's lines and print a
    // table at the end (2 % of the compile). The switch turns on the marks alone; the header waits
    // for the outcome. The flag is the fallback, still in time: tsc reads its arguments when its
    // code runs, after it is compiled.
    if (flag[0] === '--diagnostics') {
      switchTscPerformanceOn(tsc.main, (switched) => {
        tscInfo.switchedOn = switched;
        if (!switched) process.argv.push(...(tscInfo.addedArgs = flag));
        writeHeader();
      });
    } else {
      process.argv.push(...(tscInfo.addedArgs = flag)); // before tsc reads it: tsc's sys.args is taken when _tsc.js loads
      writeHeader();
    }
  } else {
    if (typescript) header.tsc = { version: typescript.version, main: typescript.main, addedArgs: [], hooked: false };
    writeHeader();
  }

  // ---- tsc hook -----------------------------------------------------------------------------
  if (tsc && markT && markId && markHeap) {
    const intern = (name: string): number => {
      const id = markNames.length;
      markNames.push(name);
      markIndex.set(name, id);
      const m = /^(SolutionBuilder::)?(before|after|begin|end)(.+)$/.exec(name);
      markKind.push(!m ? MARK_INSTANT : m[2] === 'before' || m[2] === 'begin' ? MARK_BEGIN : MARK_END);
      markFoldSlot.push(m && !m[1] && (m[2] === 'before' || m[2] === 'after') ? FOLDED_MARK_KEYS.indexOf(m[3]!) : -1);
      return id;
    };
    const onMark = (name: string): void => {
      try {
        const t = performance.now();
        const id = markIndex.get(name) ?? intern(name);
        const kind = markKind[id];
        const slot = markFoldSlot[id]!;
        if (slot >= 0) {
          if (kind === MARK_BEGIN) foldBeginT[slot] = t;
          else if (!Number.isNaN(foldBeginT[slot])) {
            foldMs[slot] += t - foldBeginT[slot]!;
            foldSpans[slot]!++;
            foldBeginT[slot] = NaN;
            foldPending = true;
          }
          return;
        }
        if (foldPending) emitFolds();
        // Read the heap (~1 µs, plus ~10 µs to drain the GC profiler) at most once per interval, and
        // also where a top-level phase (depth 0: Program, Bind, Check, Emit) begins after one of
        // another kind, or ends after lasting an interval or more. tsc binds and checks file by
        // file: reading at both ends of every file's span cost 2 % of the compile.
        let read = t - lastHeapReadMs >= intervalMs;
        if (kind === MARK_BEGIN) {
          if (depth === 0) {
            if (id !== topId) read = true;
            topId = id;
            topBeginMs = t;
          }
          depth++;
        } else if (kind === MARK_END && depth > 0) {
          depth--;
          if (depth === 0 && t - topBeginMs >= intervalMs) read = true;
        }
        markT[markN] = t;
        markId[markN] = id;
        if (read) {
          markHeap[markN] = usedHeapBytes();
          lastHeapReadMs = t;
          drainGc(t, true);
        } else markHeap[markN] = 0;
        markN++;
        markTotal++;
        if (markN === MARK_CAPACITY || t - lastFlushMs >= FLUSH_EVERY_MS) flush();
      } catch {
        // never let the profiler break the compiler
      }
    };
    const previous = (globalThis as { onProfilerEvent?: unknown }).onProfilerEvent;
    const hook = typeof previous === 'function' ? (n: string) => (onMark(n), (previous as (n: string) => void)(n)) : onMark;
    Object.defineProperty(globalThis, 'onProfilerEvent', { value: hook, writable: true, configurable: true, enumerable: false });
  }

  // ---- arena hook ---------------------------------------------------------------------------
  {
    const event = (kind: number, id: number, value: number): void => {
      const t = performance.now();
      arenaT[arenaN] = t;
      arenaKind[arenaN] = kind;
      arenaId[arenaN] = id;
      arenaValue[arenaN] = value;
      arenaN++;
      // A synchronous compiler never lets the timer run: read the heap here, at most once per interval.
      if (!tsc && t - lastHeapReadMs >= intervalMs) {
        lastHeapReadMs = t;
        heapT[heapN] = t;
        heapB[heapN] = usedHeapBytes();
        heapN++;
        drainGc(t, true);
      }
      if (arenaN === ARENA_CAPACITY || heapN === HEAP_CAPACITY || t - lastFlushMs >= FLUSH_EVERY_MS) flush();
    };
    const hook = {
      v: 1,
      create(name: string, category: string): number {
        const id = arenaCount++;
        try {
          newArenas[0]!.push(String(id));
          newArenas[1]!.push(JSON.stringify(String(name)));
          newArenas[2]!.push(JSON.stringify(String(category)));
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
            const known = arenaPhaseIndex.get(phase);
            if (known !== undefined) p = known;
            else {
              p = arenaPhaseIndex.size;
              arenaPhaseIndex.set(phase, p);
              newArenaPhases.push(JSON.stringify(String(phase)));
            }
          }
          event(ARENA_USE, id, p);
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
    Object.defineProperty(globalThis, ARENA_HOOK, { value: Object.freeze(hook), writable: false, configurable: true, enumerable: false });
  }

  // ---- the timer: heap while the event loop turns -------------------------------------------
  const timer = setInterval(() => {
    try {
      const t = performance.now();
      heapT[heapN] = t;
      heapB[heapN] = usedHeapBytes();
      heapN++;
      drainGc(t, true);
      if (heapN === HEAP_CAPACITY || t - lastFlushMs >= FLUSH_EVERY_MS) flush();
    } catch {
      // ignore
    }
  }, intervalMs);
  timer.unref();

  // ---- the end ------------------------------------------------------------------------------
  const finish = (code: number | undefined, signal: string | undefined) => {
    if (finished) return;
    finished = true;
    try {
      clearInterval(timer);
      const t = performance.now();
      const heapBytes = usedHeapBytes();
      drainGc(t, false);
      if (foldPending) emitFolds();
      if (observer) {
        // tsc ends with a synchronous process.exit(): observer callbacks never ran, take what is queued.
        for (const e of observer.takeRecords()) onEntry(e);
        observer.disconnect();
      }
      flush();
      const exit: Record<string, unknown> = { t: 'exit', tMs: Number(epoch(t)), heapBytes };
      if (code !== undefined) exit.code = code;
      if (signal) exit.signal = signal;
      write(JSON.stringify(exit) + '\n');
      fs.closeSync(fd);
    } catch {
      // ignore
    }
  };
  process.on('exit', (code) => finish(code, undefined));

  if (!tsc) {
    const onSignal = (signal: NodeJS.Signals) => {
      try {
        if (process.listenerCount(signal) > 1) {
          flush(); // the program handles the signal itself and may well keep running
          return;
        }
        finish(undefined, signal);
        for (const s of SIGNALS) process.removeListener(s, onSignal);
        process.kill(process.pid, signal); // default action again: death by this signal
      } catch {
        // ignore
      }
    };
    const SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT'] : ['SIGTERM', 'SIGINT', 'SIGHUP'];
    for (const s of SIGNALS) process.on(s, onSignal);
  }
}

interface GCProfilerResult {
  statistics: { gcType: string; cost: number; beforeGC?: { heapStatistics?: { usedHeapSize?: number } }; afterGC?: { heapStatistics?: { usedHeapSize?: number } } }[];
}

function join(a: Float64Array | Uint32Array | Uint8Array, n: number, f: (x: number) => string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ',' : '') + f(a[i]!);
  return s;
}

function openOutput(dir: string): number | undefined {
  for (let n = 1; n < 100; n++) {
    const file = path.join(dir, n === 1 ? `node-${process.pid}.ndjson` : `node-${process.pid}-${n}.ndjson`);
    try {
      return fs.openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  return undefined;
}

function safeRealpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function safeCwd(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/**
 * The condition under which tsc turns its performance module on (TypeScript 4 to 6, in `lib/_tsc.js`
 * where there is one, else in `lib/tsc.js`): a diagnostics flag. Made true in the code as
 * it is compiled, the module records its marks (and calls onProfilerEvent), while tsc's statistics,
 * printed only under the flag, stay off.
 */
const TSC_PERFORMANCE_SWITCH = /(function enableStatisticsAndTracing\(system, compilerOptions, isBuildMode\) \{\s*if \()(canReportDiagnostics\(system, compilerOptions\)\))/;

/**
 * Turns tsc's performance module on in memory: wraps the CommonJS loader's compile step until the file
 * holding tsc's code (next to its main script) comes through, then gives that file's code with the
 * switch made (`done(true)`), or unchanged when the code does not read as expected (`done(false)`:
 * another version's layout). The file on disk is never written.
 */
function switchTscPerformanceOn(main: string, done: (switched: boolean) => void): void {
  const lib = path.dirname(main);
  const target = fs.existsSync(path.join(lib, '_tsc.js')) ? path.join(lib, '_tsc.js') : main;
  type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
  const proto = Module.prototype as unknown as { _compile?: Compile };
  const original = proto._compile;
  if (typeof original !== 'function') return done(false);
  // Every argument is passed on (newer Nodes pass the module's format after the file name).
  const hook: Compile = function (content, filename, ...rest) {
    if (filename !== target && !(path.basename(filename) === path.basename(target) && safeRealpath(filename) === target)) {
      return original.call(this, content, filename, ...rest);
    }
    if (proto._compile === hook) proto._compile = original;
    let code = content;
    try {
      code = content.replace(TSC_PERFORMANCE_SWITCH, '$1true || $2');
    } catch {
      // keep the code as it is
    }
    done(code !== content);
    return original.call(this, code, filename, ...rest);
  };
  proto._compile = hook;
}

/** The main script is TypeScript's tsc: the compiler itself up to 6, a launcher of the native binary from 7. */
function detectTsc(): { version: string; major: number; main: string } | undefined {
  const script = process.argv[1];
  if (!script || !/tsc(\.js)?$/i.test(script)) return undefined;
  let main: string;
  try {
    main = fs.realpathSync(script);
  } catch {
    return undefined;
  }
  const m = /[\\/]typescript[\\/](?:lib[\\/]_?tsc\.js|bin[\\/]tsc)$/.exec(main);
  if (!m) return undefined;
  try {
    const pkgDir = main.slice(0, m.index + '/typescript'.length);
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name?: string; version?: string };
    const major = Number(/^(\d+)\./.exec(pkg.version ?? '')?.[1]);
    if (pkg.name !== 'typescript' || !Number.isFinite(major)) return undefined;
    return { version: pkg.version!, major, main };
  } catch {
    return undefined;
  }
}

