// The side bar's requests (protocol/side-bar.ts): `compilerMemory/listProfiles` (the store's profiles,
// newest first, each in a few words), `compilerMemory/deleteProfile` (only a file of the store) and
// `compilerMemory/phaseTree` (the per-phase table with live-heap and RSS peaks, for the phase view).
// A profile is read once per version of its file (path, mtime, size): listing twenty profiles again
// after a build reads only the new one.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import { TimelineErrorCodes } from '../../../protocol/custom-messages';
import {
  DeleteProfileRequest,
  ListProfilesRequest,
  PhaseTreeRequest,
  SideBarErrorCodes,
  type PhaseTree,
  type StoredProfile,
} from '../../../protocol/side-bar';
import { oneLine } from '../../../common/untrusted-text';
import { analyze, findPeak, peakMeasure } from '../core/analysis/analyze';
import { peakPlaceText } from '../core/analysis/summary';
import { peakRowOf, phaseTree } from '../core/analysis/phase-tree';
import type { Profile } from '../core/model';
import { readProfile } from '../core/profile-file';
import { formatBytes, formatMs } from '../core/units';
import { requestType } from './messages';
import { PROFILE_SUFFIX, profilesDir, storedProfiles } from './profile-store';

export interface SideBarDeps {
  connection: Connection;
  storageDir(): string;
  /** The profile hovers and CodeLens speak of, and a way to forget it when its file is deleted. */
  current: { readonly path: string | undefined; clear(profilePath: string): void };
  /** Reads a profile for the phase tree, sharing what the timeline has loaded; rejects with a ResponseError when it can't. */
  load(profilePath: string): Promise<Profile>;
}

interface Version {
  mtimeMs: number;
  size: number;
}

/** A value computed from one version of a file, recomputed when the file changes. */
class PerFile<T> {
  private readonly entries = new Map<string, { v: Version; value: Promise<T> }>();

  constructor(private readonly capacity: number) {}

  async get(file: string, make: () => Promise<T>): Promise<T> {
    const st = await fsp.stat(file);
    const had = this.entries.get(file);
    if (had && had.v.mtimeMs === st.mtimeMs && had.v.size === st.size) return had.value;
    const value = make();
    this.entries.delete(file);
    this.entries.set(file, { v: { mtimeMs: st.mtimeMs, size: st.size }, value });
    value.catch(() => this.entries.delete(file));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  forget(file: string): void {
    this.entries.delete(file);
  }
}

export function profileTitle(p: Profile): string {
  return oneLine(
    p.run.importedFrom?.length
      ? `imported: ${p.run.importedFrom.map((f) => path.basename(f)).join(', ')}`
      : p.run.command.join(' '),
  );
}

export function storedProfile(profilePath: string, p: Profile): StoredProfile {
  const peak = findPeak(p);
  return {
    profilePath,
    startedAt: p.run.startedAt || null,
    title: profileTitle(p),
    status: p.run.status,
    wallMs: p.run.wallMs,
    wallText: formatMs(p.run.wallMs),
    peakBytes: peak?.bytes ?? null,
    peakText: peak ? formatBytes(peak.bytes) : null,
    peakMeasure: peak ? peakMeasure(peak.seriesKind) : null,
  };
}

/** The start time a profile's file name carries (`2025-11-21T09-40-12-345Z-…`), for a file that can't be read. */
function startedAtFromName(file: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z/.exec(path.basename(file));
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z` : null;
}

export function buildPhaseTree(profilePath: string, p: Profile): PhaseTree {
  const a = analyze(p);
  const nodes = phaseTree(p, a);
  const mem = (b: number | null) => (b === null ? '–' : formatBytes(b));
  return {
    profilePath,
    title: profileTitle(p),
    rows: nodes.map((n) => ({
      name: n.name,
      parentRow: n.parentRow,
      count: n.count,
      ...(n.pid !== undefined ? { pid: n.pid } : {}),
      startMs: n.startMs,
      endMs: n.endMs,
      durationMs: n.durationMs,
      selfMs: n.selfMs,
      liveHeapPeakBytes: n.liveHeapPeakBytes,
      rssPeakBytes: n.rssPeakBytes,
      durationText: formatMs(n.durationMs),
      selfText: formatMs(n.selfMs),
      liveHeapPeakText: mem(n.liveHeapPeakBytes),
      rssPeakText: mem(n.rssPeakBytes),
      holdsPeak: n.holdsPeak,
    })),
    peakRow: peakRowOf(nodes),
    peakText: a.peak
      ? `${formatBytes(a.peak.bytes)} ${peakMeasure(a.peak.seriesKind) === 'live-heap' ? 'live heap' : 'peak'} ${peakPlaceText(a.peak)}`
      : null,
  };
}

function absolutePath(params: unknown): string {
  const p = (params as { profilePath?: unknown } | null)?.profilePath;
  if (typeof p !== 'string' || !path.isAbsolute(p))
    throw new ResponseError(TimelineErrorCodes.badRequest, 'profilePath must be an absolute path');
  return p;
}

export function registerSideBar(deps: SideBarDeps): void {
  const { connection } = deps;
  const digests = new PerFile<StoredProfile>(200);
  const trees = new PerFile<PhaseTree>(3);
  const dir = () => profilesDir(deps.storageDir());

  connection.onRequest(requestType(ListProfilesRequest.type), async () => {
    const files = await storedProfiles(dir());
    const profiles: StoredProfile[] = [];
    // One at a time: each read holds a whole profile in memory.
    for (const file of files) {
      try {
        profiles.push(await digests.get(file, async () => storedProfile(file, await readProfileOrFail(file))));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
        profiles.push({
          profilePath: file,
          startedAt: startedAtFromName(file),
          title: path.basename(file, PROFILE_SUFFIX),
          status: 'incomplete',
          wallMs: 0,
          wallText: '–',
          peakBytes: null,
          peakText: null,
          peakMeasure: null,
          error: oneLine((e as Error).message),
        });
      }
    }
    return { profiles, currentPath: deps.current.path ?? null };
  });

  connection.onRequest(requestType(DeleteProfileRequest.type), async (params) => {
    const file = absolutePath(params);
    if (path.dirname(file) !== dir() || !path.basename(file).endsWith(PROFILE_SUFFIX))
      throw new ResponseError(SideBarErrorCodes.notInStore, `${file} is not a profile of the store (${dir()})`);
    digests.forget(file);
    trees.forget(file);
    deps.current.clear(file);
    try {
      await fsp.rm(file);
      connection.console.info(`deleted the profile ${file}`);
      return { deleted: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { deleted: false };
      throw e;
    }
  });

  connection.onRequest(requestType(PhaseTreeRequest.type), async (params) => {
    const file = absolutePath(params);
    try {
      return await trees.get(file, async () => buildPhaseTree(file, await deps.load(file)));
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new ResponseError(
        TimelineErrorCodes.profileUnreadable,
        `${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
  });
}

/** Reads a profile file, its failure as the timeline's ResponseError (the message names the file and the place). */
export async function readProfileOrFail(file: string): Promise<Profile> {
  try {
    return await readProfile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
    throw new ResponseError(TimelineErrorCodes.profileUnreadable, `${file}: ${(e as Error).message}`);
  }
}
