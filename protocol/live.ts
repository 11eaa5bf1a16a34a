// The live timeline: what a running build has recorded so far, streamed from the language server to an
// open timeline panel while Profile Build runs. Types only, no imports.
//
// The server keeps a bounded buffer of the build's tree RSS (server/src/lsp/live-timeline.ts) and,
// at most every LIVE_EVERY_MS, sends what was added since its last update (`LiveTimelineUpdate`): the
// points from the cursor `from` on, and the phases that began or ended. The buffer holds at most
// LIVE_MAX_POINTS points: when full, every two neighbours become one (the higher: the peak is never
// lost) and later ticks are taken in buckets twice as wide; the next update then has `reset` and every
// point of the buffer, so a receiver's copy (common/live-timeline.ts) never holds more than the
// bound either, however long the build runs. An hour at 10 ms ticks is ten such resets.
//
// Units are part of every name: `...Ms` milliseconds since the start of the run, `...Bytes` bytes.

/** The most points of the live series a sender or a receiver keeps (even). */
export const LIVE_MAX_POINTS = 4096;
/** The most phases kept; later ones are counted in `phasesDropped`. */
export const LIVE_MAX_PHASES = 10_000;
/** The least time between two updates of one run. */
export const LIVE_EVERY_MS = 250;

/**
 * A phase as the progress reports see it while the build runs (the innermost phase an instrumentation
 * knows, polled a few times a second): its start and end are known to that resolution only. The final
 * profile has the recorded ones.
 */
export interface LivePhase {
  /** Stable over the updates of a run: a later update with the same id replaces it (it ended). */
  id: number;
  name: string;
  /** 0 for an outermost phase. */
  depth: number;
  startMs: number;
  /** null while it runs. */
  endMs: number | null;
}

export interface LiveTimelineUpdate {
  runId: string;
  /** The command, as the status bar names it. */
  title: string;
  startedAt: string;
  /** Repeated runs: this update's run (1-based) of how many; each run starts a live timeline over. */
  run?: { run: number; runs: number };
  /** Counts the updates of a run from 0: a receiver that missed one (a gap) waits for the next `reset`. */
  seq: number;
  /** The points replace everything the receiver holds (the first update, and after the buffer was thinned). */
  reset: boolean;
  /** Index in the sender's buffer of the first point here: the receiver's length before it. */
  from: number;
  /** The tree's RSS: ascending times. Each point is the highest of `stride` ticks, or a tick. */
  tMs: number[];
  bytes: number[];
  /** Ticks per point of the latest points (1 until the buffer was first thinned). */
  stride: number;
  /** Sampler ticks so far (every one went into some point). */
  ticks: number;
  /** Phases that began or ended since the last update (all of them with `reset`). */
  phases: LivePhase[];
  phasesDropped: number;
  elapsedMs: number;
  treeRssBytes: number;
  peakTreeRssBytes: number;
  processCount: number;
}

/** How a live run ended, as the panel shows it until (or instead of) the final profile. */
export interface LiveEnd {
  status: 'ok' | 'failed' | 'cancelled' | 'killed' | 'incomplete';
  statusReason?: string;
  /** The profile written; absent when none was (the view keeps what it drew, marked incomplete). */
  profilePath?: string;
}
