// Checks a profile read from a file before anything walks it. A profile file is input like any other:
// it may be damaged, edited by hand or hostile. Two kinds of damage are told apart:
//
// - Broken structure (a phase whose parent is out of range or on a cycle, a field of the wrong type)
//   would make the analyses loop or crash: it is refused with a ProfileFileError naming the JSON path
//   (`phases[12].parent`).
// - Absurd values (1e305 ms, a negative heap, a sample at Infinity, bounds from plausible.ts) are
//   dropped and counted in one warning per kind, as Perfetto counts what it drops in its stats; the
//   rest of the profile is kept.
//
// Pure: no Node imports. profile-file.ts calls it on every parsed file.

import type { Arena, Marker, MemorySeries, Phase, PhaseDuration, ProcessInfo, Profile, Warning } from './model';
import { isPlausibleBytes, isPlausibleDurationMs, isPlausibleEpochMs, isPlausibleMs } from './plausible';

/** Broken structure at a JSON path; profile-file.ts turns it into a ProfileFileError naming the file. */
export class ProfileShapeError extends Error {
  constructor(
    readonly jsonPath: string,
    reason: string,
  ) {
    super(`${jsonPath}: ${reason}`);
    this.name = 'ProfileShapeError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(cond: boolean, jsonPath: string, reason: string): void {
  if (!cond) throw new ProfileShapeError(jsonPath, reason);
}

function optional(o: Json, key: string, type: 'string' | 'number' | 'boolean', at: string): void {
  const v = o[key];
  need(v === undefined || v === null || typeof v === type, `${at}.${key}`, `must be a ${type}`);
}

/** Counts of dropped values, by what was dropped; one warning per entry at the end. */
class Dropped {
  private readonly counts = new Map<string, number>();
  add(what: string, n = 1): void {
    if (n > 0) this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }
  warnings(file: string): Warning[] {
    return [...this.counts].map(([what, n]) => ({
      code: 'implausible-value-dropped',
      message: `${n} ${what} dropped: outside what a build can report (see plausible.ts bounds)`,
      file,
    }));
  }
}

/**
 * Validates `p` (just parsed from `file`) in place: throws ProfileShapeError on broken structure,
 * drops absurd values and appends a counted warning for each kind dropped.
 */
export function checkProfile(p: Profile, file: string): void {
  const dropped = new Dropped();
  checkRun(p, dropped);
  p.warnings = p.warnings.filter((w, i) => {
    need(isObject(w), `warnings[${i}]`, 'must be an object');
    return typeof w.code === 'string' && typeof w.message === 'string';
  });
  p.processes = checkProcesses(p.processes, dropped);
  p.series = p.series.map((s, i) => checkSeries(s, `series[${i}]`, dropped));
  p.arenas = checkArenas(p.arenas, dropped);
  p.markers = checkMarkers(p.markers, dropped);
  p.phases = checkPhases(p.phases, dropped);
  if (p.repeat && !allFinite(p.repeat)) {
    delete p.repeat;
    dropped.add('repeated-run statistics (a number was not finite)');
  }
  p.warnings.push(...dropped.warnings(file));
}

function checkRun(p: Profile, dropped: Dropped): void {
  const run = p.run as unknown;
  need(isObject(run), 'run', 'must be an object');
  const r = run as Json;
  need(
    Array.isArray(r.command) && r.command.every((a) => typeof a === 'string'),
    'run.command',
    'must be an array of strings',
  );
  need(typeof r.status === 'string', 'run.status', 'must be a string');
  // 0 is what an import without a wall clock writes; anything else must be a date `new Date` can show.
  if (r.startEpochMs !== 0 && !isPlausibleEpochMs(r.startEpochMs as number)) {
    dropped.add('run start time (2000 to 2100, or 0 for none)');
    r.startEpochMs = 0;
  }
  need(isObject(r.tools), 'run.tools', 'must be an object');
  need(Array.isArray(r.sources), 'run.sources', 'must be an array');
  for (const k of ['cwd', 'startedAt', 'statusReason', 'signal']) optional(r, k, 'string', 'run');
  if (!isPlausibleDurationMs(r.wallMs as number)) {
    dropped.add('run wall time');
    r.wallMs = 0;
  }
}

function checkProcesses(list: ProcessInfo[], dropped: Dropped): ProcessInfo[] {
  return list.filter((q, i) => {
    const at = `processes[${i}]`;
    need(isObject(q), at, 'must be an object');
    need(typeof q.pid === 'number', `${at}.pid`, 'must be a number');
    need(Array.isArray(q.argv), `${at}.argv`, 'must be an array');
    optional(q as unknown as Json, 'label', 'string', at);
    if (!isPlausibleMs(q.startMs) || (q.endMs !== null && !isPlausibleMs(q.endMs))) {
      dropped.add('processes with an absurd start or end');
      return false;
    }
    if (q.peakRssBytes !== null && !isPlausibleBytes(q.peakRssBytes)) {
      dropped.add('process peak RSS values');
      q.peakRssBytes = null;
    }
    return true;
  });
}

/** Drops samples at an absurd time or of an absurd size, and those that go back in time. */
function keepPlausibleSamples<T extends { tMs: Float64Array; bytes: Float64Array }>(
  s: T,
  what: string,
  dropped: Dropped,
): T {
  const n = s.tMs.length;
  const keep: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = s.tMs[i]!;
    if (isPlausibleMs(t) && isPlausibleBytes(s.bytes[i]!) && t >= last) {
      keep.push(i);
      last = t;
    }
  }
  if (keep.length === n) return s;
  dropped.add(`${what} samples`, n - keep.length);
  return { ...s, tMs: Float64Array.from(keep, (i) => s.tMs[i]!), bytes: Float64Array.from(keep, (i) => s.bytes[i]!) };
}

function checkSeries(s: MemorySeries, at: string, dropped: Dropped): MemorySeries {
  need(isObject(s), at, 'must be an object');
  need(typeof s.id === 'string', `${at}.id`, 'must be a string');
  need(typeof s.kind === 'string', `${at}.kind`, 'must be a string');
  optional(s as unknown as Json, 'name', 'string', at);
  optional(s as unknown as Json, 'pid', 'number', at);
  return keepPlausibleSamples(s, 'memory', dropped);
}

function checkArenas(list: Arena[], dropped: Dropped): Arena[] {
  const out: Arena[] = [];
  list.forEach((a, i) => {
    const at = `arenas[${i}]`;
    need(isObject(a), at, 'must be an object');
    for (const k of ['id', 'name', 'category'])
      need(typeof (a as unknown as Json)[k] === 'string', `${at}.${k}`, 'must be a string');
    need(a.uses === undefined || Array.isArray(a.uses), `${at}.uses`, 'must be an array');
    if (!isPlausibleMs(a.startMs) || (a.endMs !== null && !isPlausibleMs(a.endMs))) {
      dropped.add('arenas with an absurd start or end');
      return;
    }
    const uses = (a.uses ?? []).filter((u, j) => {
      need(isObject(u), `${at}.uses[${j}]`, 'must be an object');
      optional(u as unknown as Json, 'phase', 'string', `${at}.uses[${j}]`);
      return isPlausibleMs(u.tMs);
    });
    dropped.add('arena uses', (a.uses?.length ?? 0) - uses.length);
    out.push({ ...keepPlausibleSamples(a, 'arena', dropped), uses });
  });
  return out;
}

function checkMarkers(list: Marker[], dropped: Dropped): Marker[] {
  return list.filter((m, i) => {
    const at = `markers[${i}]`;
    need(isObject(m), at, 'must be an object');
    need(typeof m.name === 'string', `${at}.name`, 'must be a string');
    need(typeof m.kind === 'string', `${at}.kind`, 'must be a string');
    optional(m as unknown as Json, 'detail', 'string', at);
    if (!isPlausibleMs(m.tMs)) {
      dropped.add('markers');
      return false;
    }
    if (m.durMs !== undefined && !isPlausibleDurationMs(m.durMs)) {
      dropped.add('marker durations');
      delete m.durMs;
    }
    return true;
  });
}

/**
 * Refuses parents out of range and cycles; drops phases with absurd or negative spans (their
 * children move up to the nearest kept ancestor) and absurd memory values.
 */
function checkPhases(phases: Phase[], dropped: Dropped): Phase[] {
  const n = phases.length;
  phases.forEach((ph, i) => {
    const at = `phases[${i}]`;
    need(isObject(ph), at, 'must be an object');
    need(typeof ph.name === 'string', `${at}.name`, 'must be a string');
    for (const k of ['category', 'memKind']) optional(ph as unknown as Json, k, 'string', at);
    optional(ph as unknown as Json, 'pid', 'number', at);
    need(ph.args === undefined || isObject(ph.args), `${at}.args`, 'must be an object');
    need(ph.source === undefined || isObject(ph.source), `${at}.source`, 'must be an object');
    need(ph.durations === undefined || Array.isArray(ph.durations), `${at}.durations`, 'must be an array');
    const parent = ph.parent as unknown;
    need(
      parent === null || (typeof parent === 'number' && Number.isInteger(parent) && parent >= 0 && parent < n),
      `${at}.parent`,
      `${JSON.stringify(parent)} is not null or the index of a phase (0 to ${n - 1})`,
    );
  });
  refuseCycles(phases);

  const keep = phases.map((ph) => isPlausibleMs(ph.startMs) && isPlausibleMs(ph.endMs) && ph.endMs >= ph.startMs);
  const newIndex = new Int32Array(n).fill(-1);
  let kept = 0;
  for (let i = 0; i < n; i++) if (keep[i]) newIndex[i] = kept++;
  dropped.add('phases with an absurd or negative span', n - kept);
  const out: Phase[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const ph = phases[i]!;
    let parent = ph.parent;
    while (parent !== null && !keep[parent]) parent = phases[parent]!.parent;
    for (const k of ['memStartBytes', 'memEndBytes'] as const) {
      if (ph[k] !== undefined && !isPlausibleBytes(ph[k])) {
        dropped.add('phase memory values');
        delete ph[k];
      }
    }
    const next: Phase = { ...ph, parent: parent === null ? null : newIndex[parent]! };
    if (ph.durations) {
      const durations = checkDurations(ph.durations, `phases[${i}].durations`, dropped);
      if (durations.length) next.durations = durations;
      else delete next.durations;
    }
    out.push(next);
  }
  return out;
}

/** Deepest nesting a table of durations may claim (gcc's has 2 levels). */
const MAX_DURATION_DEPTH = 16;

/**
 * A phase's table of durations: rows with an absurd or negative time are dropped (a row nested
 * under a dropped one moves up to its depth), absurd byte figures and counts are dropped from their row.
 */
function checkDurations(list: PhaseDuration[], at: string, dropped: Dropped): PhaseDuration[] {
  const out: PhaseDuration[] = [];
  let maxDepth = 0;
  list.forEach((d, j) => {
    need(isObject(d), `${at}[${j}]`, 'must be an object');
    need(typeof d.name === 'string', `${at}[${j}].name`, 'must be a string');
    optional(d as unknown as Json, 'bytesMeaning', 'string', `${at}[${j}]`);
    if (!isPlausibleDurationMs(d.ms)) {
      dropped.add('phase durations rows with an absurd or negative time');
      return;
    }
    const row: PhaseDuration = { ...d };
    const depth = d.depth ?? 0;
    if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DURATION_DEPTH) {
      dropped.add('phase durations row depths');
      delete row.depth;
    } else if (depth > maxDepth) row.depth = maxDepth;
    maxDepth = (row.depth ?? 0) + 1;
    if (d.count !== undefined && !(Number.isSafeInteger(d.count) && d.count >= 0)) {
      dropped.add('phase durations row counts');
      delete row.count;
    }
    if (d.bytes !== undefined && !isPlausibleBytes(d.bytes)) {
      dropped.add('phase durations row byte figures');
      delete row.bytes;
    }
    out.push(row);
  });
  return out;
}

/** Walks each phase's ancestors once (colouring them), so a cycle is found in linear time. */
function refuseCycles(phases: Phase[]): void {
  const state = new Uint8Array(phases.length); // 0 unseen, 1 on the current walk, 2 known acyclic
  for (let i = 0; i < phases.length; i++) {
    const walk: number[] = [];
    let j: number | null = i;
    while (j !== null && state[j] === 0) {
      state[j] = 1;
      walk.push(j);
      j = phases[j]!.parent;
    }
    if (j !== null && state[j] === 1) {
      const cycle = walk.slice(walk.indexOf(j));
      throw new ProfileShapeError(
        `phases[${j}].parent`,
        cycle.length === 1
          ? 'the phase is its own parent'
          : `a cycle of parents (${[...cycle, j].map((k) => `phases[${k}]`).join(' → ')})`,
      );
    }
    for (const k of walk) state[k] = 2;
  }
}

/** Whether every number inside `v` is finite (JSON has no NaN, but 1e400 parses as Infinity). */
function allFinite(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return true;
  if (depth > 64) return false;
  return Object.values(v).every((x) => allFinite(x, depth + 1));
}
