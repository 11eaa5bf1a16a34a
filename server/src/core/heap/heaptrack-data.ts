// A heaptrack data file as parsed: the series and the peak, plus the tables and the +/- event stream
// that arena inference (analysis/arena-rules.ts) replays to group live bytes by allocation site. The
// heaptrack importer (importers/heaptrack.ts) builds it; the shape lives here, where both import it
// without importing each other.

import type { Ms, SeriesBuilder, Warning } from '../model';
import type { AllocationSite } from './allocation-site';

/** The file's tables, as arena inference needs them (indices as in the file: 1-based, 0 = none; infos 0-based). */
export interface HeaptrackTables {
  strings: string[];
  ipModule: number[];
  ipFunction: number[];
  ipFile: number[];
  ipLine: number[];
  /** Inlined frames of an ip, as [function, file] string-index pairs; undefined when none. */
  ipInlined: (number[] | undefined)[];
  traceIp: number[];
  traceParent: number[];
  infoSize: number[];
  infoTrace: number[];
}

export interface HeaptrackData {
  version?: number;
  formatVersion?: number;
  cmd: string;
  pageSizeBytes: number;
  peakBytes: number;
  peakTimeMs: Ms;
  /** Live bytes by allocation site at the peak, biggest first. */
  peakSites: AllocationSite[];
  allocations: number;
  frees: number;
  heap: SeriesBuilder;
  rss: SeriesBuilder;
  lastTimeMs: Ms;
  /** Decompressed text length. */
  textBytes: number;
  /** The trailing "# strings" comment was seen (absent when heaptrack was killed or the file cut). */
  complete: boolean;
  warnings: Warning[];
  tables: HeaptrackTables;
  /** Every allocation (the info index) and free (~ the info index), in order. */
  events: Int32Array;
  /** At each `c` line: how many events came before it, and its time. */
  tickEvent: Int32Array;
  tickMs: Float64Array;
  /** The index in `events` of the allocation that reached the peak, or -1. */
  peakEvent: number;
}
