// The phase-aligned overlay of two profiles (issue 7, item 4): both memory curves drawn over
// phase-normalized time so that the same phase lines up, with the per-phase deltas beside them.
// Built by server/src/core/compare/overlay.ts, drawn by webview/overlay/ (in `cmi compare --html` and
// in VS Code's "Compare with Baseline" panel). Serialisable types only; imports nothing but types.
//
// x, "phase-aligned time", is a fraction in [0, 1]. The phases matched by path on both sides (depth
// ≤ 2, in time order) give anchor pairs (their starts and ends); between two anchors each side's time
// maps linearly, so a matched phase spans the same x-range on both sides. A segment's x-width is
// proportional to the mean of its two durations. Times are milliseconds since each run's start; bytes
// are bytes.

import type { ArenaDelta, Comparison, PhaseDelta } from './compare';

export interface OverlayPoint {
  /** Phase-aligned time in [0, 1]. */
  x: number;
  /** The sample's real time on its side (ms since that run's start). */
  tMs: number;
  bytes: number;
}

export interface OverlaySide {
  /** `base` or `head`; with several runs, the curve is the representative (median) run's. */
  label: string;
  /** The build's command line. */
  command: string;
  runs: number;
  /** The series drawn (the same kind on both sides: the process tree's RSS where sampled). */
  seriesName: string;
  /** Decimated in x (minimum and maximum per column, so the peak is kept); x ascends. */
  points: OverlayPoint[];
  /** The series' true maximum on this side, at its x, with the phase holding it. */
  peak: { x: number; tMs: number; bytes: number; phasePath: string[] } | null;
}

/** A phase matched on both sides whose start and end are both anchors: it spans [startX, endX] on both sides. */
export interface OverlaySegment {
  path: string[];
  /** The path's last element. */
  name: string;
  /** 0 for top-level phases, 1 for their children, 2 for grandchildren. */
  depth: number;
  startX: number;
  endX: number;
  /** [start, end] of the segment in each side's real time (ms). */
  baseMs: [number, number];
  headMs: [number, number];
}

export interface OverlayModel {
  title: string;
  base: OverlaySide;
  head: OverlaySide;
  /** The matched phases, in time order (parents before the children they contain). */
  segments: OverlaySegment[];
  /** The per-phase delta table (from the Comparison). */
  phases: PhaseDelta[];
  /** The arena groups, changed ones first (from the Comparison); empty when neither side has arenas. */
  arenas: ArenaDelta[];
  peakMove: Comparison['peakMove'];
  /** Wall time, base against head (ms). */
  wall: Comparison['wall'];
  warnings: string[];
}

/** view → host (VS Code's compare panel), once drawn: what is on screen. */
export interface OverlayRenderedMessage {
  type: 'rendered';
  /** Points drawn per curve: base, head. */
  curves: number[];
  /** The phase names labelled on the chart. */
  segmentLabels: string[];
  /** Each side's peak label: value, time and phase. */
  peakLabels: string[];
  /** Rows of the per-phase delta table. */
  phaseRows: number;
  /** Rows of the arena table (0: no table). */
  arenaRows: number;
  /** The labels of the panel's buttons (VS Code only: "Copy as Markdown", "Save as…"). */
  buttons: string[];
}

/** view → host (VS Code's compare panel): a button of the panel was pressed. */
export interface OverlayActionMessage {
  type: 'copyMarkdown' | 'saveMarkdown';
}

export type OverlayToHostMessage = OverlayRenderedMessage | OverlayActionMessage;
