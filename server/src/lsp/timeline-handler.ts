// `compilerMemory/timelineModel` and `compilerMemory/timelineSeries`: the timeline panel's data. The
// model is built by the report's builder (buildTimelineModel over analyze()); the series are cut to
// the visible window by decimate(). The last few profiles stay loaded (keyed by path and checked
// against the file's mtime and size), so a zoom step costs one decimation, not a read of the file.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import {
  TimelineErrorCodes,
  TimelineModelRequest,
  TimelineSeriesRequest,
  type TimelineSeriesParams,
} from '../../../protocol/custom-messages';
import type { SeriesWindow, TimelineModel } from '../../../protocol/timeline';
import { analyze } from '../core/analysis/analyze';
import { decimate } from '../core/analysis/decimate';
import type { Profile } from '../core/model';
import { readProfile } from '../core/profile-file';
import { buildTimelineModel } from '../report/timeline-model';
import { requestType } from './messages';

/** How many loaded profiles are kept; each holds its samples in memory. */
export const CACHED_PROFILES = 3;
/** The most columns a window may be cut into (a 8K screen is 7680 pixels wide). */
const MAX_COLUMNS = 10_000;

interface Loaded {
  mtimeMs: number;
  size: number;
  profile: Profile;
  model: TimelineModel;
}

/** The profiles loaded for the timeline, most recently used last. */
export class TimelineCache {
  private readonly entries = new Map<string, Promise<Loaded>>();

  constructor(private readonly capacity = CACHED_PROFILES) {}

  async get(profilePath: string): Promise<Loaded> {
    let stat;
    try {
      stat = await fsp.stat(profilePath);
    } catch (e) {
      this.entries.delete(profilePath);
      const code = (e as NodeJS.ErrnoException).code;
      throw new ResponseError(
        TimelineErrorCodes.profileUnreadable,
        `${profilePath}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
    const cached = this.entries.get(profilePath);
    if (cached) {
      const loaded = await cached.catch(() => undefined);
      if (loaded && loaded.mtimeMs === stat.mtimeMs && loaded.size === stat.size) {
        this.entries.delete(profilePath);
        this.entries.set(profilePath, cached);
        return loaded;
      }
    }
    const loading = load(profilePath, stat.mtimeMs, stat.size);
    this.entries.delete(profilePath);
    this.entries.set(profilePath, loading);
    loading.catch(() => this.entries.get(profilePath) === loading && this.entries.delete(profilePath));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return loading;
  }

  get size(): number {
    return this.entries.size;
  }
}

async function load(profilePath: string, mtimeMs: number, size: number): Promise<Loaded> {
  let profile: Profile;
  try {
    profile = await readProfile(profilePath);
  } catch (e) {
    // ProfileFileError's message says where (line, column) when it can.
    throw new ResponseError(TimelineErrorCodes.profileUnreadable, `${profilePath}: ${(e as Error).message}`);
  }
  return { mtimeMs, size, profile, model: buildTimelineModel(profile, analyze(profile)) };
}

function checkPath(p: unknown): string {
  const profilePath = (p as { profilePath?: unknown } | null)?.profilePath;
  if (typeof profilePath !== 'string' || !path.isAbsolute(profilePath))
    throw new ResponseError(TimelineErrorCodes.badRequest, 'profilePath must be an absolute path');
  return profilePath;
}

export function seriesWindow(profile: Profile, p: TimelineSeriesParams): SeriesWindow[] {
  if (!Number.isFinite(p.startMs) || !Number.isFinite(p.endMs) || !(p.endMs >= p.startMs))
    throw new ResponseError(TimelineErrorCodes.badRequest, `bad window [${p.startMs}, ${p.endMs}]`);
  if (!Number.isFinite(p.columns) || p.columns < 1)
    throw new ResponseError(TimelineErrorCodes.badRequest, `bad column count ${p.columns}`);
  const columns = Math.min(MAX_COLUMNS, Math.floor(p.columns));
  const byId = new Map(profile.series.map((s) => [s.id, s]));
  const ids = p.seriesIds ?? profile.series.map((s) => s.id);
  return ids.map((id) => {
    const s = byId.get(id);
    if (!s) throw new ResponseError(TimelineErrorCodes.badRequest, `no series "${id}" in the profile`);
    return { id, ...decimate(s.tMs, s.bytes, p.startMs, p.endMs, columns) };
  });
}

export function registerTimeline(deps: { connection: Connection; cache?: TimelineCache }): void {
  const { connection } = deps;
  const cache = deps.cache ?? new TimelineCache();

  connection.onRequest(requestType(TimelineModelRequest.type), async (params): Promise<TimelineModel> => {
    const profilePath = checkPath(params);
    try {
      return (await cache.get(profilePath)).model;
    } catch (e) {
      connection.console.error(`timeline of ${profilePath}: ${(e as Error).message}`);
      throw e;
    }
  });

  connection.onRequest(requestType(TimelineSeriesRequest.type), async (params): Promise<SeriesWindow[]> => {
    const profilePath = checkPath(params);
    return seriesWindow((await cache.get(profilePath)).profile, params);
  });
}
