// The comparison of two profiles (or two sets of repeated runs): serialisable types only, shared by
// the engine (server/src/core/compare/), the CLI (`cmi compare --json`), the language server and the
// view. Bytes and milliseconds everywhere; percentages as fractions (0.12 = 12 %). Imports nothing.

/** Statistics of one quantity over the runs of a set (n = 1 for a single run). */
export interface Stat {
  median: number;
  min: number;
  max: number;
  /** How many runs had the quantity. */
  n: number;
}

/** One quantity, base against head. */
export interface Delta {
  /** null when that side does not have the quantity (a phase or series only the other side has). */
  base: Stat | null;
  head: Stat | null;
  /** head.median − base.median; null when a side is missing, or the two can't be compared (RSS across allocator settings). */
  delta: number | null;
  /** delta / base.median; null when a side is missing or the base is 0. */
  deltaPct: number | null;
  /**
   * |delta| ≤ the larger spread (max − min) of the two sides: the difference is within the run-to-run
   * variation. Always false with one run on each side (the comparison then carries a warning that
   * noise can't be judged).
   */
  noise: boolean;
}

/** One phase path present on both sides (rows of the per-phase table are matched by their path). */
export interface PhaseDelta {
  path: string[];
  /** Sum of the durations of the path's spans. */
  time: Delta;
  /** The highest memory sample inside the path's spans. */
  memPeak: Delta;
  /** Sum over the spans of (memory at end − memory at start), when both sides have it. */
  heapChange?: Delta;
  /**
   * Set when a side placed the path by guess (its source gives durations only, no time stamps).
   * `base` or `head`: a guess is never matched against timed spans, so `time`, `memPeak` and
   * `heapChange` show both sides with no delta ("placed by guess on one side: times not compared").
   * `both`: `time` compares the two sources' totals.
   */
  placedByGuess?: 'base' | 'head' | 'both';
  /** The rows of the phase's table of durations on either side, matched by their path in the table. */
  durations?: DurationDelta[];
}

/** One row of a phase's table of durations (parts known only by their total time), base against head. */
export interface DurationDelta {
  /** The names of the rows above it in the table, outermost first, then its own. */
  path: string[];
  /** Totals the source reports (summed over the phase's spans); a side without the row has null. */
  time: Delta;
}

/** The peak of one memory series, matched across profiles by `key`. */
export interface SeriesPeakDelta {
  /**
   * `kind` plus a pid-free identity: `rss-tree`, `rss-process:<label>`, `js-heap:<label>`,
   * `allocator-heap:<label>`, with `#2`, `#3` … for the second and later processes of the same label.
   */
  key: string;
  kind: string;
  /** Human label (the head's series name where it has one, else the base's). */
  name: string;
  peak: Delta;
}

export interface PeakPlace {
  /** The peak's phase path, outermost first; empty when no phase covers it. */
  phasePath: string[];
  atMs: number;
  bytes: number;
  seriesName: string;
}

/** Where the global peak is, on each side. */
export interface PeakMove {
  base: PeakPlace | null;
  head: PeakPlace | null;
  /** The phase paths differ (false when a side has no peak). */
  moved: boolean;
}

/**
 * A group of arenas matched across profiles: `category` plus the name with every run of digits
 * replaced by `#` and hexadecimal hashes (8 or more hex digits) by `*` (`module_12` and `module_248`
 * both become `module_#`), so that 300 per-module arenas make one row.
 */
export interface ArenaDelta {
  /** The normalised name, e.g. `module_#`. */
  name: string;
  category: string;
  /** How many arenas the group holds on each side. */
  count: { base: number; head: number };
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  /** The group's bytes at the global peak, summed over its arenas. */
  bytesAtPeak: Delta;
  /** The sum of the group's arenas' own peaks. */
  peakBytes: Delta;
  /** How many of the group's arenas are held past their last use. */
  heldPastLastUse: { base: number; head: number };
}

/** A fact of the environment that differs between the two sides (tool version, flag, host …). */
export interface EnvDifference {
  fact: string;
  base: string | null;
  head: string | null;
}

export interface RunSetInfo {
  command: string[];
  cwd: string;
  /** How many runs the side aggregates. */
  runs: number;
  /** Each run's status (`ok`, `failed`, …). */
  statuses: string[];
  /** The profile file it was read from. */
  source?: string;
  /** The facts of its environment (env-facts.ts): `tool:typescript`, `flags`, `host:cpus`, … */
  facts: Record<string, string>;
}

export interface Comparison {
  base: RunSetInfo;
  head: RunSetInfo;
  wall: Delta;
  /** The global peak's series first, then the others by kind. */
  peaks: SeriesPeakDelta[];
  peakMove: PeakMove;
  /** Phases present on both sides, in the head's order. */
  phases: PhaseDelta[];
  unmatched: { baseOnly: string[][]; headOnly: string[][] };
  /** Arena groups, changed ones first by |Δ bytes at peak|. */
  arenas: ArenaDelta[];
  envDifferences: EnvDifference[];
  /**
   * Set when the two sides ran with different allocator settings (`eager-purge` against `defaults`):
   * their RSS figures are then not compared (the RSS peaks' and phase peaks' `delta` is null) and a
   * gate on the peak refuses to judge an RSS peak.
   */
  allocatorSettingsDiffer?: { base: string; head: string };
  warnings: string[];
}

export const COMPARISON_FORMAT = 'compiler-memory-insight/comparison';
export const COMPARISON_VERSION = 1;
