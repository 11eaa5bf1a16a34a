// The run journal's on-disk format, declared once: the writer (writer.ts) and the reader
// (reader.ts) both import it. docs/journal.md describes it for users.
//
// A journal is a folder kept while a build runs, so that a tool killed mid-build (SIGKILL, the OOM
// killer, an editor closing) leaves the profile so far behind:
//
//   header.json       the run's facts known at the start (JOURNAL_FORMAT, see JournalHeader)
//   samples.txt       the sampler's ticks and the processes' starts and ends, one record a line
//   stdout.txt, .1    the build's output, the last OUTPUT_ROTATE_BYTES..2× of each stream
//   stderr.txt, .1
//   work/             the instrumentations' private folder (preload records, wrapper records, pages)
//
// samples.txt lines (fields separated by one space; JSON where a field is free text):
//   T <tMs> <treeRssBytes> [<i>=<rssBytes> …]   a tick: the tree's sum, and the processes whose RSS
//                                                changed since the last tick written (i: the P index)
//   P <json JournalProcess>                      a process first sampled (its index is its order)
//   A <json {i, argv, comm, role}>               a process's argv or role changed (an exec)
//   E <i> <endMs> <goneMs> <peakRssBytes> <vmhwm|sampled>
//                                                a process found gone (last seen at endMs, missed at goneMs)
//   W <json {code, message}>                     something the reader must repeat as a warning

import type { TrackedProcess } from '../collect/sampler/tracked-processes';
import type { Bytes, EpochMs, HostFacts, Ms } from '../model';

export const JOURNAL_FORMAT = 'compiler-memory-insight/journal';
export const JOURNAL_VERSION = 1;

export const HEADER_FILE = 'header.json';
export const SAMPLES_FILE = 'samples.txt';
export const WORK_DIR = 'work';
export const OUTPUT_FILES = { stdout: 'stdout.txt', stderr: 'stderr.txt' } as const;
/** An output file is renamed to `<name>.1` when it reaches this size: the last 2–4 MiB are kept. */
export const OUTPUT_ROTATE_BYTES = 2 * 1024 * 1024;
/** How long a written record may wait in memory before it reaches the file. */
export const FLUSH_EVERY_MS = 250;
/**
 * The bound on samples.txt. Past half of it only every 2nd tick is written, past 3/4 every 4th, and
 * so on; at the bound, ticks stop (process starts and ends go on). Each step is a `W` line.
 */
export const DEFAULT_MAX_SAMPLE_BYTES = 64 * 1024 * 1024;

export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  version: number;
  /** The command as the user gave it, before any instrumentation rewrote it. */
  argv: string[];
  cwd: string;
  startEpochMs: EpochMs;
  startedAt: string;
  rootPid: number;
  /** The pid of the tool that wrote the journal: a recovery can tell whether it still runs. */
  toolPid: number;
  host: HostFacts;
  intervalMs: Ms;
  sampler: 'procfs' | 'ps' | 'powershell' | 'none';
  /** Where the instrumentations' helpers (preload.js, wrappers) were. */
  distDir: string;
  /**
   * The instrumentations that prepared, in order. A recovery prepares the same ones again on the
   * original argv with `work/` as their workDir (which only finds their folders again: nothing is
   * run), then runs their collect().
   */
  instrumentations: string[];
}

/** A `P` line: the sampler's record of a process as first sampled, and its index in the journal. */
export interface JournalProcess
  extends Pick<TrackedProcess, 'pid' | 'ppid' | 'argv' | 'comm' | 'role' | 'startMs' | 'seriesId'> {
  i: number;
}

export interface JournalWarning {
  code: string;
  message: string;
}

/** A tick's RSS of one process: `<i>=<bytes>`. */
export function processSample(i: number, rssBytes: Bytes): string {
  return `${i}=${rssBytes}`;
}
