// Repeated runs of one build (`cmi profile --runs N`): the statistics of each quantity over the runs
// (median, minimum, maximum), and the representative run (the one whose primary peak is the median)
// that carries them as `profile.repeat`. Also the keys that match series and arenas across runs and
// profiles, where pids and per-module names differ. Pure: takes profiles, returns values.

import type { Analysis } from '../analysis/analyze';
import { analyze } from '../analysis/analyze';
import { recordedProcessName } from '../analysis/recorded-process-name';
import type { Bytes, Ms, Profile, RepeatStats, RunStat, SeriesKind } from '../model';
import { bytes } from '../units';

/** Median (the mean of the two middle values for an even count), minimum and maximum. */
export function statOf(values: readonly number[]): RunStat {
  if (values.length === 0) throw new RangeError('statOf: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/**
 * The arena group an arena belongs to, matched across runs and profiles: its name with hexadecimal
 * hashes (8 or more hex digits, at least one a digit) replaced by `*` and every other run of digits by
 * `#`. tinyc's `ast:feat_3_15` and `ast:feat_2_8` are both `ast:feat_#_#`.
 */
export function arenaGroupName(name: string): string {
  return name.replace(/[0-9a-f]{8,}/gi, (h) => (/\d/.test(h) ? '*' : h)).replace(/\d+/g, '#');
}

export function arenaGroupKey(category: string, name: string): string {
  return `${category}\u0000${arenaGroupName(name)}`;
}

/** The joined form of a phase path, for maps. */
export function pathKey(path: readonly string[]): string {
  return path.join('\u0000');
}

/**
 * A pid-free key per series id: `rss-tree`; `<kind>:<process label>` for per-process series (with
 * `#2`, `#3` … for later-started processes of the same label and kind); `<kind>:<name without digits>`
 * for other series.
 */
export function seriesKeys(p: Profile): Map<string, string> {
  const keys = new Map<string, string>();
  const startOf = (pid: number | undefined) => p.processes.find((q) => q.pid === pid)?.startMs ?? 0;
  const ordered = [...p.series].sort((a, b) => startOf(a.pid) - startOf(b.pid) || (a.pid ?? 0) - (b.pid ?? 0));
  const used = new Map<string, number>();
  for (const s of ordered) {
    let base: string;
    if (s.kind === 'rss-tree') base = 'rss-tree';
    else if (s.pid !== undefined) base = `${s.kind}:${recordedProcessName(p.processes, s.pid) ?? 'process'}`;
    else base = `${s.kind}:${s.name.replace(/\d+/g, '#')}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    keys.set(s.id, n === 1 ? base : `${base}#${n}`);
  }
  return keys;
}

/** A series name without its pid, for tables that span runs ("V8 heap of tsc (pid 1234)" → "V8 heap of tsc"). */
export function seriesDisplayName(name: string): string {
  return name.replace(/\s*[([]pid \d+[)\]]/g, '').trim();
}

/** The quantities of one run, before they are combined into statistics. */
interface RunFigures {
  wallMs: Ms;
  peakBytes: Bytes | null;
  phases: Map<
    string,
    {
      path: string[];
      durationMs: Ms;
      memPeakBytes: Bytes | null;
      memDeltaBytes: Bytes | null;
      placedByGuess: boolean;
      durations: Map<string, { path: string[]; ms: Ms }>;
    }
  >;
  series: Map<string, { kind: SeriesKind; name: string; peakBytes: Bytes }>;
  arenaGroups: Map<
    string,
    { category: string; name: string; count: number; bytesAtPeak: Bytes; peakBytes: Bytes; held: number }
  >;
}

function figuresOf(p: Profile, a: Analysis): RunFigures {
  const phases: RunFigures['phases'] = new Map();
  for (const r of a.phases)
    phases.set(pathKey(r.path), {
      path: r.path,
      durationMs: r.durationMs,
      memPeakBytes: r.memPeakBytes,
      memDeltaBytes: r.memDeltaBytes,
      placedByGuess: r.placedByGuess,
      durations: new Map((r.durations ?? []).map((d) => [pathKey(d.path), { path: d.path, ms: d.ms }])),
    });
  const keys = seriesKeys(p);
  const series: RunFigures['series'] = new Map();
  for (const s of a.series)
    if (s.maxBytes !== null)
      series.set(keys.get(s.id)!, { kind: s.kind, name: seriesDisplayName(s.name), peakBytes: s.maxBytes });
  const arenaGroups: RunFigures['arenaGroups'] = new Map();
  for (const r of a.arenas) {
    const key = arenaGroupKey(r.category, r.name);
    const g = arenaGroups.get(key) ?? {
      category: r.category,
      name: arenaGroupName(r.name),
      count: 0,
      bytesAtPeak: bytes(0),
      peakBytes: bytes(0),
      held: 0,
    };
    g.count++;
    g.bytesAtPeak = bytes(g.bytesAtPeak + r.bytesAtPeak);
    g.peakBytes = bytes(g.peakBytes + r.peakBytes);
    if (r.heldPastLastUse) g.held++;
    arenaGroups.set(key, g);
  }
  return { wallMs: p.run.wallMs, peakBytes: a.peak?.bytes ?? null, phases, series, arenaGroups };
}

function statOrNull(values: (number | null | undefined)[]): RunStat | null {
  const defined = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return defined.length ? statOf(defined) : null;
}

/** Index of the run whose primary peak is the median (the lower middle one for an even count); runs without a peak sort first. */
function medianRunIndex(figures: RunFigures[]): number {
  const order = figures.map((f, i) => ({ i, v: f.peakBytes ?? -Infinity })).sort((x, y) => x.v - y.v || x.i - y.i);
  return order[(order.length - 1) >> 1]!.i;
}

/** The statistics of a set of runs of one build (one run gives n = 1 everywhere). */
export function repeatStats(
  profiles: readonly Profile[],
  analyses: readonly Analysis[] = profiles.map(analyze),
): RepeatStats {
  if (profiles.length === 0) throw new RangeError('repeatStats: no runs');
  const figures = profiles.map((p, i) => figuresOf(p, analyses[i]!));
  const representative = medianRunIndex(figures);
  const rep = figures[representative]!;
  // Rows in the representative run's order, then those only other runs have.
  const union = <T>(pick: (f: RunFigures) => Map<string, T>) => {
    const out = new Map<string, T>(pick(rep));
    for (const f of figures) for (const [k, v] of pick(f)) if (!out.has(k)) out.set(k, v);
    return out;
  };
  const phases = [...union((f) => f.phases)].map(([k, v]) => {
    const present = figures.flatMap((f) => (f.phases.has(k) ? [f.phases.get(k)!] : []));
    // Durations rows in the order of the first run that has them, each over the runs that have it.
    const rows = new Map<string, string[]>();
    for (const f of present) for (const [dk, d] of f.durations) if (!rows.has(dk)) rows.set(dk, d.path);
    const durations = [...rows].map(([dk, path]) => ({
      path,
      ms: statOf(present.flatMap((f) => (f.durations.has(dk) ? [f.durations.get(dk)!.ms] : []))),
    }));
    return {
      path: v.path,
      durationMs: statOf(present.map((f) => f.durationMs)),
      memPeakBytes: statOrNull(figures.map((f) => f.phases.get(k)?.memPeakBytes)),
      memDeltaBytes: statOrNull(figures.map((f) => f.phases.get(k)?.memDeltaBytes)),
      ...(present.some((f) => f.placedByGuess) ? { placedByGuess: true } : {}),
      ...(durations.length ? { durations } : {}),
    };
  });
  const series = [...union((f) => f.series)].map(([key, v]) => ({
    key,
    kind: v.kind,
    name: v.name,
    peakBytes: statOf(figures.flatMap((f) => (f.series.has(key) ? [f.series.get(key)!.peakBytes] : []))),
  }));
  const arenaGroups = [...union((f) => f.arenaGroups)].map(([k, v]) => {
    const present = figures.flatMap((f) => (f.arenaGroups.has(k) ? [f.arenaGroups.get(k)!] : []));
    return {
      category: v.category,
      name: v.name,
      count: rep.arenaGroups.get(k)?.count ?? v.count,
      bytesAtPeak: statOf(present.map((g) => g.bytesAtPeak)),
      peakBytes: statOf(present.map((g) => g.peakBytes)),
      heldPastLastUse: rep.arenaGroups.get(k)?.held ?? v.held,
    };
  });
  return {
    runs: profiles.length,
    representative,
    perRun: profiles.map((p, i) => ({ wallMs: p.run.wallMs, status: p.run.status, peakBytes: figures[i]!.peakBytes })),
    wallMs: statOf(figures.map((f) => f.wallMs)),
    phases,
    series,
    arenaGroups,
  };
}

/**
 * Several runs of one build as one profile: the representative run (the one whose primary peak is
 * the median), with the statistics of all of them in `repeat`. One run comes back as it is, without
 * `repeat`.
 */
export function aggregateRuns(profiles: readonly Profile[]): Profile {
  if (profiles.length === 0) throw new RangeError('aggregateRuns: no runs');
  if (profiles.length === 1) return profiles[0]!;
  const stats = repeatStats(profiles);
  const rep = profiles[stats.representative]!;
  const notOk = stats.perRun.map((r, i) => ({ ...r, i })).filter((r) => r.status !== 'ok');
  const warnings = notOk.length
    ? [
        ...rep.warnings,
        {
          code: 'repeat-run-not-ok',
          message: `${notOk.length} of ${stats.runs} runs did not end ok (${notOk.map((r) => `run ${r.i + 1}: ${r.status}`).join(', ')})`,
        },
      ]
    : rep.warnings;
  return { ...rep, warnings, repeat: stats };
}

/** The statistics to compare a profile by: its `repeat` when it has one, else its single run (n = 1). */
export function statsForCompare(p: Profile, analysis?: Analysis): RepeatStats {
  return p.repeat ?? repeatStats([p], [analysis ?? analyze(p)]);
}
