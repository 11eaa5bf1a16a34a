// Every custom message between the extension (client), the language server and, later, the
// webview: declared once here with its literal method name, its typed params and result, and the
// direction it travels. The client and the server import this module; neither declares a message
// of its own.
//
// Units are in the names: `...Ms` is milliseconds, `...Bytes` is bytes. Figures meant for people
// come pre-formatted by the server (`...Text`), so that there is one formatter (server/src/core/units.ts)
// and the client never formats bytes itself.
//
// This module imports nothing but the timeline's and the comparison's types (./timeline, ./compare). The message objects are plain declarations (a method name carrying
// its params and result types); each side turns them into its own JSON-RPC library's RequestType /
// NotificationType (client/src/messages.ts, server/src/lsp/messages.ts), because the client's
// vscode-languageclient 11 and the server's vscode-languageserver 10 come with two different
// vscode-jsonrpc versions whose classes don't mix. The webview can import it as it is.

import type { SeriesWindow, TimelineModel } from './timeline';
import type { Comparison } from './compare';
import type { OverlayModel } from './overlay';
import type { LiveTimelineUpdate } from './live';

/** A request declared once: its literal method name, its params P and result R (types only). */
export interface RequestDecl<P, R> {
  readonly method: string;
  /** Never set: carries the types. */
  readonly __types?: (params: P) => R;
}

/** A notification declared once: its literal method name and its params P (types only). */
export interface NotificationDecl<P> {
  readonly method: string;
  /** Never set: carries the type. */
  readonly __types?: (params: P) => void;
}

function request<P, R>(method: string): RequestDecl<P, R> {
  return { method };
}

function notification<P>(method: string): NotificationDecl<P> {
  return { method };
}

/** How a build ended; mirrors the profile model's RunStatus. */
export type BuildStatus = 'ok' | 'failed' | 'cancelled' | 'killed' | 'incomplete';

// ---------------------------------------------------------------------------------------------------
// initialize

/** `initializationOptions` of the LSP `initialize` request (client → server). */
export interface InitializationOptions {
  /**
   * A folder the server may write profiles into: the workspace's storage (`ExtensionContext.storageUri`),
   * or the global storage when no folder is open. Never inside the user's repository.
   */
  storageDir: string;
  /** How many profiles the history keeps (`compilerMemory.history.size`); absent: 20. */
  historySize?: number;
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/serverStatus

export type ServerHealth = 'starting' | 'ready' | 'busy' | 'error';

export interface ServerStatusParams {
  health: ServerHealth;
  /** Why, in words, for `error` and `busy` (e.g. "profiling `cargo build`"). */
  message?: string;
}

/**
 * server → client: the server's state changed. The one thing that drives the status bar item while
 * no build result is shown (rust-analyzer's `experimental/serverStatus`).
 */
export namespace ServerStatusNotification {
  export const method = 'compilerMemory/serverStatus' as const;
  export const type = notification<ServerStatusParams>(method);
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/profileBuild

export interface ProfileBuildParams {
  /** Chosen by the client; every progress and output notification of this build carries it. */
  runId: string;
  /** The build as argv, e.g. `["cargo", "build"]`. */
  argv: string[];
  cwd: string;
  /** Added to (and overriding) the server's environment. */
  env?: Record<string, string>;
  /** Interval of the process-tree sampler. */
  intervalMs?: number;
  /** Stop the whole process tree after this long; absent or 0: no limit. */
  timeoutMs?: number;
  /**
   * Run with the allocators' own settings (`compilerMemory.build.allocatorDefaults`, `cmi profile
   * --allocator-defaults`); absent or false: eager purge, so that RSS follows the live heap.
   */
  allocatorDefaults?: boolean;
  /**
   * Run the build this many times, one after the other ("Profile Build (repeat N)", `cmi profile
   * --runs N`); absent or 1: once. The profile is the run with the median peak, carrying the median,
   * minimum and maximum over the runs (`profile.repeat`). Progress says "run k of N"; cancelling stops
   * the current run and keeps the runs done so far; a run that does not end ok ends the series.
   */
  runs?: number;
}

export interface PeakSummary {
  bytes: number;
  /** e.g. "140.5 MiB". */
  bytesText: string;
  /** Milliseconds since the build started. */
  atMs: number;
  atText: string;
  /** Which series holds the peak, e.g. "RSS of the process tree". */
  seriesName: string;
  /** Phases holding the peak, outermost first; empty when no phase covers it. */
  phasePath: string[];
  /** `live-heap`: what the program held (allocator, or V8 after full GCs); `retained`: RSS and the like. */
  measure: 'live-heap' | 'retained';
  /** Set when the peak falls after the last phase of its process: that phase's path ("at exit, after …"). */
  afterPhasePath: string[] | null;
  /** Where, in words: "in Program › Check", "at exit, after Emit", "(no phase covers it)". */
  placeText: string;
}

export interface PhaseSummary {
  path: string[];
  /** How many spans with this path were summed up. */
  count: number;
  durationMs: number;
  selfMs: number;
  durationText: string;
  selfText: string;
  /** Highest memory sampled inside the phase. */
  memPeakBytes: number | null;
  memPeakText: string | null;
  /** memPeakBytes / the build's peak. */
  shareOfPeak: number | null;
  holdsPeak: boolean;
}

/** A small, serialisable digest of one profile: what the status bar, notifications and tests need. */
export interface BuildSummary {
  status: BuildStatus;
  /** Why the status is what it is, in words (e.g. "exited with code 2", "cancelled by the user"). */
  statusReason: string | null;
  exitCode: number | null;
  signal: string | null;
  command: string[];
  wallMs: number;
  wallText: string;
  /** The headline peak: of the live heap where one was measured, else of retained memory. */
  peak: PeakSummary | null;
  /** The RSS peak beside a live-heap headline; null when the headline is already it. */
  retainedPeak: PeakSummary | null;
  /** At most 10, by self time. */
  topPhasesByTime: PhaseSummary[];
  /** At most 10, by the memory peak inside the phase. */
  topPhasesByMemory: PhaseSummary[];
  phaseCount: number;
  warningsCount: number;
  /** The first warnings' messages (at most 5), to show after an import or a build. */
  firstWarnings?: string[];
  /** The engine's plain-text summary (peak, top phases, series, warnings), for the log. */
  report: string;
  /** The files a profile was imported from (`compilerMemory/importProfile`); null for a profiled build. */
  importedFrom: string[] | null;
  /** Repeated runs (`ProfileBuildParams.runs` > 1): the statistics over them; absent for one run. */
  repeat?: RepeatDigest;
  /** The change against the baseline (`compilerMemory/setBaseline`), when one is set; absent otherwise. */
  baseline?: BaselineDigest;
}

/** The runs of a repeated build, in short: medians with their minimum and maximum. */
export interface RepeatDigest {
  /** How many runs were done (fewer than asked when one failed or the build was cancelled). */
  runs: number;
  /** Each run's status, in order. */
  statuses: BuildStatus[];
  /** Which run (0-based) the profile shows: the one whose peak is the median. */
  representative: number;
  /** e.g. "1.92 s (1.85 s–2.10 s)": median (minimum–maximum). */
  wallText: string;
  wallMedianMs: number;
  /** The primary peak (the global peak's series) over the runs; null when no run recorded memory. */
  peakMedianBytes: number | null;
  /** e.g. "140.5 MiB (139.8 MiB–141.2 MiB)". */
  peakText: string | null;
}

/** This build against the baseline, in short: the change of the primary peak (the global peak's series). */
export interface BaselineDigest {
  /** e.g. "−19.4 %", "+3.1 %"; "–" when a side has no peak. */
  peakDeltaText: string;
  /** head − base over base, as a fraction (−0.194); null when a side has no peak or the base is 0. */
  peakDeltaPct: number | null;
  peakDeltaBytes: number | null;
  /** e.g. "−40.1 MiB". */
  peakDeltaBytesText: string;
  /** The difference is within the spread of the runs (never true with one run on each side). */
  noise: boolean;
  /** The baseline's build and runs, e.g. `node …/tsc.js -p .`, 3 runs. */
  baseCommand: string[];
  baseRuns: number;
  /** Where the baseline was set from, when known. */
  baseSource: string | null;
  /** The comparison's warnings: environment facts that differ (tool versions, flags, host), one run per side … */
  warnings: string[];
}

export interface ProfileBuildResult {
  summary: BuildSummary;
  /** The profile file, in the storage folder of `InitializationOptions`. */
  profilePath: string;
}

/**
 * client → server: run the build with every instrumentation, write the profile, answer with its
 * summary. Cancelling the request stops the build's whole process tree; the answer is then the
 * profile recorded so far, with status `cancelled`. Fails (ResponseError) only when the command
 * cannot be started, another build is being profiled, the profile cannot be written
 * (`ProfileBuildErrorCodes`) or the request was cancelled before the build started (LSP's RequestCancelled).
 * A build that fails is not an error: its summary says `failed`.
 */
export namespace ProfileBuildRequest {
  export const method = 'compilerMemory/profileBuild' as const;
  export const type = request<ProfileBuildParams, ProfileBuildResult>(method);
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/buildProgress

export interface BuildProgressParams {
  runId: string;
  elapsedMs: number;
  /** RSS of the build's whole process tree now. */
  treeRssBytes: number;
  /** The highest treeRssBytes so far. */
  peakTreeRssBytes: number;
  processCount: number;
  /** The innermost phase running now, where an instrumentation knows it. */
  phase?: string;
  elapsedText: string;
  treeRssText: string;
  peakTreeRssText: string;
  /** Repeated runs (`ProfileBuildParams.runs` > 1): which run this is (1-based) of how many; the other figures are this run's. */
  run?: number;
  runs?: number;
}

/** server → client: live figures of the running build, at most 5 per second. */
export namespace BuildProgressNotification {
  export const method = 'compilerMemory/buildProgress' as const;
  export const type = notification<BuildProgressParams>(method);
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/buildOutput

export interface BuildOutputParams {
  runId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** server → client: the build's output as it comes, in batches. */
export namespace BuildOutputNotification {
  export const method = 'compilerMemory/buildOutput' as const;
  export const type = notification<BuildOutputParams>(method);
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/liveTimeline

/**
 * server → client: what the running build recorded since the last update (protocol/live.ts), at most
 * every LIVE_EVERY_MS, for a timeline panel to draw as it arrives. The last one is sent before the
 * Profile Build answer; the client then knows how the run ended from that answer.
 */
export namespace LiveTimelineNotification {
  export const method = 'compilerMemory/liveTimeline' as const;
  export const type = notification<LiveTimelineUpdate>(method);
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/importProfile

export interface ImportProfileParams {
  /** Absolute paths of the files of one run (e.g. rustc's `-Z time-passes` output, tsc's diagnostics). */
  files: string[];
  /** An importer's name (e.g. `rustc-time-passes`); absent: each file's format is sniffed. */
  format?: string;
}

/** The same shape as Profile Build's answer: the summary (with `importedFrom` set) and where the profile was written. */
export type ImportProfileResult = ProfileBuildResult;

/**
 * client → server: import the files into one profile with the engine's importers, write it to the
 * storage folder beside the profiled builds, answer with its summary. Runs nothing, so it is allowed
 * in an untrusted workspace. Fails (ResponseError) when a file can't be imported
 * (`ImportProfileErrorCodes.importFailed`; the message names the file and the place, e.g.
 * `/p/x.json: not a format this tool reads …`, `/p/y.txt:12: …`), when the profile can't be written
 * (`ProfileBuildErrorCodes.writeFailed`) or when the request was cancelled (LSP's RequestCancelled).
 */
export namespace ImportProfileRequest {
  export const method = 'compilerMemory/importProfile' as const;
  export const type = request<ImportProfileParams, ImportProfileResult>(method);
}

/** Error codes of ResponseErrors to `compilerMemory/importProfile` (besides ProfileBuildErrorCodes.writeFailed). */
export const ImportProfileErrorCodes = {
  /** A file is missing, unreadable, of no format the importers read, or broken (the message says which and where). */
  importFailed: -32004,
} as const;

// ---------------------------------------------------------------------------------------------------
// compilerMemory/timelineModel, compilerMemory/timelineSeries
//
// The timeline panel's data: the client asks the server and relays to the webview. The server keeps
// the last profiles it loaded (by path) so that a zoom step doesn't read the file again.

export interface TimelineModelParams {
  /** An absolute path of a profile file (e.g. `ProfileBuildResult.profilePath`). */
  profilePath: string;
}

/**
 * client → server: the timeline model (protocol/timeline.ts `TimelineModel`) of a profile file. Fails
 * (ResponseError `TimelineErrorCodes.profileUnreadable`) when the file is missing or not a profile.
 */
export namespace TimelineModelRequest {
  export const method = 'compilerMemory/timelineModel' as const;
  export const type = request<TimelineModelParams, TimelineModel>(method);
}

export interface TimelineSeriesParams {
  profilePath: string;
  startMs: number;
  endMs: number;
  /** Pixel columns of the chart: at most 2 × columns + 2 points per series come back. */
  columns: number;
  /** Absent: every series. */
  seriesIds?: string[];
}

/**
 * client → server: the samples of the profile's series over [startMs, endMs], decimated by minimum
 * and maximum per column (the peak is never lost). Fails with `TimelineErrorCodes.profileUnreadable`
 * or `TimelineErrorCodes.badRequest` (an unknown series, a bad window).
 */
export namespace TimelineSeriesRequest {
  export const method = 'compilerMemory/timelineSeries' as const;
  export const type = request<TimelineSeriesParams, SeriesWindow[]>(method);
}

/** Error codes of ResponseErrors to the timeline requests. */
export const TimelineErrorCodes = {
  /** The profile file is missing, unreadable or not a profile (the message says which and where). */
  profileUnreadable: -32005,
  /** Bad params: not an absolute path, an empty window, an unknown series. */
  badRequest: -32006,
} as const;

/** Error codes of ResponseErrors to `compilerMemory/profileBuild` (in the range LSP leaves to servers). */
export const ProfileBuildErrorCodes = {
  /** The command could not be started (not found, not executable). */
  spawnFailed: -32001,
  /** Another build is being profiled. */
  busy: -32002,
  /** The build ran but its profile could not be written. */
  writeFailed: -32003,
} as const;

// ---------------------------------------------------------------------------------------------------
// compilerMemory/exportChromeTrace

export interface ExportChromeTraceParams {
  /** An absolute path of a profile file (e.g. `ProfileBuildResult.profilePath`). */
  profilePath: string;
  /** An absolute path: where the Trace Event file is written (replaced when it exists). */
  outPath: string;
}

export interface ExportChromeTraceResult {
  outPath: string;
  /** Size of the written file. */
  bytes: number;
  bytesText: string;
  /** How many phases of the profile went into it (as X events). */
  phaseCount: number;
}

/**
 * client → server: write the profile as a Trace Event file (object form) that Perfetto and
 * chrome://tracing open, as `cmi export --chrome-trace` does. Runs nothing, so it is allowed in an
 * untrusted workspace. Fails (ResponseError) with `ExportChromeTraceErrorCodes.profileUnreadable`
 * (missing, unreadable or not a profile: the message names the file and the place),
 * `ExportChromeTraceErrorCodes.writeFailed` or `ExportChromeTraceErrorCodes.badRequest` (not absolute paths).
 */
export namespace ExportChromeTraceRequest {
  export const method = 'compilerMemory/exportChromeTrace' as const;
  export const type = request<ExportChromeTraceParams, ExportChromeTraceResult>(method);
}

/** Error codes of ResponseErrors to `compilerMemory/exportChromeTrace`. */
export const ExportChromeTraceErrorCodes = {
  /** The same code as the timeline's: the profile file is missing, unreadable or not a profile. */
  profileUnreadable: TimelineErrorCodes.profileUnreadable,
  /** The Trace Event file could not be written. */
  writeFailed: -32007,
  /** Params that are not absolute paths. */
  badRequest: TimelineErrorCodes.badRequest,
} as const;

// ---------------------------------------------------------------------------------------------------
// compilerMemory/setBaseline, clearBaseline, getBaseline, compare, summaryMarkdown
//
// The baseline is a copy of one profile kept in the extension's storage (`<storageDir>/baseline/`,
// never the user's repository, never pruned with the profile history). It keeps its build's command
// and the facts of its environment, so a comparison says when it crosses other tool versions, flags
// or hosts. Profile Build answers with the change against it (`BuildSummary.baseline`).

export interface BaselineInfo {
  /** The baseline's build as argv. */
  command: string[];
  /** The facts of its environment (`tool:typescript`, `flags`, `host:cpus`, …: server/src/core/compare/env-facts.ts). */
  facts: Record<string, string>;
  /** When it was set (ISO 8601); null when the store lost that note. */
  setAt: string | null;
  /** The profile file it was set from; null when the store lost that note. */
  sourcePath: string | null;
  /** The stored copy. */
  storedPath: string;
  /** How many runs it aggregates (1 for a single run). */
  runs: number;
  status: BuildStatus;
  wallText: string;
  /** e.g. "140.5 MiB"; null when it recorded no memory. */
  peakText: string | null;
}

export interface SetBaselineParams {
  /** An absolute path of a profile file (e.g. `ProfileBuildResult.profilePath`). */
  profilePath: string;
}

/**
 * client → server: keep a copy of the profile as the baseline (replacing the one set before). Fails
 * with `CompareErrorCodes.profileUnreadable` (the message names the file and the place) or
 * `CompareErrorCodes.badRequest` (not an absolute path).
 */
export namespace SetBaselineRequest {
  export const method = 'compilerMemory/setBaseline' as const;
  export const type = request<SetBaselineParams, BaselineInfo>(method);
}

/** client → server: forget the baseline; `cleared` is false when none was set. */
export namespace ClearBaselineRequest {
  export const method = 'compilerMemory/clearBaseline' as const;
  export const type = request<Record<string, never>, { cleared: boolean }>(method);
}

/** client → server: the baseline, or null when none is set. Fails with `CompareErrorCodes.profileUnreadable` when its copy is damaged. */
export namespace GetBaselineRequest {
  export const method = 'compilerMemory/getBaseline' as const;
  export const type = request<Record<string, never>, BaselineInfo | null>(method);
}

export interface CompareParams {
  /** An absolute path of the base profile; absent: the baseline. */
  basePath?: string;
  /** An absolute path of the head profile. */
  headPath: string;
}

export interface CompareResult {
  comparison: Comparison;
  /** For a pull request: the metrics table, where the peak moved, arena groups, the commands and run counts, warnings (`cmi compare --markdown`). */
  markdown: string;
  /** The same for a terminal or a log (`cmi compare`). */
  text: string;
  /** Both memory curves aligned by phase, with the per-phase deltas (protocol/overlay.ts): what the compare panel draws. */
  overlay?: OverlayModel;
}

/**
 * client → server: compare two profiles (each a single run or repeated runs) as `cmi compare` does.
 * Fails with `CompareErrorCodes.noBaseline` (no basePath and no baseline set),
 * `CompareErrorCodes.profileUnreadable` or `CompareErrorCodes.badRequest`.
 */
export namespace CompareRequest {
  export const method = 'compilerMemory/compare' as const;
  export const type = request<CompareParams, CompareResult>(method);
}

export interface SummaryMarkdownParams {
  /** An absolute path of a profile file. */
  profilePath: string;
}

export interface SummaryMarkdownResult {
  markdown: string;
  /** True when the Markdown is the comparison against the baseline (one is set), false for the profile's own summary. */
  againstBaseline: boolean;
}

/**
 * client → server: Markdown for a pull request about one profile: with a baseline set, the
 * comparison against it; else the profile's summary (peak and its phase, top phases, arenas held past
 * their last use). Fails with `CompareErrorCodes.profileUnreadable` or `CompareErrorCodes.badRequest`.
 */
export namespace SummaryMarkdownRequest {
  export const method = 'compilerMemory/summaryMarkdown' as const;
  export const type = request<SummaryMarkdownParams, SummaryMarkdownResult>(method);
}

/** Error codes of ResponseErrors to the baseline and compare requests. */
export const CompareErrorCodes = {
  /** The same code as the timeline's: a profile file (or the baseline's copy) is missing, unreadable or not a profile. */
  profileUnreadable: TimelineErrorCodes.profileUnreadable,
  /** Params that are not absolute paths. */
  badRequest: TimelineErrorCodes.badRequest,
  /** `compilerMemory/compare` without a basePath while no baseline is set. */
  noBaseline: -32008,
} as const;
