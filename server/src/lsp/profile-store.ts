// Where the server keeps the profiles it makes: `<storageDir>/profiles/`, the extension's own
// storage (never the user's repository), keeping the most recent ones.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export const PROFILE_SUFFIX = '.cmi-profile.json';
/** The default length of the history (`compilerMemory.history.size`). */
export const KEEP_PROFILES = 20;
let keepProfiles = KEEP_PROFILES;

/** The history's length for this server (from the client's initializationOptions); at least 1. */
export function setHistorySize(n: number | undefined): void {
  keepProfiles = typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : KEEP_PROFILES;
}

/** The journal of the build being profiled, in the profiles folder (docs/journal.md). */
export const JOURNAL_DIR_NAME = 'run.journal';

export function profilesDir(storageDir: string): string {
  return path.join(storageDir, 'profiles');
}

/** e.g. `2025-11-21T09-40-12-345Z-cargo.cmi-profile.json`: sorts by time, says which tool. */
export function profileFileName(startedAt: string, argv: readonly string[]): string {
  const stamp = startedAt.replace(/[:.]/g, '-');
  // `node …/tsc.js -p .` is better named after the script than after node.
  const main = argv.find((a, i) => i > 0 && /\.[cm]?js$/.test(a)) ?? argv[0] ?? 'build';
  const tool =
    path
      .basename(main)
      .replace(/\.[cm]?js$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .slice(0, 40) || 'build';
  return `${stamp}-${tool}${PROFILE_SUFFIX}`;
}

/** e.g. `2025-11-21T09-40-12-345Z-import-time-passes_json_txt.cmi-profile.json`: named after the import time and the first file. */
export function importedProfileFileName(importedAt: Date, files: readonly string[]): string {
  return profileFileName(importedAt.toISOString(), [`import-${path.basename(files[0] ?? 'profile')}`]);
}

/** Deletes all but the newest `keep` profiles; never fails the caller. */
export async function pruneProfiles(dir: string, keep = keepProfiles): Promise<void> {
  try {
    const files = (await fsp.readdir(dir)).filter((f) => f.endsWith(PROFILE_SUFFIX)).sort();
    await Promise.all(
      files.slice(0, Math.max(0, files.length - keep)).map((f) => fsp.rm(path.join(dir, f), { force: true })),
    );
  } catch {
    // A missing folder or a file someone else removed: nothing to prune.
  }
}

/** The profile files in `dir`, newest first (names sort by time); empty when there is no folder. */
export async function storedProfiles(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir))
      .filter((f) => f.endsWith(PROFILE_SUFFIX))
      .sort()
      .reverse()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** The newest profile file in `dir`, or undefined. */
export async function newestProfile(dir: string): Promise<string | undefined> {
  return (await storedProfiles(dir))[0];
}

/**
 * The profile hovers and CodeLens speak of: the one most recently produced (built or imported) or
 * opened in the timeline in this session, else the newest in the storage folder. Loaded (and made
 * into whatever `derive` builds from it) on first use, again when the file changes.
 */
export class CurrentProfile<T> {
  private current: string | undefined;
  private loaded: { path: string; mtimeMs: number; value: Promise<T> } | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly loadFn: (profilePath: string) => Promise<T>) {}

  get path(): string | undefined {
    return this.current;
  }

  set(profilePath: string): void {
    if (profilePath === this.current) return;
    this.current = profilePath;
    for (const l of this.listeners) l();
  }

  /** Forgets `profilePath` if it is the current one (it could not be read), without telling the listeners. */
  clear(profilePath: string): void {
    if (this.current === profilePath) this.current = undefined;
  }

  onDidChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Like get(), but a profile that cannot be loaded rejects with the reason. */
  async load(): Promise<{ path: string; value: T } | undefined> {
    const p = this.current;
    if (!p) return undefined;
    const mtimeMs = (await fsp.stat(p)).mtimeMs;
    if (!this.loaded || this.loaded.path !== p || this.loaded.mtimeMs !== mtimeMs) {
      this.loaded = { path: p, mtimeMs, value: this.loadFn(p) };
    }
    return { path: p, value: await this.loaded.value };
  }

  /** The loaded value, or undefined when there is no profile or it cannot be read. */
  async get(): Promise<{ path: string; value: T } | undefined> {
    return this.load().catch(() => undefined);
  }
}

/**
 * Makes the newest stored profile that loads the current one, unless one is already current; a
 * profile that can't be read (corrupt, truncated, of a newer format) is skipped and reported.
 */
export async function useNewestReadable<T>(
  current: CurrentProfile<T>,
  dir: string,
  onSkip: (file: string, reason: string) => void,
): Promise<void> {
  for (const file of await storedProfiles(dir)) {
    if (current.path) return;
    current.set(file);
    try {
      await current.load();
      return;
    } catch (e) {
      current.clear(file);
      onSkip(file, (e as Error).message);
    }
  }
}
