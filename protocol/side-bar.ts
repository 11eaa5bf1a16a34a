// The side bar ("Compiler Memory" in the activity bar): the profile history, the baseline, and the
// phase tree of the current profile. The requests between the extension and the language server
// (declared as in ./custom-messages.ts, each with its literal method name and direction), and the
// messages between the phase view's webview and its host (one union per direction, as
// ./timeline.ts does). Types only but for the declarations.
//
// Units are in the names: `...Ms` milliseconds, `...Bytes` bytes; `...Text` is formatted for people
// by the server.

import type { BuildStatus, RequestDecl } from './custom-messages';

// ---------------------------------------------------------------------------------------------------
// compilerMemory/listProfiles

/** One profile of the server's store (`<storageDir>/profiles/`), in a few words. */
export interface StoredProfile {
  profilePath: string;
  /** When the build started (or the import was made), ISO 8601; null when the file does not say. */
  startedAt: string | null;
  /** The build's command, or the files it was imported from, on one line. */
  title: string;
  status: BuildStatus;
  wallMs: number;
  wallText: string;
  /** The headline peak (the live heap where one was measured, else RSS); null when none was recorded. */
  peakBytes: number | null;
  peakText: string | null;
  peakMeasure: 'live-heap' | 'retained' | null;
  /** Set when the file could not be read: why (it is still listed, so it can be deleted). */
  error?: string;
}

export interface ListProfilesResult {
  /** Newest first. */
  profiles: StoredProfile[];
  /** The profile hovers and CodeLens speak of (the newest, or the last opened); null when none. */
  currentPath: string | null;
}

/** client → server: the stored profiles, newest first. Never fails: an unreadable file is listed with its error. */
export namespace ListProfilesRequest {
  export const method = 'compilerMemory/listProfiles' as const;
  export const type: RequestDecl<Record<string, never>, ListProfilesResult> = { method };
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/deleteProfile

export interface DeleteProfileParams {
  /** A profile of the store (from `listProfiles`); any other path is refused. */
  profilePath: string;
}

/**
 * client → server: delete a stored profile. `deleted` is false when it was already gone. Fails with
 * `SideBarErrorCodes.notInStore` for a path outside the store (the server deletes nothing else).
 */
export namespace DeleteProfileRequest {
  export const method = 'compilerMemory/deleteProfile' as const;
  export const type: RequestDecl<DeleteProfileParams, { deleted: boolean }> = { method };
}

// ---------------------------------------------------------------------------------------------------
// compilerMemory/phaseTree

/**
 * One row of the phase tree: spans with the same phase path add up (as the timeline's phase table
 * does). Row i is the timeline model's `phaseRows[i]` (same order, same path).
 */
export interface PhaseTreeRow {
  name: string;
  /** Index of the parent path's row; null for a root. */
  parentRow: number | null;
  count: number;
  pid?: number;
  /** The first span's start and the last span's end: what the timeline zooms to. */
  startMs: number;
  endMs: number;
  durationMs: number;
  selfMs: number;
  /** The highest live heap (allocator, or V8 after full GCs) sampled inside the spans, of the phase's process; null when none was measured. */
  liveHeapPeakBytes: number | null;
  /** The highest RSS sampled inside the spans: of the phase's process, else of the whole tree; null when none was sampled. */
  rssPeakBytes: number | null;
  durationText: string;
  selfText: string;
  liveHeapPeakText: string;
  rssPeakText: string;
  /** The headline peak falls inside this row (or a row under it). */
  holdsPeak: boolean;
}

export interface PhaseTree {
  profilePath: string;
  /** The build's command or the imported files, on one line. */
  title: string;
  rows: PhaseTreeRow[];
  /** The innermost row holding the headline peak; null when no phase holds it. */
  peakRow: number | null;
  /** e.g. "98.2 MiB live heap in Program › Check"; null without a peak. */
  peakText: string | null;
}

export interface PhaseTreeParams {
  profilePath: string;
}

/** client → server: the phase tree of a profile file. Fails with `TimelineErrorCodes.profileUnreadable` or `badRequest`. */
export namespace PhaseTreeRequest {
  export const method = 'compilerMemory/phaseTree' as const;
  export const type: RequestDecl<PhaseTreeParams, PhaseTree> = { method };
}

/** Error codes of ResponseErrors to the side bar's requests (besides the timeline's). */
export const SideBarErrorCodes = {
  /** A path that is not a profile of the store. */
  notInStore: -32009,
} as const;

// ---------------------------------------------------------------------------------------------------
// The phase view (webview) ⇄ its host

/** The columns of the phase view; `name` sorts by the tree's own order (start time). */
export type PhaseColumn = 'name' | 'duration' | 'self' | 'liveHeap' | 'rss';

export interface PhaseSort {
  column: PhaseColumn;
  descending: boolean;
}

/** view → host: the view has loaded and wants the tree. */
export interface PhaseViewReady {
  type: 'ready';
}

/** view → host: the user clicked (or pressed Enter on) a phase: show it in the timeline. */
export interface PhaseViewSelect {
  type: 'selectPhase';
  row: number;
}

/** view → host: what the view now shows, after every render (for the tests, and to keep the sort). */
export interface PhaseViewRendered {
  type: 'rendered';
  /** The profile whose tree is shown; null when none is. */
  profilePath: string | null;
  sort: PhaseSort;
  /** The rows shown, top to bottom. */
  visibleRows: number[];
  /** The rows whose children are shown. */
  expandedRows: number[];
}

export type PhaseViewToHost = PhaseViewReady | PhaseViewSelect | PhaseViewRendered;

/** host → view: the tree to show (null: nothing to show, `message` says why). */
export interface PhaseViewTree {
  type: 'tree';
  tree: PhaseTree | null;
  message?: string;
  /** The sort to start with (the one kept from before). */
  sort?: PhaseSort;
}

/** host → view: sort by a column, as a click on its header does. */
export interface PhaseViewSortBy {
  type: 'sortBy';
  sort: PhaseSort;
}

/** host → view: click a row's name (the tests' way to act as a user inside the webview). */
export interface PhaseViewClickRow {
  type: 'clickRow';
  row: number;
}

export type PhaseHostToView = PhaseViewTree | PhaseViewSortBy | PhaseViewClickRow;
