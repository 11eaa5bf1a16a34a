// Reading what the compiler wrappers recorded (collect-scripts/cc-wrapper.sh and rustc-wrapper.sh).
//
// Both wrappers write, per compiler process, into a directory of the run's workDir:
// `<pid>-<start us>.args` (the compiler's argv, NUL-separated) and a record beside it
// (`.tr` for cc, `.tp` for rustc) whose header names the pid the compiler runs as (the wrapper execs
// it in place). The collectors (cc.ts, rustc.ts) parse their own records; the files, the argv, and
// how a record meets the process the sampler saw are read the same way, here.

import * as fs from 'node:fs';
import type { Ms, ProcessInfo } from '../model';
import { ms } from '../units';
import { tickSlackMs, type CollectContext } from './instrumentation';

/** The names of the records in `dir` ending in `ext` (`.tr`, `.tp`), sorted; none when there is no directory. */
export function recordNames(dir: string, ext: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(ext))
      .sort();
  } catch {
    return []; // nothing was recorded: the collector says so
  }
}

/** The argv the wrapper recorded beside a record (its `.args` file), or [] when it could not write it. */
export function readRecordArgs(recordFile: string): string[] {
  const argv = readOr(recordFile.replace(/\.[^./]*$/, '.args'), '').split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  return argv;
}

/** A whole file, or `fallback` when it cannot be read. */
export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Up to `length` bytes of a file from `position` (of a record still being written: its header, its
 * tail); '' when unreadable.
 */
export function readSlice(file: string, position: number, length: number): string {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, position);
    return buf.toString('utf8', 0, n);
  } catch {
    return '';
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * The sampled process of a record: same pid (the wrapper execs the compiler in place) and, when a
 * pid was reused during the build, the lifetime whose start is closest to the wrapper's stamp.
 */
export function matchProcess(
  processes: readonly ProcessInfo[],
  pid: number,
  startMs: Ms | undefined,
): ProcessInfo | undefined {
  const c = processes.filter((p) => p.pid === pid);
  if (c.length <= 1 || startMs === undefined) return c[0];
  return c.reduce((a, b) => (Math.abs(b.startMs - startMs) < Math.abs(a.startMs - startMs) ? b : a));
}

/**
 * The latest a sampled process can have ended (ms since start): its last sight by the sampler plus
 * the longest gap between ticks; undefined while it was still alive at the end. The wrappers'
 * filters stamp late when starved of CPU: no stamp of the process may pass this.
 */
export function sampledEndBoundMs(proc: ProcessInfo | undefined, ctx: CollectContext): Ms | undefined {
  return proc?.endMs != null ? ms(proc.endMs + tickSlackMs(ctx)) : undefined;
}
