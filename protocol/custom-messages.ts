// Every custom message between the extension (client), the language server and, later, the
// webview: declared once here with its literal method name, its typed params and result, and the
// direction it travels. The client and the server import this module; neither declares a message
// of its own.
//
// Units are in the names: `...Ms` is milliseconds, `...Bytes` is bytes. Figures meant for people
// come pre-formatted by the server (`...Text`), so that there is one formatter (server/src/core/units.ts)
// and the client never formats bytes itself.
//
// This module imports nothing but the timeline's types (./timeline). The message objects are plain declarations (a method name carrying
// its params and result types); each side turns them into its own JSON-RPC library's RequestType /
// NotificationType (client/src/messages.ts, server/src/lsp/messages.ts), because the client's
// vscode-languageclient 11 and the server's vscode-languageserver 10 come with two different
// vscode-jsonrpc versions whose classes don't mix. The webview can import it as it is.

import type { SeriesWindow, TimelineModel } from './timeline';

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
export type BuildStatus = 'ok' | 'failed' | 'cancelled' | 'killed';

// ---------------------------------------------------------------------------------------------------
// initialize

/** `initializationOptions` of the LSP `initialize` request (client → server). */
export interface InitializationOptions {
  /**
   * A folder the server may write profiles into: the workspace's storage (`ExtensionContext.storageUri`),
   * or the global storage when no folder is open. Never inside the user's repository.
   */
  storageDir: string;
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
  peak: PeakSummary | null;
  /** At most 10, by self time. */
  topPhasesByTime: PhaseSummary[];
  /** At most 10, by the memory peak inside the phase. */
  topPhasesByMemory: PhaseSummary[];
  phaseCount: number;
  warningsCount: number;
  /** The engine's plain-text summary (peak, top phases, series, warnings), for the log. */
  report: string;
  /** The files a profile was imported from (`compilerMemory/importProfile`); null for a profiled build. */
  importedFrom: string[] | null;
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
