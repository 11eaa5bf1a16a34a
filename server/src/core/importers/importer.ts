// The contract of an importer: one per format, in a file of its own. An importer is a pure function
// from a file (bytes) to what it holds, plus a sniffer that says whether a file is its format.
// The registry (index.ts) picks one by sniffing, runs it, and merges several files into one profile.

import type { ArenaRule } from '../analysis/arena-rules';
import type { Contribution, RunFacts } from '../model';

// Temporary: chrome-trace.ts (being split into trace-event/) still imports ImportError from here.
export { ImportError } from './import-error';

/** What an importer returns: the profile parts, plus what it knows of the clock and the run. */
export interface ImportResult extends Contribution {
  /**
   * Epoch ms of the result's time 0 when the format carries an absolute clock (a Trace Event file's
   * `beginningOfTime`, RFC 3339 timestamps). Absent when times are only relative to the tool's start.
   */
  originEpochMs?: number;
  /** Run facts the file gives (command, wall time, exit status of the tool …). */
  run?: Partial<RunFacts>;
}

export interface ImportOptions {
  signal?: AbortSignal;
  /** Rules that group a heap profiler's allocation sites into arena lanes (analysis/arena-rules.ts). */
  arenaRules?: readonly ArenaRule[];
}

export interface Importer {
  /** The name users pass to `--format`, e.g. `chrome-trace`, `rustc-time-passes`. */
  readonly format: string;
  readonly description: string;
  /**
   * Cheap: is this file of my format? `head` is the start of the file (up to 64 KiB) as text,
   * already gunzipped when the file is gzip; `fileName` is its base name.
   */
  sniff(head: string, fileName: string, bytes: Uint8Array): boolean;
  /** Reads the whole file (streaming where the format can be big). Throws ImportError. */
  importFile(file: string, opts?: ImportOptions): Promise<ImportResult>;
}
