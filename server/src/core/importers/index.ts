// The importer registry: sniff a file's format, import it, and merge several files of one run into
// one profile on one clock.

import * as path from 'node:path';
import type { Contribution, MemorySeries, Profile, RunFacts, SeriesKind } from '../model';
import { emptyProfile, mergeContribution } from '../model';
import { epochMs, ms, type EpochMs, type Ms } from '../units';
import { DEFAULT_ARENA_RULES } from '../analysis/arena-rules';
import type { ImportOptions, ImportResult, Importer } from './importer';
import { ImportError } from './import-error';
import { dropImplausible } from './drop-implausible';
import { inflate } from './decompress';
import { decodeUtf8, isGzip, isZstd, readFileBytes, refuseUtf16 } from './read-file';
import { chromeTraceImporter } from './trace-event/chrome-trace-importer';
import { dhatImporter } from './dhat';
import { gccTimeReportImporter } from './gcc-time-report';
import { heaptrackImporter } from './heaptrack';
import { massifImporter } from './massif';
import { esbuildTimingImporter } from './esbuild-timing';
import { ninjaLogImporter } from './ninja-log';
import { rolldownLogImporter } from './rolldown-log';
import { rollupPerfImporter } from './rollup-perf';
import { voydPerfImporter } from './voyd-perf';
import { goGctraceImporter } from './go-gctrace';
import { jvmGcLogImporter } from './jvm-gc-log';
import { rustcTimePassesImporter } from './rustc-time-passes/rustc-time-passes-importer';
import { tscDiagnosticsImporter } from './tsc-diagnostics';

export { ImportError } from './import-error';
export { readFileText } from './read-file';
export type { Importer, ImportResult } from './importer';

const HEAD_BYTES = 64 * 1024;
const ZSTD_HEAD_BYTES = 1024 * 1024;

// Sniffed in this order: the JSON formats with distinctive keys (DHAT) before generic ones.
export const importers: Importer[] = [
  dhatImporter,
  chromeTraceImporter,
  massifImporter,
  heaptrackImporter,
  gccTimeReportImporter,
  rollupPerfImporter,
  rolldownLogImporter,
  voydPerfImporter,
  esbuildTimingImporter,
  ninjaLogImporter,
  rustcTimePassesImporter,
  tscDiagnosticsImporter,
  // GC logs last: a compiler's stderr that also holds GC lines is read as the compiler's report.
  goGctraceImporter,
  jvmGcLogImporter,
];

/**
 * The start of a file as text: as much as the first 64 KiB of it inflate to when gzip or zstd (a zstd
 * block can hold 128 KiB, so 1 MiB of a zstd file is read), without a BOM. UTF-16 is refused here.
 */
export async function readHead(file: string): Promise<{ head: string; bytes: Buffer }> {
  let bytes = await readFileBytes(file, HEAD_BYTES);
  if (isZstd(bytes)) bytes = await readFileBytes(file, ZSTD_HEAD_BYTES);
  const content =
    isGzip(bytes) || isZstd(bytes) ? (await inflate(bytes, { limit: HEAD_BYTES, head: true })).data : bytes;
  refuseUtf16(content, file);
  return { head: decodeUtf8(content.subarray(0, HEAD_BYTES)), bytes };
}

export function importerFor(format: string): Importer {
  const imp = importers.find((i) => i.format === format);
  if (!imp)
    throw new ImportError(
      'not-this-format',
      `unknown format "${format}" (known: ${importers.map((i) => i.format).join(', ')})`,
      format,
    );
  return imp;
}

/** The importer whose sniffer accepts the file, or an ImportError naming what was tried. */
export async function detectImporter(file: string): Promise<Importer> {
  const { head, bytes } = await readHead(file);
  const name = path.basename(file);
  for (const imp of importers) if (imp.sniff(head, name, bytes)) return imp;
  throw new ImportError(
    'not-this-format',
    `not a format this tool reads (tried ${importers.map((i) => i.format).join(', ')}); pass --format NAME to force one`,
    file,
  );
}

/**
 * Imports one file. Heap-profiler data gets arena lanes inferred with the default rules for
 * well-known arena allocators unless `arenaRules` says otherwise (an empty list turns it off).
 * Implausible values, negative spans and bad parent indices are dropped with counted warnings
 * (drop-implausible.ts).
 */
export async function importFile(file: string, opts: ImportOptions & { format?: string } = {}): Promise<ImportResult> {
  const imp = opts.format ? importerFor(opts.format) : await detectImporter(file);
  const imported = await imp.importFile(file, { ...opts, arenaRules: opts.arenaRules ?? DEFAULT_ARENA_RULES });
  // Every format's result goes through the same checks: no importer passes on an absurd value.
  const result = dropImplausible(imported, file);
  return { ...result, sources: result.sources?.length ? result.sources : [imp.format] };
}

/** Moves every time of a contribution by `offsetMs`. */
export function shiftContribution(c: Contribution, offsetMs: Ms): Contribution {
  if (offsetMs === 0) return c;
  const shift = (t: Ms): Ms => ms(t + offsetMs);
  return {
    ...c,
    phases: c.phases?.map((p) => ({ ...p, startMs: shift(p.startMs), endMs: shift(p.endMs) })),
    series: c.series?.map((s) => ({ ...s, tMs: s.tMs.map((t) => t + offsetMs) })),
    markers: c.markers?.map((m) => ({ ...m, tMs: shift(m.tMs) })),
    arenas: c.arenas?.map((a) => ({
      ...a,
      startMs: shift(a.startMs),
      endMs: a.endMs === null ? null : shift(a.endMs),
      tMs: a.tMs.map((t) => t + offsetMs),
      uses: a.uses.map((u) => ({ ...u, tMs: shift(u.tMs) })),
    })),
    processes: c.processes?.map((p) => ({
      ...p,
      ...(p.startMs !== undefined ? { startMs: shift(p.startMs) } : {}),
      ...(p.endMs !== undefined && p.endMs !== null ? { endMs: shift(p.endMs) } : {}),
    })),
  };
}

/**
 * Memory the compilers reported at phase boundaries (rustc's RSS, tsc's heap), as series: an
 * imported report has no sampler, and these points are then the only memory curve there is.
 */
export function reportedSeries(p: Profile): MemorySeries[] {
  const groups = new Map<string, { pid?: number; kind: SeriesKind; points: [number, number][] }>();
  for (const ph of p.phases) {
    if (ph.memStartBytes === undefined && ph.memEndBytes === undefined) continue;
    const kind: SeriesKind =
      ph.memKind === 'js-heap' || ph.memKind === 'allocator-heap' ? ph.memKind : 'compiler-reported';
    const key = `${kind}:${ph.pid ?? ''}`;
    const g = groups.get(key) ?? { ...(ph.pid !== undefined ? { pid: ph.pid } : {}), kind, points: [] };
    if (ph.memStartBytes !== undefined) g.points.push([ph.startMs, ph.memStartBytes]);
    if (ph.memEndBytes !== undefined) g.points.push([ph.endMs, ph.memEndBytes]);
    groups.set(key, g);
  }
  const out: MemorySeries[] = [];
  for (const [key, g] of groups) {
    if (p.series.some((s) => s.id === `reported:${key}`)) continue;
    g.points.sort((a, b) => a[0] - b[0]);
    const what = g.kind === 'js-heap' ? 'V8 heap' : g.kind === 'allocator-heap' ? 'heap' : 'memory';
    out.push({
      id: `reported:${key}`,
      name: `${what} reported by the compiler at phase boundaries${g.pid !== undefined ? ` (pid ${g.pid})` : ''}`,
      kind: g.kind,
      source: 'compiler report',
      ...(g.pid !== undefined ? { pid: g.pid } : {}),
      unit: 'bytes',
      tMs: Float64Array.from(g.points, (x) => x[0]),
      bytes: Float64Array.from(g.points, (x) => x[1]),
    });
  }
  return out;
}

/**
 * Imports files of one run into one profile. Files whose format carries an absolute clock are
 * placed on it (time 0 = the earliest of them); the others start at time 0.
 */
export async function importFiles(files: string[], opts: ImportOptions & { format?: string } = {}): Promise<Profile> {
  const results: { file: string; r: ImportResult }[] = [];
  for (const file of files) results.push({ file, r: await importFile(file, opts) });
  const origins = results.map((x) => x.r.originEpochMs).filter((o): o is EpochMs => o !== undefined);
  const origin = epochMs(origins.length ? Math.min(...origins) : 0);
  const run: RunFacts = {
    command: [],
    cwd: process.cwd(),
    startedAt: origins.length ? new Date(origin).toISOString() : '',
    startEpochMs: origin,
    wallMs: ms(0),
    exitCode: null,
    signal: null,
    status: 'ok',
    tools: {},
    sources: [],
    importedFrom: files.map((f) => path.resolve(f)),
  };
  const profile = emptyProfile(run);
  for (const { r } of results) {
    const { originEpochMs, run: facts, ...contribution } = r;
    mergeContribution(
      profile,
      shiftContribution(contribution, ms(originEpochMs !== undefined ? originEpochMs - origin : 0)),
    );
    if (facts)
      Object.assign(profile.run, {
        ...facts,
        tools: { ...profile.run.tools, ...facts.tools },
        sources: profile.run.sources,
        importedFrom: run.importedFrom,
      });
  }
  profile.series.push(...reportedSeries(profile));
  let end = 0;
  for (const p of profile.phases) end = Math.max(end, p.endMs);
  for (const s of profile.series) if (s.tMs.length) end = Math.max(end, s.tMs[s.tMs.length - 1]!);
  for (const m of profile.markers) end = Math.max(end, m.tMs + (m.durMs ?? 0));
  for (const a of profile.arenas)
    end = Math.max(end, a.endMs ?? a.startMs, a.tMs.length ? a.tMs[a.tMs.length - 1]! : a.startMs);
  if (!profile.run.wallMs) profile.run.wallMs = ms(end);
  return profile;
}
