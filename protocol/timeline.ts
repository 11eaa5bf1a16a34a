// The timeline: the model the host (the VS Code extension, or the in-page host of `cmi report --html`)
// sends to the view, and the messages between them. Types only, no imports: the webview, the client
// and the server all import this file.
//
// The host builds the model; the view only draws it. Memory samples are not part of the model: the
// view asks for the visible window (`requestSeries`) and gets at most 2 × columns + 2 points per
// series, decimated by minimum and maximum per pixel column so the peak is never lost.
//
// Units are part of every name: `...Ms` milliseconds since the start of the run, `...Bytes` bytes.

import type { LiveEnd, LiveTimelineUpdate } from './live';

/** Where a memory series comes from (the profile model's SeriesKind). */
export type TimelineSeriesKind =
  | 'rss-tree'
  | 'rss-process'
  | 'js-heap'
  | 'js-live-heap'
  | 'allocator-heap'
  | 'compiler-reported';

export interface TimelineRun {
  /** The command as argv, or the files a profile was imported from. */
  title: string;
  status: 'ok' | 'failed' | 'cancelled' | 'killed' | 'incomplete';
  statusReason?: string;
  startedAt: string;
  wallMs: number;
  /** What contributed data, e.g. ["sampler:procfs", "node-preload"]. */
  sources: string[];
  /** The first and last time anything happens in the profile: the initial visible window. */
  startMs: number;
  endMs: number;
  warnings: string[];
}

export interface TimelinePeak {
  bytes: number;
  atMs: number;
  /** Series id and its human name (with its source). */
  series: string;
  seriesName: string;
  /** Phase names, outermost first; empty when no phase covers the peak. */
  phasePath: string[];
  pid?: number;
  /** `live-heap`: what the program held (allocator, or V8 after full GCs); `retained`: RSS and the like. */
  measure: 'live-heap' | 'retained';
  /** Set when the peak falls after the last phase of its process: that phase's path ("at exit, after …"). */
  afterPhasePath?: string[];
  /** Set when phases placed by guess cover the peak inside the phase named: what was not timed there. */
  untimedInside?: 'passes' | 'phases';
}

export interface TimelineSeries {
  id: string;
  /** e.g. "RSS of the process tree", "V8 heap of tsc (pid 1234)". */
  name: string;
  kind: TimelineSeriesKind;
  /** Which tool measured it, e.g. "procfs sampler". */
  source: string;
  pid?: number;
  samples: number;
  maxBytes: number | null;
  maxAtMs: number | null;
}

/** What kind of program a process is (analysis/process-kind.ts); `tree` for the build's totals. */
export type TimelineProcessKind =
  | 'tree'
  | 'compiler'
  | 'driver'
  | 'build-tool'
  | 'linker'
  | 'program'
  | 'helper'
  | 'instrumentation';

/**
 * One row of the legend: the build's totals (and series of no process), or one process with all its
 * series (RSS, live heap …). The model lists them in legend order: totals, then by kind, then peak.
 */
export interface TimelineSeriesGroup {
  kind: TimelineProcessKind;
  /** The kind's name in the legend, e.g. "compilers". */
  kindTitle: string;
  /** e.g. "cc1 main.c (pid 8264)", "whole build". */
  label: string;
  pid?: number;
  peakBytes: number | null;
  /**
   * Place among the processes by peak, highest first, helpers and the profiler's own last; -1 for the
   * totals. The view shows the first few and folds the rest into "other processes (N)".
   */
  rank: number;
  /** Indices into `TimelineModel.series`. */
  series: number[];
  /** Those of `series` measuring a program the process replaced by exec: not drawn at first. */
  beforeExec?: number[];
}

/** One group of phase lanes: a process, or the whole profile when there is one process or none. */
export interface TimelineLaneGroup {
  /** e.g. "tsc (pid 1234)". */
  label: string;
  pid?: number;
  /** Number of nesting levels (lanes) in the group. */
  depth: number;
}

export interface TimelinePhase {
  name: string;
  /** Index into `TimelineModel.groups`. */
  group: number;
  /** Nesting depth within the group: 0 for a root. */
  depth: number;
  startMs: number;
  endMs: number;
  category?: string;
  /** Index into `TimelineModel.phaseRows` of the row this span adds up into. */
  row: number;
  source?: { file: string; line?: number; column?: number };
  /**
   * Set when the span was placed by guess: the tool that gave its duration only (`gcc -ftime-report`,
   * `rollup --perf` …). Its length is that tool's; its start and end are laid out, not measured.
   */
  guessedBy?: string;
}

/** One part of a phase known only by its total time (a row of the phase's table of durations). */
export interface TimelineDurationRow {
  name: string;
  /** Nesting in the table: 0 for a top row. */
  depth: number;
  /** Total over the phase row's spans. */
  ms: number;
  /** ms / the phase row's duration; null when it has none. */
  shareOfPhase: number | null;
  count: number | null;
  bytes: number | null;
  /** What `bytes` measures, e.g. `GGC allocated` (volume allocated, not live memory). */
  bytesMeaning: string | null;
}

export interface TimelineMarker {
  name: string;
  /** `gc`, `mark`, `instant`, ... */
  kind: string;
  tMs: number;
  durMs?: number;
  pid?: number;
}

export interface TimelineArena {
  id: string;
  name: string;
  category: string;
  pid?: number;
  startMs: number;
  /** null when alive at the end of the profile. */
  endMs: number | null;
  peakBytes: number;
  bytesAtPeak: number;
  lastUseMs: number | null;
  lastUsePhase: string | null;
  heldPastLastUse: boolean;
  /** What freeing it right after its last use would have saved at the peak. */
  potentialSavingBytes: number;
  /** Row of the arena lanes it is drawn in (packed so that arenas of one row do not overlap). */
  lane: number;
}

/**
 * One group of arena lanes: the arenas of one kind, as compare matches them across runs (their category
 * and their name with numbers and hashes folded: `module 12` and `module 7` are `module #`). The view
 * draws a group as a header lane (all its arenas on one row) and, unfolded, one named lane per arena.
 */
export interface TimelineArenaGroup {
  /** e.g. "module # [module]". */
  label: string;
  category: string;
  /** Indices into `TimelineModel.arenas`: held past their last use first (largest saving first), then by peak. */
  arenas: number[];
  /** How many of them are held past their last use, and what freeing those after it saves at the peak (summed). */
  held: number;
  savingBytes: number;
  /** Their bytes at the global peak, summed, and the largest of their own peaks. */
  bytesAtPeak: number;
  peakBytes: number;
}

/**
 * What the profile says, in one line at the top of the view ("peak 140.0 MiB in codegen; 1 arena held
 * past its last use in link, freeing it there saves 80.0 MiB"): written by the analysis, drawn as is.
 */
export interface TimelineFindings {
  text: string;
  /** Arenas held past their last use, and what freeing them after it lowers the peak by (null: no peak). */
  heldArenas: number;
  savingBytes: number | null;
}

/**
 * One row of the phase table: spans with the same phase path add up. The path is not repeated on
 * every row (with 50,000 phases it was most of the model): a row names itself and points to the row
 * of its parent path, so path = the parent row's path + name.
 */
export interface TimelinePhaseRow {
  name: string;
  /** Index in `phaseRows` of the row of the parent path; null for a root. */
  parentRow: number | null;
  count: number;
  pid?: number;
  startMs: number;
  durationMs: number;
  selfMs: number;
  memStartBytes: number | null;
  memEndBytes: number | null;
  memPeakBytes: number | null;
  /** memPeakBytes / the global peak. */
  shareOfPeak: number | null;
  holdsPeak: boolean;
  /** Set when a span of the row was placed by guess: its time is a total, its memory figures are not measured. */
  placedByGuess?: true;
  /** The parts of the phase known only by their totals, never placed in time. */
  durations?: TimelineDurationRow[];
}

/** One job of a parallel build (a translation unit, a crate …: one process), for the jobs table. */
export interface TimelineJob {
  /** What it compiled: its translation unit or crate, else its outermost phase, else its process's name. */
  name: string;
  pid: number;
  /** The process's recorded name, e.g. "cc1 main.c". */
  process: string;
  /** `translation-unit`, `crate`, … or `compiler` (a compiler with no phase). */
  kind: string;
  /** Its span: its process's life, widened to its phases (what a click selects). */
  startMs: number;
  endMs: number;
  /** Its process's own peak RSS (VmHWM where read, else sampled); null when unknown. */
  peakRssBytes: number | null;
  /** Its process's live-heap peak; null when no live heap of it was measured (unknown, never guessed). */
  liveHeapPeakBytes: number | null;
  runningAtPeak: boolean;
  /** Its process's sampled RSS at the peak's tick; null when not running then. */
  rssAtPeakBytes: number | null;
}

/** A parallel build's jobs, most memory first, and which of them overlapped at the tree's peak. */
export interface TimelineJobs {
  /** The build in one sentence, as `cmi summary` says it ("2 jobs overlapped at the peak holding …"). */
  headline: string;
  jobs: TimelineJob[];
  /** The instant of the overlap (the tree's RSS peak) and the tree's memory then; null without one. */
  peakAtMs: number | null;
  peakBytes: number | null;
  /** Indices into `jobs` of those running at the peak, most held first, and their sum. */
  atPeak: number[];
  heldAtPeakBytes: number | null;
  /** The most jobs that ran at once, and the sum of that many largest job peaks. */
  maxConcurrent: number;
  largestTogetherBytes: number | null;
}

export interface TimelineModel {
  run: TimelineRun;
  /** The headline peak: of the live heap where one was measured, else of retained memory. */
  peak: TimelinePeak | null;
  /** The RSS peak beside a live-heap headline; null when the headline is already it. */
  retainedPeak: TimelinePeak | null;
  series: TimelineSeries[];
  /** Every series in exactly one group, in legend order. */
  seriesGroups: TimelineSeriesGroup[];
  groups: TimelineLaneGroup[];
  /** Sorted by group, then depth, then start. */
  phases: TimelinePhase[];
  markers: TimelineMarker[];
  /** Sorted by start. */
  arenas: TimelineArena[];
  /** Number of arena lanes. */
  arenaLanes: number;
  /** The arenas by group, groups holding arenas past their last use first (largest saving first), then by bytes at the peak. */
  arenaGroups: TimelineArenaGroup[];
  /** The findings line; null for a profile with no memory and no arenas. */
  findings: TimelineFindings | null;
  phaseRows: TimelinePhaseRow[];
  /** The jobs of a parallel build; absent for a build of fewer than two jobs. */
  jobs?: TimelineJobs;
}

/** The samples of one series in a window, decimated: ascending times, at most 2 × columns + 2 points. */
export interface SeriesWindow {
  id: string;
  tMs: number[];
  bytes: number[];
}

// ---- view → host ---------------------------------------------------------------------------------

/** The view has loaded and wants the model. */
export interface ReadyMessage {
  type: 'ready';
}

/** The decimated samples of every series (or those named) over [startMs, endMs] for `columns` pixel columns. */
export interface RequestSeriesMessage {
  type: 'requestSeries';
  id: number;
  startMs: number;
  endMs: number;
  columns: number;
  seriesIds?: string[];
}

/**
 * Open a phase's source location in the editor (VS Code only): `phase` indexes `TimelineModel.phases`;
 * the host reads the place from its own model (`TimelinePhase.source`), never a path from the view. Sent
 * when the user clicks a phase that has one, in the lanes or in the phase table; the host opens the file
 * in the code's group (it does not replace the timeline's editor).
 */
export interface RevealSourceMessage {
  type: 'revealSource';
  phase: number;
}

/** The answer to a `selectPhase` the view found no phase for (the host may tell the user). */
export interface PhaseNotFoundMessage {
  type: 'phaseNotFound';
  row?: number;
  path?: string[];
}

/** The live view drew (live.ts): how many points and phases it holds now, and its redraws so far. */
export interface LiveDrawnMessage {
  type: 'liveDrawn';
  runId: string;
  points: number;
  phases: number;
  redraws: number;
}

export type ViewToHostMessage =
  | ReadyMessage
  | RequestSeriesMessage
  | RevealSourceMessage
  | PhaseNotFoundMessage
  | LiveDrawnMessage;

// ---- host → view ---------------------------------------------------------------------------------

/** The model to draw (answer to `ready`, or a new profile). */
export interface ModelMessage {
  type: 'model';
  model: TimelineModel;
}

/** The answer to `requestSeries` with the same id: ok with the series, or an error. */
export type SeriesDataMessage =
  | { type: 'seriesData'; id: number; ok: true; series: SeriesWindow[] }
  | { type: 'seriesData'; id: number; ok: false; error: string };

/**
 * What the host needs to bring the view back after a reload (VS Code: e.g. the profile path), kept by
 * the view as it is (`setState`) and handed back to the host's serializer. Opaque to the view.
 */
export interface HostStateMessage {
  type: 'hostState';
  state: unknown;
}

/**
 * Select a phase and zoom to it (a hover's, a CodeLens's or the side bar's "Show in Timeline"): the view
 * zooms to the phase's span with a margin, selects the span (its figures shown under the chart) and
 * marks its row in the phase table. The phase is named by its row (index into `phaseRows`, when the host
 * has the same model) or by its path (names outermost first, as `TimelinePeak.phasePath`), optionally of
 * one process; of a phase run several times, its longest span. A phase the view does not find is ignored
 * (the view then posts `phaseNotFound`). The host may name the very span by `phase` (an index into
 * `TimelineModel.phases`), which the view prefers when it exists and fits `path`.
 */
export interface SelectPhaseMessage {
  type: 'selectPhase';
  /** An index into `TimelineModel.phases` (the host's own model: it is the view's), null when the host found none. */
  phase?: number | null;
  row?: number;
  path?: string[];
  pid?: number;
}

/**
 * A running build's timeline so far (protocol/live.ts), instead of a model: a view that gets one draws
 * it live; the panel loads the final profile (a fresh view) when the build ends.
 */
export interface LiveMessage {
  type: 'live';
  update: LiveTimelineUpdate;
}

/** The live run ended with no profile to show (or before it is loaded): the view says how, and keeps what it drew. */
export interface LiveEndMessage {
  type: 'liveEnd';
  runId: string;
  end: LiveEnd;
}

export type HostToViewMessage =
  | ModelMessage
  | SeriesDataMessage
  | HostStateMessage
  | SelectPhaseMessage
  | LiveMessage
  | LiveEndMessage;

/** How the view talks to its host: VS Code's webview API, or the in-page host of the HTML report. */
export interface TimelineHostPort {
  postMessage(message: ViewToHostMessage): void;
  /**
   * A host in the same page (the HTML report's) hands its answers to this listener as they are, with
   * no structured clone of the model (50,000 phases took 300 ms to clone). Without it, answers come
   * as window messages (VS Code).
   */
  onMessage?(listener: (message: HostToViewMessage) => void): void;
}
