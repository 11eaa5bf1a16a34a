// The writer's header record: who this process is, written once before anything else. In tsc 6 it
// also says how tsc's marks were turned on, so it waits for the in-memory switch's outcome.

import { performance } from 'node:perf_hooks';
import type { HeaderRecord } from '../records';
import { tscDiagnosticsFlagToAdd } from '../tsc-flags';
import { type RecordFile, writeRecords } from './record-file';
import { type TscScript, switchTscPerformanceOn } from './tsc-process';

export interface Header {
  readonly record: HeaderRecord;
  written: boolean;
}

export function header(intervalMs: number): Header {
  const record: HeaderRecord = {
    t: 'header',
    v: 1,
    pid: process.pid,
    ppid: process.ppid,
    argv: process.argv.slice(),
    execArgv: process.execArgv,
    argv0: process.argv0,
    node: process.version,
    timeOriginMs: performance.timeOrigin,
    cwd: safeCwd(),
    intervalMs,
  };
  return { record, written: false };
}

/** Writes the header record, once, before anything else (flush() calls it first). */
export function writeHeader(h: Header, file: RecordFile): void {
  if (h.written) return;
  h.written = true;
  writeRecords(file, `${JSON.stringify(h.record)}\n`);
}

/**
 * Writes the header now, or for tsc 6 (`tsc`, whose marks are recorded) once its marks are turned on:
 * in memory where the code reads as expected, else by a flag appended to process.argv. `typescript`
 * is whatever tsc the main script is (a tsc 7 launcher is only named in the header).
 */
export function startHeader(
  h: Header,
  file: RecordFile,
  typescript: TscScript | undefined,
  tsc: TscScript | undefined,
): void {
  if (tsc) {
    const flag = tscDiagnosticsFlagToAdd(process.argv.slice(2), true);
    const tscInfo = {
      version: tsc.version,
      main: tsc.main,
      addedArgs: [] as string[],
      hooked: true,
      switchedOn: false,
    };
    h.record.tsc = tscInfo;
    // --diagnostics would turn the marks on, and also make tsc count every file's lines and print a
    // table at the end (2 % of the compile); with --build, --extendedDiagnostics, the build's and
    // every project's tables. The switches turn on the marks alone; the header waits for the
    // outcome. The flag is the fallback where tsc's code reads otherwise, still in time: tsc reads
    // its arguments when its code runs, after it is compiled.
    if (flag.length) {
      switchTscPerformanceOn(tsc.code, flag[0] === '--extendedDiagnostics', (switched) => {
        tscInfo.switchedOn = switched;
        if (!switched) process.argv.push(...(tscInfo.addedArgs = flag));
        writeHeader(h, file);
      });
    } else writeHeader(h, file); // a diagnostics flag is there already, or a command that compiles nothing
  } else {
    if (typescript) h.record.tsc = { version: typescript.version, main: typescript.main, addedArgs: [], hooked: false };
    writeHeader(h, file);
  }
}

function safeCwd(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}
