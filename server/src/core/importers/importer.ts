// The contract of an importer: one per format, in a file of its own. An importer is a pure function
// from a file (bytes) to what it holds, plus a sniffer that says whether a file is its format.
// The registry (index.ts) picks one by sniffing, runs it, and merges several files into one profile.
// Each importer file declares its importer with `defineImporter` below (copy one to add a format).

import type { ArenaRule } from '../analysis/arena-rules';
import type { Contribution, EpochMs, RunFacts, Warning } from '../model';
import { readContent, readInputText } from './read-file';

/** What an importer returns: the profile parts, plus what it knows of the clock and the run. */
export interface ImportResult extends Contribution {
  /**
   * Epoch ms of the result's time 0 when the format carries an absolute clock (a Trace Event file's
   * `beginningOfTime`, RFC 3339 timestamps). Absent when times are only relative to the tool's start.
   */
  originEpochMs?: EpochMs;
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
   * Cheap: is this file of my format? `head` is the start of the file's content (up to 64 KiB) as
   * text, inflated when gzip or zstd, without a BOM; decide by it, not by `fileName` (its base name,
   * for a pid at most) nor `bytes` (the raw first bytes).
   */
  sniff(head: string, fileName: string, bytes: Uint8Array): boolean;
  /** Reads the whole file (streaming where the format can be big). Throws ImportError. */
  importFile(file: string, opts?: ImportOptions): Promise<ImportResult>;
}

/**
 * What an importer file declares: its format's name, description and sniffer, and how it reads the
 * whole file, as text (`importText`: inflated when gzip or zstd, UTF-8 without its BOM) or as bytes
 * (`importBytes`, for binary formats: inflated likewise). Both throw ImportError.
 */
export type ImporterDeclaration = Pick<Importer, 'format' | 'description' | 'sniff'> &
  (
    | { importText(text: string, file: string, opts: ImportOptions): ImportResult }
    | { importBytes(bytes: Uint8Array, file: string, opts: ImportOptions): ImportResult }
  );

/**
 * The importer of a format whose files are read whole (compilers' reports are small; a heap profile
 * is decoded at once). A format that must stream, such as a Trace Event file of gigabytes, writes its
 * own `importFile` instead.
 */
export function defineImporter(d: ImporterDeclaration): Importer {
  return {
    format: d.format,
    description: d.description,
    sniff: d.sniff,
    async importFile(file, opts = {}) {
      // A compressed file cut short gives its prefix and a warning saying so (read-file.ts).
      const withWarnings = (r: ImportResult, warnings: Warning[]): ImportResult =>
        warnings.length ? { ...r, warnings: [...warnings, ...(r.warnings ?? [])] } : r;
      if ('importText' in d) {
        const { text, warnings } = await readInputText(file);
        return withWarnings(d.importText(text, file, opts), warnings);
      }
      const { bytes, warnings } = await readContent(file);
      return withWarnings(d.importBytes(bytes, file, opts), warnings);
    },
  };
}
