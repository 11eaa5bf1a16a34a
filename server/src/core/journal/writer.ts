// The journal's writer: what the runner knows of a build, on disk as the build runs (format.ts).
//
// Cheap per tick: a tick appends one short line to an array (the tree's sum and the processes whose
// RSS changed); a timer joins and writes the array every FLUSH_EVERY_MS with one write(2) and no
// fsync (a killed tool loses nothing the kernel already has; a crashed machine loses the last
// seconds). The file is bounded (DEFAULT_MAX_SAMPLE_BYTES): ticks are decimated, then dropped, each
// step said by a `W` line the reader turns into a warning.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bytes, Ms } from '../model';
import { bytes, ms } from '../units';
import type { TrackedProcess, TrackedProcesses } from '../collect/sampler/tracked-processes';
import {
  DEFAULT_MAX_SAMPLE_BYTES,
  FLUSH_EVERY_MS,
  HEADER_FILE,
  type JournalHeader,
  type JournalProcess,
  type JournalWarning,
  OUTPUT_FILES,
  OUTPUT_ROTATE_BYTES,
  processSample,
  SAMPLES_FILE,
  WORK_DIR,
} from './format';

interface Journaled {
  i: number;
  argv: string[];
  role: TrackedProcess['role'];
  rssBytes: Bytes;
}

/** The names a journal folder holds (format.ts). */
const JOURNAL_NAMES = new Set<string>([
  HEADER_FILE,
  SAMPLES_FILE,
  WORK_DIR,
  ...Object.values(OUTPUT_FILES).flatMap((f) => [f, `${f}.1`]),
]);

/**
 * Makes the journal folder and its work/ folder. Refuses a folder that holds a journal (recover it
 * first) or anything a journal does not hold; empties one left by a run that stopped before its build
 * started (no header: nothing to recover, but stale instrumentation files that must not mix in).
 */
export function createJournalDir(dir: string): string {
  if (fs.existsSync(path.join(dir, HEADER_FILE)))
    throw new Error(`${dir} holds the journal of another run: recover it (cmi import ${dir}) or remove it`);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const foreign = names.filter((n) => !JOURNAL_NAMES.has(n));
  if (foreign.length) throw new Error(`${dir} is not a journal folder (it holds ${foreign.slice(0, 3).join(', ')})`);
  for (const n of names) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  const work = path.join(dir, WORK_DIR);
  fs.mkdirSync(work, { recursive: true });
  return work;
}

export class JournalWriter {
  private readonly fd: number;
  private readonly output = new Map<keyof typeof OUTPUT_FILES, { pending: string[]; bytes: number }>();
  private pending: string[] = [];
  private pendingChars = 0;
  private writtenBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  /** Processes started and not yet found gone, with what was last written of them. */
  private readonly open = new Map<TrackedProcess, Journaled>();
  /** Index in `processes.all` of the first process not yet written. */
  private nextProcess = 0;
  private count = 0;
  /** Every `stride`-th tick is written (1 until the bound's first half is used). */
  private stride = 1;
  private tickNo = 0;
  private ticksOff = false;

  constructor(
    private readonly dir: string,
    header: Omit<JournalHeader, 'format' | 'version'>,
    private readonly maxSampleBytes = DEFAULT_MAX_SAMPLE_BYTES,
  ) {
    const full: JournalHeader = { format: 'compiler-memory-insight/journal', version: 1, ...header };
    fs.writeFileSync(path.join(dir, HEADER_FILE), `${JSON.stringify(full, null, 1)}\n`);
    this.fd = fs.openSync(path.join(dir, SAMPLES_FILE), 'a');
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** At every sampler tick: new processes, ended ones, changed argv, and the tick's RSS. */
  tick(nowMs: Ms, treeBytes: Bytes, processes: TrackedProcesses): void {
    if (this.closed) return;
    const all = processes.all;
    for (; this.nextProcess < all.length; this.nextProcess++) {
      const p = all[this.nextProcess]!;
      if (p.tick === 0) {
        if (processes.alive.get(p.pid) === p) break; // not sampled yet: next tick
        continue;
      }
      const j: JournalProcess = {
        i: this.count++,
        pid: p.pid,
        ppid: p.ppid,
        argv: p.argv,
        comm: p.comm,
        role: p.role,
        startMs: ms(round(p.startMs)),
        seriesId: p.seriesId,
      };
      this.line(`P ${JSON.stringify(j)}`);
      // No value yet: its first sample goes into the next tick written.
      this.open.set(p, { i: j.i, argv: p.argv, role: p.role, rssBytes: bytes(-1) });
    }
    const write = !this.ticksOff && this.tickNo++ % this.stride === 0;
    let line = write ? `T ${round(nowMs)} ${treeBytes}` : '';
    for (const [p, j] of this.open) {
      if (p.endMs !== null) {
        const hwm = p.hwmBytes > 0 && p.hwmBytes >= p.maxSampledBytes;
        this.line(
          `E ${j.i} ${round(p.endMs)} ${round(nowMs)} ${hwm ? p.hwmBytes : p.maxSampledBytes} ${hwm ? 'vmhwm' : 'sampled'}`,
        );
        this.open.delete(p);
        continue;
      }
      if (p.argv !== j.argv || p.role !== j.role) {
        j.argv = p.argv;
        j.role = p.role;
        this.line(`A ${JSON.stringify({ i: j.i, argv: p.argv, comm: p.comm, role: p.role })}`);
      }
      if (write && p.rssBytes !== j.rssBytes) {
        j.rssBytes = p.rssBytes;
        line += ` ${processSample(j.i, p.rssBytes)}`;
      }
    }
    if (write) {
      this.line(line);
      this.bound(nowMs);
    }
  }

  /** The build's output, as the runner receives it. */
  outputChunk(stream: keyof typeof OUTPUT_FILES, text: string): void {
    if (this.closed) return;
    let o = this.output.get(stream);
    if (!o) this.output.set(stream, (o = { pending: [], bytes: 0 }));
    o.pending.push(text);
  }

  warn(w: JournalWarning): void {
    this.line(`W ${JSON.stringify(w)}`);
  }

  /** Writes what waits in memory (no fsync). Never throws: a journal that cannot be written is given up. */
  flush(): void {
    if (this.closed) return;
    try {
      if (this.pending.length) {
        const text = this.pending.join('');
        this.pending = [];
        this.pendingChars = 0;
        this.writtenBytes += fs.writeSync(this.fd, text);
      }
      for (const [stream, o] of this.output) {
        if (!o.pending.length) continue;
        const text = o.pending.join('');
        o.pending = [];
        const file = path.join(this.dir, OUTPUT_FILES[stream]);
        if (o.bytes >= OUTPUT_ROTATE_BYTES) {
          fs.renameSync(file, `${file}.1`);
          o.bytes = 0;
        }
        fs.appendFileSync(file, text);
        o.bytes += Buffer.byteLength(text);
      }
    } catch {
      // A full disk or a removed folder: the run goes on without its journal.
      this.close();
    }
  }

  /** Flushes and closes; the folder stays (the caller removes it once the profile is written). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      if (this.pending.length) fs.writeSync(this.fd, this.pending.join(''));
    } catch {
      // nothing more to do: the journal is as complete as it could be made
    }
    this.pending = [];
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private line(text: string): void {
    this.pending.push(`${text}\n`);
    this.pendingChars += text.length + 1;
  }

  /** Past half of the bound, every 2nd tick; past 3/4, every 4th…; at the bound, no more ticks. */
  private bound(nowMs: Ms): void {
    const used = this.writtenBytes + this.pendingChars;
    if (used < this.maxSampleBytes * (1 - 1 / (2 * this.stride))) return;
    if (used >= this.maxSampleBytes) {
      this.ticksOff = true;
      this.warn({
        code: 'journal-bounded',
        message: `the journal reached its bound of ${this.maxSampleBytes} bytes at ${round(nowMs)} ms: later ticks were not journaled`,
      });
      return;
    }
    this.stride *= 2;
    this.warn({
      code: 'journal-decimated',
      message: `the journal kept one tick in ${this.stride} from ${round(nowMs)} ms on (bound: ${this.maxSampleBytes} bytes)`,
    });
  }
}

/** Times to the microsecond: enough for a sampler, and short lines. */
function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}

/**
 * Moves a journal left by an earlier run out of the way (to `<dir>-<time>`), so that a new run never
 * overwrites it; returns where it went, or undefined when there was none.
 */
export function setAsideJournal(dir: string): string | undefined {
  if (!fs.existsSync(path.join(dir, HEADER_FILE))) return undefined;
  const stamp = fs.statSync(path.join(dir, HEADER_FILE)).mtime.toISOString().replace(/[:.]/g, '-');
  const to = `${dir}-${stamp}`;
  fs.renameSync(dir, to);
  return to;
}

/**
 * Removes a journal folder (after the profile was written, or when the run never started): what a
 * journal holds, then the folder if that emptied it. Anything else in it is left alone.
 */
export function removeJournal(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no folder: nothing to remove
  }
  for (const n of names) if (JOURNAL_NAMES.has(n)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  if (names.every((n) => JOURNAL_NAMES.has(n))) fs.rmSync(dir, { recursive: true, force: true });
}
