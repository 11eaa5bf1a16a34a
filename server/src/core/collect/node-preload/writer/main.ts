// The Node preload's writer, the entry of dist/preload.js: loaded into every Node process of a
// profiled build with `NODE_OPTIONS=--require <dist>/preload.js` (set up by ../instrumentation.ts).
// It wires the concerns of this folder together: the record file, the header, heap samples, GCs,
// performance entries, tsc's marks and arena events, the timer, and the end. The records it writes
// are declared in ../records.ts.
//
// It runs inside the USER's processes, so: Node built-ins only, it never throws, it is cheap, and it
// changes nothing the program can observe except what is documented here:
//   - the global `onProfilerEvent` (non-enumerable) in TypeScript 6 tsc processes;
//   - tsc 6 only calls onProfilerEvent when its performance module is on, i.e. under a diagnostics
//     flag. When the command has none, the preload turns the module on in memory: the condition is
//     made true in tsc's code as Node compiles it (switchTscPerformanceOn; the file is not touched),
//     so that tsc neither counts lines nor prints its statistics table as --diagnostics would. Where
//     the code does not read as expected (another version) only, `--diagnostics`
//     (`--extendedDiagnostics` with --build, whose own marks are turned on by a second switch) is
//     appended to process.argv instead, and tsc then also prints its statistics table after its
//     usual output. However tsc is started (npm/pnpm/yarn scripts, npx, .bin/tsc, bin/tsc, lib/tsc.js:
//     tsc-process.ts finds its code from the package's folder);
//   - listeners for SIGTERM/SIGINT/SIGHUP in processes other than tsc. They flush the records; when no
//     other listener exists, the preload removes its own and re-raises the signal, so the process
//     still dies by that signal. (A JavaScript signal listener only runs when the event loop turns:
//     a program blocked in synchronous code handles the signal once it unblocks. tsc compiles
//     synchronously from start to end, so no listener is installed there: a cancelled tsc dies at
//     once, and loses at most FLUSH_EVERY_MS of records.)
//   - an unref'd timer, a PerformanceObserver and a v8.GCProfiler: they keep nothing alive.
//   - in precise heap mode only (CMI_PRECISE_HEAP=1): full GCs forced at phase boundaries and at exit
//     (precise-heap.ts), and, outside tsc, performance.mark/measure wrapped to find those boundaries.
//   - the arena hook, a non-enumerable global under Symbol.for('compiler-memory-insight.arena') that
//     the arena API (server/src/arena-api/index.ts documents the contract) finds at call time. Its
//     calls also read the V8 heap (at most once per interval), so a synchronous compiler that reports
//     arenas gets a heap curve while it blocks the event loop.
// With CMI_NODE_DIR unset it does nothing at all; in worker threads it does nothing either.
//
// Its modules import Node built-ins, ../records.ts and ../tsc-flags.ts only (neither imports anything),
// so that dist/preload.js bundles nothing else. It lives in the core beside its reader because the
// records are shared with it (../records.ts says why there). Each concern keeps its state in a small
// object made here and passed explicitly to the functions that record into it and flush it.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { type ExitRecord, FLUSH_EVERY_MS, INTERVAL_ENV, NODE_DIR_ENV, PRECISE_HEAP_ENV } from '../records';
import { arenaEvents, installArenaHook, takeArenasRecord } from './arenas';
import { drainGc, startGcProfile, takeGcRecord } from './gc';
import { header, startHeader, writeHeader } from './header';
import { HEAP_CAPACITY, heapSamples, sampleHeap, takeHeapRecord, usedHeapBytes } from './heap';
import { observePerformance, stopObserving, takePerformanceRecords } from './performance-entries';
import { forceFullGc, forceGcAtPerformanceMarks, preciseHeap } from './precise-heap';
import { epochFormatter, openRecordFile, writeRecords } from './record-file';
import { emitFolds, installTscHook, takeTscMarksRecord, tscMarks } from './tsc-marks';
import { detectTsc } from './tsc-process';

try {
  const dir = process.env[NODE_DIR_ENV];
  if (dir && isMainThread) start(dir);
} catch {
  // Never disturb the program: without a profile it still runs as it would have.
}

function start(dir: string): void {
  const intervalMs = Math.max(1, Number(process.env[INTERVAL_ENV]) || 10);
  const file = openRecordFile(dir);
  if (file === undefined) return;
  const epoch = epochFormatter(performance.timeOrigin);
  const heap = heapSamples();
  const gc = startGcProfile(epoch);
  const typescript = detectTsc();
  const tsc = typescript && typescript.major < 7 ? typescript : undefined; // 7 is a launcher of a native binary
  const marks = tsc ? tscMarks() : undefined;
  const perf = observePerformance(epoch, !tsc);
  const arenas = arenaEvents();
  const head = header(intervalMs);
  // Precise heap mode, or its sparse form by default (precise-heap.ts).
  const precise = preciseHeap(process.env[PRECISE_HEAP_ENV] !== '1');
  const atBoundary = precise ? () => forceFullGc(precise, gc) : undefined;

  const flush = (): void => {
    writeHeader(head, file);
    let out = takeArenasRecord(arenas, epoch);
    out += takeHeapRecord(heap, epoch);
    if (marks) out += takeTscMarksRecord(marks, epoch);
    out += takeGcRecord(gc);
    out += takePerformanceRecords(perf);
    writeRecords(file, out);
    file.lastFlushMs = performance.now();
  };

  startHeader(head, file, typescript, tsc);
  if (marks) installTscHook(marks, heap, gc, file, intervalMs, flush, atBoundary);
  installArenaHook(arenas, heap, gc, file, intervalMs, !tsc, flush, atBoundary);
  if (atBoundary && !tsc) forceGcAtPerformanceMarks(atBoundary);

  // The timer: heap while the event loop turns.
  const timer = setInterval(() => {
    try {
      const t = performance.now();
      sampleHeap(heap, t);
      drainGc(gc, t, true);
      if (heap.n === HEAP_CAPACITY || t - file.lastFlushMs >= FLUSH_EVERY_MS) flush();
    } catch {
      // ignore
    }
  }, intervalMs);
  timer.unref();

  // The end.
  let finished = false;
  const finish = (code: number | undefined, signal: string | undefined) => {
    if (finished) return;
    finished = true;
    try {
      clearInterval(timer);
      if (precise && !precise.sparse) forceFullGc(precise, gc, true); // the live heap's last point: the end
      const t = performance.now();
      const heapBytes = usedHeapBytes();
      drainGc(gc, t, false);
      if (marks?.folds.pending) emitFolds(marks);
      stopObserving(perf);
      flush();
      const exit: ExitRecord = { t: 'exit', tMs: Number(epoch(t)), heapBytes };
      if (code !== undefined) exit.code = code;
      if (signal) exit.signal = signal;
      if (precise?.skipped) exit.preciseSkipped = precise.skipped;
      writeRecords(file, `${JSON.stringify(exit)}\n`);
      fs.closeSync(file.fd);
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
