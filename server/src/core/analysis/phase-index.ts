// An index of one profile for hovers and CodeLens: phase names normalized across case styles
// (`checkAllTranslationUnits`, `check_all_translation_units`, `CheckAllTranslationUnits` and
// "check all translation units" all become `check_all_translation_units`), each with its time, its
// share of the build's wall time, its heap change, the peak inside it, whether it holds the global
// peak and the arenas live in it; and the files (and lines) the trace names: tsc's per-file spans
// (`checkSourceFile` with `args.path`), clang's `Source` spans (the included header in `args.detail`),
// any phase with a source location. Built once per profile; a lookup is a Map get.
// Pure: takes a Profile, returns values; imports nothing from vscode or the LSP.

import type { Bytes, MemorySeries, Ms, Profile, RunStat, SeriesKind } from '../model';
import { pathKey } from '../compare/repeat';
import { valueAt } from '../model';
import { bytes as asBytes, ms } from '../units';
import { findPeak, maxInRange, phaseDepths, phasePath, primarySeries } from './analyze';
import { ancestorsOf, selfAndAncestors } from './phase-ancestry';

/** A phase's duration over repeated runs (`profile.repeat`, compare/repeat.ts). */
export type RepeatStat = RunStat;

export interface ArenasLive {
  count: number;
  /** Sum over those arenas of their largest size inside the phase. */
  bytes: Bytes;
  /** Arena categories (or names), most bytes first, at most three. */
  groups: { label: string; count: number; bytes: Bytes }[];
}

export interface PhaseStat {
  /** Normalized name: lowercase words joined by `_`. */
  key: string;
  /** The name as the profile spells it (the first span's). */
  name: string;
  /** Every span aggregated here. */
  count: number;
  /** Sum of the durations of the outermost spans (a span nested in one of the same name is not counted twice). */
  totalMs: Ms;
  /** Sum of the spans' self time (duration minus the time covered by child phases). */
  selfMs: Ms;
  /** totalMs / the build's wall time (above 1 when parallel processes overlap). */
  shareOfWall: number | null;
  /** The phase paths it appears under, most time first (at most three), for the "where" line. */
  paths: { path: string[]; count: number; totalMs: Ms }[];
  /** Sum over the outermost spans of memory at end − memory at start; null when nothing measured it. */
  memDeltaBytes: Bytes | null;
  /** What memDeltaBytes measures: the compiler's own figures where the spans carry them, else the primary series. */
  memDeltaKind: SeriesKind | null;
  /** The highest sample of the primary series inside any of the spans. */
  peakInsideBytes: Bytes | null;
  /** True when the global peak falls inside one of the spans. */
  holdsPeak: boolean;
  arenas: ArenasLive | null;
  /** The per-run figure when the profile carries repeated runs. */
  repeat?: RepeatStat;
}

export interface FileStats {
  /** The file as the trace names it. */
  file: string;
  /** The spans naming the file, aggregated per phase name, most time first. */
  phases: PhaseStat[];
  /** Spans naming a line of the file: line (1-based) → per-name stats. */
  lines: Map<number, PhaseStat[]>;
}

export interface ProfileFacts {
  command: string[];
  startedAt: string;
  importedFrom?: string[];
  wallMs: Ms;
  peakBytes: Bytes | null;
  peakSeriesName: string | null;
  phaseCount: number;
}

export interface PhaseIndex {
  facts: ProfileFacts;
  /** Normalized name → stats. */
  byName: Map<string, PhaseStat>;
  /** Normalized file path → stats. */
  byFile: Map<string, FileStats>;
  /** Lowercased basename → normalized paths of byFile with that basename. */
  byBasename: Map<string, string[]>;
}

/** Shortest name worth a hover: `ir`, `cg` and the like match too much. */
export const MIN_KEY_LENGTH = 3;

/**
 * Lowercase words joined by `_`: splits camelCase and PascalCase (`HTMLParser` → `html_parser`),
 * snake_case, kebab-case, spaces, dots and other separators.
 */
export function normalizeName(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('_');
}

/** Paths compared as the trace and the editor may spell them: forward slashes, no `./`, `..` resolved lexically. */
export function normalizePath(file: string): string {
  const parts: string[] = [];
  const abs = file.startsWith('/') || file.startsWith('\\');
  for (const part of file.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return (abs ? '/' : '') + parts.join('/');
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1).toLowerCase();
}

/** The file a span names: its source location, tsc's `args.path`, clang's `Source` detail. */
export function fileOf(ph: Profile['phases'][number]): { file: string; line?: number } | undefined {
  if (ph.source?.file)
    return ph.source.line !== undefined ? { file: ph.source.file, line: ph.source.line } : { file: ph.source.file };
  const a = ph.args;
  if (!a) return undefined;
  if (typeof a.path === 'string' && a.path) return { file: a.path };
  if (ph.name === 'Source' && typeof a.detail === 'string' && a.detail) return { file: a.detail };
  return undefined;
}

/** Per phase path (pathKey), its duration over repeated runs when the profile carries them; empty otherwise. */
export function repeatStats(profile: Profile): Map<string, RepeatStat> {
  return new Map((profile.repeat?.phases ?? []).map((r) => [pathKey(r.path), r.durationMs]));
}

interface Ctx {
  profile: Profile;
  primary: MemorySeries | undefined;
  holding: Set<number>;
  selfMs: Float64Array;
  /** Arenas sorted by start. */
  arenas: Profile['arenas'];
  names: string[][];
  repeat: Map<string, RepeatStat>;
}

/** Largest value of an arena's bytes within [startMs, endMs]. */
function arenaMaxIn(a: Profile['arenas'][number], startMs: Ms, endMs: Ms): Bytes {
  let best = 0;
  for (let i = 0; i < a.tMs.length; i++) {
    const t = a.tMs[i]!;
    if (t > endMs) break;
    const next = i + 1 < a.tMs.length ? a.tMs[i + 1]! : Infinity;
    if (next < startMs) continue; // superseded before the window
    if (a.bytes[i]! > best) best = a.bytes[i]!;
  }
  return asBytes(best);
}

function arenasLive(c: Ctx, spans: number[]): ArenasLive | null {
  if (!c.arenas.length || !spans.length) return null;
  const phases = c.profile.phases;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of spans) {
    lo = Math.min(lo, phases[i]!.startMs);
    hi = Math.max(hi, phases[i]!.endMs);
  }
  const groups = new Map<string, { label: string; count: number; bytes: Bytes }>();
  let count = 0;
  let bytes = 0;
  for (const a of c.arenas) {
    if (a.startMs > hi) break;
    const aEnd = a.endMs ?? Infinity;
    if (aEnd < lo) continue;
    // Alive during one of the spans (of the same process when both say which); many spans: their envelope.
    let s = ms(lo);
    let e = ms(hi);
    if (spans.length <= 64) {
      const hit = spans.find((i) => {
        const ph = phases[i]!;
        return (
          ph.startMs <= aEnd &&
          a.startMs <= ph.endMs &&
          (ph.pid === undefined || a.pid === undefined || ph.pid === a.pid)
        );
      });
      if (hit === undefined) continue;
      s = phases[hit]!.startMs;
      e = phases[hit]!.endMs;
    }
    const b = arenaMaxIn(a, s, e);
    count++;
    bytes += b;
    const label = a.category || a.name;
    const g = groups.get(label) ?? { label, count: 0, bytes: asBytes(0) };
    g.count++;
    g.bytes = asBytes(g.bytes + b);
    groups.set(label, g);
  }
  if (!count) return null;
  const top = [...groups.values()].sort((x, y) => y.bytes - x.bytes || y.count - x.count).slice(0, 3);
  return { count, bytes: asBytes(bytes), groups: top };
}

/** Aggregates spans (indices into profile.phases, all of one name) into one stat. */
function statOf(c: Ctx, key: string, spans: number[], inGroup: (i: number) => boolean): PhaseStat {
  const phases = c.profile.phases;
  let totalMs = 0;
  let selfMs = 0;
  let memDelta: number | null = null;
  let memKind: SeriesKind | null = null;
  let peakInside: number | null = null;
  let holdsPeak = false;
  const outer: number[] = [];
  const paths = new Map<string, { path: string[]; count: number; totalMs: Ms }>();
  for (const i of spans) {
    const ph = phases[i]!;
    selfMs += c.selfMs[i]!;
    holdsPeak ||= c.holding.has(i);
    let nested = false;
    for (const p of ancestorsOf(phases, i)) {
      if (inGroup(p)) {
        nested = true;
        break;
      }
    }
    const durationMs = ms(Math.max(0, ph.endMs - ph.startMs));
    const path = c.names[i]!;
    const pk = pathKey(path);
    const pe = paths.get(pk) ?? { path, count: 0, totalMs: ms(0) };
    pe.count++;
    pe.totalMs = ms(pe.totalMs + durationMs);
    paths.set(pk, pe);
    if (nested) continue;
    outer.push(i);
    totalMs += durationMs;
    if (ph.memStartBytes !== undefined && ph.memEndBytes !== undefined) {
      memDelta = (memDelta ?? 0) + ph.memEndBytes - ph.memStartBytes;
      memKind ??= ph.memKind ?? 'compiler-reported';
    } else if (c.primary) {
      const a = valueAt(c.primary, ph.startMs);
      const b = valueAt(c.primary, ph.endMs);
      if (a !== undefined && b !== undefined) {
        memDelta = (memDelta ?? 0) + b - a;
        memKind ??= c.primary.kind;
      }
    }
    if (c.primary) {
      const m = maxInRange(c.primary, ph.startMs, ph.endMs);
      if (m !== undefined && (peakInside === null || m > peakInside)) peakInside = m;
    } else {
      const m = Math.max(ph.memStartBytes ?? -Infinity, ph.memEndBytes ?? -Infinity);
      if (Number.isFinite(m) && (peakInside === null || m > peakInside)) peakInside = m;
    }
  }
  const first = phases[spans[0]!]!;
  const wall = c.profile.run.wallMs;
  const sortedPaths = [...paths.values()].sort((a, b) => b.totalMs - a.totalMs);
  const repeat = sortedPaths.length === 1 ? c.repeat.get(pathKey(sortedPaths[0]!.path)) : undefined;
  return {
    key,
    name: first.name,
    count: spans.length,
    totalMs: ms(totalMs),
    selfMs: ms(selfMs),
    shareOfWall: wall > 0 ? totalMs / wall : null,
    paths: sortedPaths.slice(0, 3),
    memDeltaBytes: memDelta === null ? null : asBytes(memDelta),
    memDeltaKind: memKind,
    peakInsideBytes: peakInside === null ? null : asBytes(peakInside),
    holdsPeak,
    arenas: arenasLive(c, outer),
    ...(repeat ? { repeat } : {}),
  };
}

function pushTo<K>(m: Map<K, number[]>, k: K, i: number): void {
  const list = m.get(k);
  if (list) list.push(i);
  else m.set(k, [i]);
}

export function buildPhaseIndex(profile: Profile): PhaseIndex {
  const phases = profile.phases;
  const n = phases.length;
  const depths = phaseDepths(phases);
  const peak = findPeak(profile, depths);
  const primary = peak ? profile.series.find((s) => s.id === peak.series) : primarySeries(profile);
  const holding = new Set(selfAndAncestors(phases, peak?.phaseIndex));

  // Self time: duration minus the union of the children's spans (children sorted by start).
  const children = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const p = phases[i]!.parent;
    if (p !== null) pushTo(children, p, i);
  }
  const selfMs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ph = phases[i]!;
    let self = Math.max(0, ph.endMs - ph.startMs);
    const kids = children.get(i);
    if (kids) {
      const iv = kids
        .map((k) => [Math.max(ph.startMs, phases[k]!.startMs), Math.min(ph.endMs, phases[k]!.endMs)] as const)
        .filter(([a, b]) => b > a);
      iv.sort((x, y) => x[0] - y[0]);
      let curA = -Infinity;
      let curB = -Infinity;
      for (const [a, b] of iv) {
        if (a > curB) {
          if (curB > curA) self -= curB - curA;
          curA = a;
          curB = b;
        } else if (b > curB) curB = b;
      }
      if (curB > curA) self -= curB - curA;
    }
    selfMs[i] = Math.max(0, self);
  }

  // Paths share their prefixes: each phase's path is its parent's plus its name.
  const names: string[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = phases[i]!.parent;
    names[i] = p !== null && p < i ? [...names[p]!, phases[i]!.name] : phasePath(phases, i);
  }

  const c: Ctx = {
    profile,
    primary,
    holding,
    selfMs,
    arenas: [...profile.arenas].sort((a, b) => a.startMs - b.startMs),
    names,
    repeat: repeatStats(profile),
  };

  const keyOf: string[] = new Array(n);
  const nameKeyCache = new Map<string, string>();
  const byNameSpans = new Map<string, number[]>();
  const byFileSpans = new Map<
    string,
    { file: string; byName: Map<string, number[]>; lines: Map<number, Map<string, number[]>> }
  >();
  for (let i = 0; i < n; i++) {
    const ph = phases[i]!;
    let key = nameKeyCache.get(ph.name);
    if (key === undefined) nameKeyCache.set(ph.name, (key = normalizeName(ph.name)));
    keyOf[i] = key;
    if (key.length >= MIN_KEY_LENGTH) pushTo(byNameSpans, key, i);
    const f = fileOf(ph);
    if (f) {
      const fk = normalizePath(f.file);
      let entry = byFileSpans.get(fk);
      if (!entry) byFileSpans.set(fk, (entry = { file: f.file, byName: new Map(), lines: new Map() }));
      pushTo(entry.byName, key, i);
      if (f.line !== undefined) {
        let line = entry.lines.get(f.line);
        if (!line) entry.lines.set(f.line, (line = new Map()));
        pushTo(line, key, i);
      }
    }
  }

  const byName = new Map<string, PhaseStat>();
  for (const [key, spans] of byNameSpans)
    byName.set(
      key,
      statOf(c, key, spans, (p) => keyOf[p] === key),
    );

  const byFile = new Map<string, FileStats>();
  const byBasename = new Map<string, string[]>();
  for (const [fk, entry] of byFileSpans) {
    const perName = (m: Map<string, number[]>) =>
      [...m]
        .map(([key, spans]) => {
          const set = new Set(spans);
          return statOf(c, key, spans, (p) => set.has(p));
        })
        .sort((a, b) => b.totalMs - a.totalMs);
    const lines = new Map<number, PhaseStat[]>();
    for (const [line, m] of entry.lines) lines.set(line, perName(m));
    byFile.set(fk, { file: entry.file, phases: perName(entry.byName), lines });
    const list = byBasename.get(basename(fk));
    if (list) list.push(fk);
    else byBasename.set(basename(fk), [fk]);
  }

  return {
    facts: {
      command: profile.run.command,
      startedAt: profile.run.startedAt,
      ...(profile.run.importedFrom ? { importedFrom: profile.run.importedFrom } : {}),
      wallMs: profile.run.wallMs,
      peakBytes: peak?.bytes ?? null,
      peakSeriesName: peak?.seriesName ?? null,
      phaseCount: n,
    },
    byName,
    byFile,
    byBasename,
  };
}

/** The stats of a phase name in any case style, or undefined. */
export function lookupName(index: PhaseIndex, word: string): PhaseStat | undefined {
  const key = normalizeName(word);
  return key.length >= MIN_KEY_LENGTH ? index.byName.get(key) : undefined;
}

/**
 * The trace's entry for a file the editor has open: the same path, else the path with the longest
 * common tail of segments (the trace may come from another machine or checkout), at least the basename.
 */
export function lookupFile(index: PhaseIndex, file: string): FileStats | undefined {
  const fk = normalizePath(file);
  const exact = index.byFile.get(fk);
  if (exact) return exact;
  const candidates = index.byBasename.get(basename(fk));
  if (!candidates) return undefined;
  const segs = fk.split('/');
  let best: string | undefined;
  let bestLen = 0;
  for (const cand of candidates) {
    const cs = cand.split('/');
    let k = 0;
    while (k < cs.length && k < segs.length && cs[cs.length - 1 - k] === segs[segs.length - 1 - k]) k++;
    if (k > bestLen) {
      bestLen = k;
      best = cand;
    }
  }
  return best === undefined ? undefined : index.byFile.get(best);
}

/** The trace's entries for `#include "spec"` / `#include <spec>`: files whose path ends with the spec. */
export function lookupInclude(index: PhaseIndex, spec: string): FileStats[] {
  const want = normalizePath(spec).replace(/^\//, '');
  if (!want) return [];
  const candidates = index.byBasename.get(basename(want)) ?? [];
  return candidates.filter((c) => c === want || c.endsWith(`/${want}`)).map((c) => index.byFile.get(c)!);
}
