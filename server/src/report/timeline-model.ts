// Builds the timeline model (protocol/timeline.ts) from a profile and its analysis: what the view
// draws. The host side of the timeline: used by `cmi report --html` and, later, the VS Code panel.
// Pure: takes values, returns values.

import type {
  TimelineArena,
  TimelineArenaGroup,
  TimelineJobs,
  TimelineLaneGroup,
  TimelineModel,
  TimelinePeak,
  TimelinePhase,
  TimelineSeriesGroup,
} from '../../../protocol/timeline';
import type { Analysis, JobsView, Peak } from '../core/analysis/analyze';
import { peakMeasure, phaseDepths, placedByGuess } from '../core/analysis/analyze';
import { PROCESS_KINDS, seriesGroups } from '../core/analysis/process-kind';
import { recordedProcessName } from '../core/analysis/recorded-process-name';
import { findingsLine, jobsHeadline } from '../core/analysis/summary';
import { arenaGroupKey, arenaGroupName } from '../core/compare/repeat';
import type { Ms, Phase, Profile } from '../core/model';
import { ms, msToUs, us, usToMs } from '../core/units';

export function buildTimelineModel(p: Profile, a: Analysis): TimelineModel {
  // The window: from the first to the last thing that happens.
  let startMs = Infinity;
  let endMs = -Infinity;
  const see = (t: number | null | undefined) => {
    if (t === null || t === undefined || !Number.isFinite(t)) return;
    if (t < startMs) startMs = t;
    if (t > endMs) endMs = t;
  };
  for (const s of p.series) if (s.tMs.length) see(s.tMs[0]), see(s.tMs[s.tMs.length - 1]);
  for (const ph of p.phases) see(ph.startMs), see(ph.endMs);
  for (const m of p.markers) see(m.tMs), see(m.tMs + (m.durMs ?? 0));
  for (const ar of p.arenas) see(ar.startMs), see(ar.endMs);
  see(0);
  see(p.run.wallMs);
  if (!(endMs > startMs)) endMs = startMs + 1;

  // One lane group per process when the phases come from several; depth within the group. Phases of no
  // process that say which parallel slot they ran in (Ninja's jobs) get a lane group per slot, so that
  // jobs that overlapped are drawn apart.
  const laneKey = (ph: Phase): number | string | undefined =>
    ph.pid ?? (typeof ph.args?.slot === 'number' ? `slot ${ph.args.slot}` : undefined);
  const pids = [...new Set(p.phases.map(laneKey))];
  const groups: TimelineLaneGroup[] = [];
  const groupOf = new Map<number | string | undefined, number>();
  const labelOf = (key: number | string | undefined, none: string) =>
    typeof key === 'number' ? laneGroupLabel(p, key) : (key ?? none);
  if (pids.length <= 1) {
    groups.push({
      label: labelOf(pids[0], 'phases'),
      ...(typeof pids[0] === 'number' ? { pid: pids[0] } : {}),
      depth: 0,
    });
    groupOf.set(pids[0], 0);
  } else {
    const first = new Map<number | string | undefined, number>();
    for (const ph of p.phases) {
      const k = laneKey(ph);
      first.set(k, Math.min(first.get(k) ?? Infinity, ph.startMs));
    }
    const slotOrder = (k: number | string | undefined) => (typeof k === 'string' ? Number(k.slice(5)) : 0);
    const order = [...pids].sort((x, y) =>
      typeof x === 'string' && typeof y === 'string' ? slotOrder(x) - slotOrder(y) : first.get(x)! - first.get(y)!,
    );
    for (const pid of order) {
      groupOf.set(pid, groups.length);
      groups.push({
        label: labelOf(pid, 'other phases'),
        ...(typeof pid === 'number' ? { pid } : {}),
        depth: 0,
      });
    }
  }
  const depths = phaseDepths(p.phases);
  const rowIndex = new Map<string, number>();
  a.phases.forEach((r, i) => rowIndex.set(r.path.join('\u0000'), i));
  const paths: string[] = new Array(p.phases.length);
  const phases: TimelinePhase[] = p.phases.map((ph, i) => {
    const key = ph.parent !== null && ph.parent < i ? `${paths[ph.parent]}\u0000${ph.name}` : ph.name;
    paths[i] = key;
    const group = groupOf.get(laneKey(ph)) ?? 0;
    groups[group]!.depth = Math.max(groups[group]!.depth, depths[i]! + 1);
    return {
      name: ph.name,
      group,
      depth: depths[i]!,
      startMs: roundToUs(ph.startMs),
      endMs: roundToUs(ms(Math.max(ph.startMs, ph.endMs))),
      ...(ph.category !== undefined ? { category: ph.category } : {}),
      row: rowIndex.get(key) ?? -1,
      ...(ph.source ? { source: { ...ph.source } } : {}),
      ...(placedByGuess(ph) ? { guessedBy: guessSource(ph) } : {}),
    };
  });
  phases.sort((x, y) => x.group - y.group || x.depth - y.depth || x.startMs - y.startMs);

  // Arenas packed into lanes that do not overlap, in order of creation.
  const rowsById = new Map(a.arenas.map((r) => [`${r.pid ?? ''}\u0000${r.id}`, r]));
  const laneEnds: number[] = [];
  const arenas: TimelineArena[] = [...p.arenas]
    .sort((x, y) => x.startMs - y.startMs)
    .map((ar) => {
      const r = rowsById.get(`${ar.pid ?? ''}\u0000${ar.id}`);
      const stop = ar.endMs ?? Infinity;
      let lane = laneEnds.findIndex((e) => e <= ar.startMs);
      if (lane < 0) lane = laneEnds.push(stop) - 1;
      else laneEnds[lane] = stop;
      let peakBytes = 0;
      for (let i = 0; i < ar.bytes.length; i++) if (ar.bytes[i]! > peakBytes) peakBytes = ar.bytes[i]!;
      return {
        id: ar.id,
        name: ar.name,
        category: ar.category,
        ...(ar.pid !== undefined ? { pid: ar.pid } : {}),
        startMs: roundToUs(ar.startMs),
        endMs: ar.endMs === null ? null : roundToUs(ar.endMs),
        peakBytes: r?.peakBytes ?? peakBytes,
        bytesAtPeak: r?.bytesAtPeak ?? 0,
        lastUseMs: r?.lastUseMs == null ? null : roundToUs(r.lastUseMs),
        lastUsePhase: r?.lastUsePhase ?? null,
        heldPastLastUse: r?.heldPastLastUse ?? false,
        potentialSavingBytes: r?.potentialSavingBytes ?? 0,
        lane,
      };
    });

  return {
    run: {
      title: p.run.importedFrom?.length ? `imported: ${p.run.importedFrom.join(', ')}` : p.run.command.join(' '),
      status: p.run.status,
      ...(p.run.statusReason ? { statusReason: p.run.statusReason } : {}),
      startedAt: p.run.startedAt,
      wallMs: p.run.wallMs,
      sources: [...p.run.sources],
      startMs,
      endMs,
      warnings: p.warnings.map((w) => `${w.code}: ${w.message}`),
    },
    peak: timelinePeak(a.peak),
    retainedPeak: timelinePeak(a.retainedPeak),
    series: p.series.map((s, i) => ({
      id: s.id,
      name: s.name,
      kind: s.kind,
      source: s.source,
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
      samples: s.tMs.length,
      maxBytes: a.series[i]?.maxBytes ?? null,
      maxAtMs: a.series[i]?.maxAtMs ?? null,
    })),
    seriesGroups: timelineSeriesGroups(p, a),
    groups,
    phases,
    markers: p.markers.map((m) => ({
      name: m.name,
      kind: m.kind,
      tMs: m.tMs,
      ...(m.durMs !== undefined ? { durMs: m.durMs } : {}),
      ...(m.pid !== undefined ? { pid: m.pid } : {}),
    })),
    arenas,
    arenaLanes: laneEnds.length,
    arenaGroups: timelineArenaGroups(arenas),
    findings: findingsLine(a),
    phaseRows: a.phases.map((r) => ({
      name: r.name,
      parentRow: r.path.length > 1 ? (rowIndex.get(r.path.slice(0, -1).join('\u0000')) ?? null) : null,
      count: r.count,
      ...(r.pid !== undefined ? { pid: r.pid } : {}),
      startMs: roundToUs(r.startMs),
      durationMs: roundToUs(r.durationMs),
      selfMs: roundToUs(r.selfMs),
      memStartBytes: r.memStartBytes,
      memEndBytes: r.memEndBytes,
      memPeakBytes: r.memPeakBytes,
      shareOfPeak: r.shareOfPeak,
      holdsPeak: r.holdsPeak,
      ...(r.placedByGuess ? { placedByGuess: true as const } : {}),
      ...(r.durations
        ? {
            durations: r.durations.map((d) => ({
              name: d.name,
              depth: d.depth,
              ms: roundToUs(d.ms),
              shareOfPhase: d.shareOfPhase,
              count: d.count,
              bytes: d.bytes,
              bytesMeaning: d.bytesMeaning,
            })),
          }
        : {}),
    })),
    ...(a.jobs ? { jobs: timelineJobs(a.jobs) } : {}),
  };
}

/**
 * The arenas by group (compare's groups: category and name with numbers folded), each group's arenas
 * held first (largest saving first), then by peak; groups with held arenas first (largest saving
 * first), then by bytes at the peak, then by peak.
 */
function timelineArenaGroups(arenas: readonly TimelineArena[]): TimelineArenaGroup[] {
  const byKey = new Map<string, TimelineArenaGroup>();
  arenas.forEach((ar, i) => {
    const key = arenaGroupKey(ar.category, ar.name);
    let g = byKey.get(key);
    if (!g) {
      const name = arenaGroupName(ar.name);
      g = {
        label: name === ar.category ? name : `${name} [${ar.category}]`,
        category: ar.category,
        arenas: [],
        held: 0,
        savingBytes: 0,
        bytesAtPeak: 0,
        peakBytes: 0,
      };
      byKey.set(key, g);
    }
    g.arenas.push(i);
    if (ar.heldPastLastUse) g.held++;
    g.savingBytes += ar.potentialSavingBytes;
    g.bytesAtPeak += ar.bytesAtPeak;
    g.peakBytes = Math.max(g.peakBytes, ar.peakBytes);
  });
  const groups = [...byKey.values()];
  for (const g of groups)
    g.arenas.sort((x, y) => {
      const a = arenas[x]!;
      const b = arenas[y]!;
      return (
        Number(b.heldPastLastUse) - Number(a.heldPastLastUse) ||
        b.potentialSavingBytes - a.potentialSavingBytes ||
        b.peakBytes - a.peakBytes ||
        a.startMs - b.startMs
      );
    });
  return groups.sort(
    (x, y) =>
      Number(y.held > 0) - Number(x.held > 0) ||
      y.savingBytes - x.savingBytes ||
      y.bytesAtPeak - x.bytesAtPeak ||
      y.peakBytes - x.peakBytes,
  );
}

function timelineJobs(v: JobsView): TimelineJobs {
  return {
    headline: jobsHeadline(v),
    jobs: v.jobs.map((r) => ({
      name: r.name,
      pid: r.pid,
      process: r.process,
      kind: r.kind,
      startMs: roundToUs(r.startMs),
      endMs: roundToUs(r.endMs),
      peakRssBytes: r.peakRssBytes,
      liveHeapPeakBytes: r.liveHeapPeakBytes,
      runningAtPeak: r.runningAtPeak,
      rssAtPeakBytes: r.rssAtPeakBytes,
    })),
    peakAtMs: v.peak?.atMs ?? null,
    peakBytes: v.peak?.bytes ?? null,
    atPeak: [...v.atPeak.jobs],
    heldAtPeakBytes: v.atPeak.heldBytes,
    maxConcurrent: v.maxConcurrent,
    largestTogetherBytes: v.largestTogetherBytes,
  };
}

/**
 * A time rounded to the microsecond: what the view can tell apart, and a third of the text of a full
 * double in the model's JSON (which, for 50,000 phases, is parsed before the first render).
 */
function timelinePeak(peak: Peak | null): TimelinePeak | null {
  if (!peak) return null;
  return {
    bytes: peak.bytes,
    atMs: peak.atMs,
    series: peak.series,
    seriesName: peak.seriesName,
    phasePath: [...peak.phasePath],
    ...(peak.pid !== undefined ? { pid: peak.pid } : {}),
    measure: peakMeasure(peak.seriesKind),
    ...(peak.afterPhasePath ? { afterPhasePath: [...peak.afterPhasePath] } : {}),
    ...(peak.untimedInside ? { untimedInside: peak.untimedInside } : {}),
  };
}

/** The tools whose reports give durations only, by the category their importer gives the phases. */
const GUESS_SOURCES: [prefix: string, tool: string][] = [
  ['gcc', 'gcc -ftime-report'],
  ['rollup', 'rollup --perf'],
  ['esbuild', 'esbuild --timing'],
  ['tsc', 'tsc --diagnostics'],
  ['voyd', "Voyd's perf summary"],
  ['rustc', 'rustc -Z time-passes'],
];

/** Which tool gave a phase placed by guess its duration, for "placed by guess: <tool> gives durations only". */
function guessSource(ph: Phase): string {
  const category = ph.category ?? '';
  return GUESS_SOURCES.find(([prefix]) => category.startsWith(prefix))?.[1] ?? (category || 'its source');
}

function roundToUs(tMs: Ms): Ms {
  return usToMs(us(Math.round(msToUs(tMs))));
}

/** A lane group's label: the process's recorded name and its pid (`rustc regex (pid 12)`), or the pid alone. */
function laneGroupLabel(p: Profile, pid: number): string {
  const name = recordedProcessName(p.processes, pid);
  return name ? `${name} (pid ${pid})` : `pid ${pid}`;
}

/** The legend's rows: the analysis's groups with the kinds' names. */
function timelineSeriesGroups(p: Profile, a: Analysis): TimelineSeriesGroup[] {
  const titles = new Map<string, string>(PROCESS_KINDS.map((k) => [k.kind, k.title]));
  return seriesGroups(
    p,
    a.series.map((s) => s.maxBytes),
  ).map((g) => ({
    kind: g.kind,
    kindTitle: titles.get(g.kind) ?? 'whole build',
    label: g.label,
    ...(g.pid !== undefined ? { pid: g.pid } : {}),
    peakBytes: g.peakBytes,
    rank: g.rank,
    series: g.series,
    ...(g.beforeExec.length ? { beforeExec: g.beforeExec } : {}),
  }));
}
