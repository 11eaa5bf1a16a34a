// The writer's record file: opened once per process, appended to with plain writeSync (the process may
// end with a synchronous process.exit at any time), and the text helpers every record is built with.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { recordFileName } from '../records';

/** The open file of this process. */
export interface RecordFile {
  readonly fd: number;
  /** A write failed (disk full, directory gone): nothing more is written. */
  failed: boolean;
  /** performance.now() at the last flush: buffers are flushed at least every FLUSH_EVERY_MS. */
  lastFlushMs: number;
}

/** Opens `node-<pid>.ndjson` in `dir` (the next free `-<n>` name if the pid was reused), or undefined. */
export function openRecordFile(dir: string): RecordFile | undefined {
  for (let n = 1; n < 100; n++) {
    const file = path.join(dir, recordFileName(process.pid, n));
    try {
      return { fd: fs.openSync(file, 'wx'), failed: false, lastFlushMs: performance.now() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  return undefined;
}

export function writeRecords(file: RecordFile, text: string): void {
  if (file.failed || !text) return;
  try {
    fs.writeSync(file.fd, text);
  } catch {
    file.failed = true; // disk full, directory gone: stop recording, keep the program running
  }
}

/**
 * Epoch ms with 3 decimals, formatted from integer microseconds: 3x cheaper than toFixed(3), and
 * formatting is most of what a tsc mark costs.
 */
export function epochFormatter(timeOriginMs: number): (tPerfMs: number) => string {
  return (tPerfMs: number) => {
    const us = String(Math.round((timeOriginMs + tPerfMs) * 1000));
    return `${us.slice(0, -3)}.${us.slice(-3)}`;
  };
}

/** The first `n` values of a typed array, formatted by `f` and comma-separated (a JSON array's inside). */
export function joinColumn(a: Float64Array | Uint32Array | Uint8Array, n: number, f: (x: number) => string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ',' : '') + f(a[i]!);
  return s;
}
