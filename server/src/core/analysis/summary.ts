// The summary of an analysis, as text for a terminal and as the documented JSON of `cmi summary --json`.

import { formatBytes, formatMs, formatPercent } from '../units';
import type { RunFacts } from '../model';
import type { Analysis, JobsView, Peak, PhaseRow } from './analyze';
import { peakMeasure } from './analyze';
import { terminalText } from '../../../../common/untrusted-text';

export const SUMMARY_FORMAT = 'compiler-memory-insight/summary';
// 2: `peak` is of the live heap where one was measured (`peak.measure`), `retainedPeak` beside it.
export const SUMMARY_VERSION = 2;

/** The JSON of `cmi summary --json` (documented in the README): bytes and milliseconds everywhere. */
export function summaryJson(a: Analysis): Record<string, unknown> {
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    status: a.status,
    statusReason: a.statusReason ?? null,
    exitCode: a.exitCode,
    signal: a.signal,
    command: a.command,
    importedFrom: a.importedFrom ?? null,
    wallMs: a.wallMs,
    peak: peakJson(a.peak),
    retainedPeak: peakJson(a.retainedPeak),
    liveHeapPartial: a.liveHeapPartial,
    phases: a.phases.map((r) => ({
      name: r.name,
      path: r.path,
      count: r.count,
      pid: r.pid ?? null,
      startMs: r.startMs,
      durationMs: r.durationMs,
      selfMs: r.selfMs,
      memStartBytes: r.memStartBytes,
      memEndBytes: r.memEndBytes,
      memDeltaBytes: r.memDeltaBytes,
      memPeakBytes: r.memPeakBytes,
      reportedStartBytes: r.reportedStartBytes,
      reportedEndBytes: r.reportedEndBytes,
      reportedDeltaBytes: r.reportedDeltaBytes,
      reportedKind: r.reportedKind,
      shareOfPeak: r.shareOfPeak,
      memSeries: r.memSeries,
      holdsPeak: r.holdsPeak,
      arenasCreated: r.arenasCreated,
      arenasFreed: r.arenasFreed,
      placedByGuess: r.placedByGuess,
      durations:
        r.durations?.map((d) => ({
          name: d.name,
          path: d.path,
          ms: d.ms,
          shareOfPhase: d.shareOfPhase,
          count: d.count,
          bytes: d.bytes,
          bytesMeaning: d.bytesMeaning,
        })) ?? null,
    })),
    series: a.series.map((s) => ({
      id: s.id,
      name: s.name,
      kind: s.kind,
      pid: s.pid ?? null,
      processKind: s.processKind ?? null,
      samples: s.samples,
      maxBytes: s.maxBytes,
      maxAtMs: s.maxAtMs,
    })),
    arenas: a.arenas.map((r) => ({
      id: r.id,
      name: r.name,
      category: r.category,
      pid: r.pid ?? null,
      startMs: r.startMs,
      endMs: r.endMs,
      peakBytes: r.peakBytes,
      bytesAtPeak: r.bytesAtPeak,
      shareOfPeak: r.shareOfPeak,
      uses: r.uses,
      lastUseMs: r.lastUseMs,
      lastUsePhase: r.lastUsePhase,
      heldPastLastUse: r.heldPastLastUse,
      potentialSavingBytes: r.potentialSavingBytes,
      createdInPhase: r.createdInPhase,
      freedInPhase: r.freedInPhase,
    })),
    arenasAtPeak: a.arenasAtPeak,
    peakSites: a.peakSites.map((x) => ({
      bytes: x.bytes,
      function: x.fn,
      location: x.location ?? null,
      pid: x.pid ?? null,
    })),
    jobs: jobsJson(a.jobs),
    warnings: a.warnings,
  };
}

/** The parallel-build view (docs/parallel-builds.md); null for a build of fewer than two jobs. */
function jobsJson(v: JobsView | null): Record<string, unknown> | null {
  return (
    v && {
      count: v.jobs.length,
      maxConcurrent: v.maxConcurrent,
      largestTogetherBytes: v.largestTogetherBytes,
      peak: v.peak && { atMs: v.peak.atMs, bytes: v.peak.bytes, series: v.peak.series, seriesName: v.peak.seriesName },
      atPeak: {
        count: v.atPeak.jobs.length,
        pids: v.atPeak.jobs.map((i) => v.jobs[i]!.pid),
        heldBytes: v.atPeak.heldBytes,
        shareOfPeak: v.atPeak.shareOfPeak,
      },
      rows: v.jobs.map((r) => ({
        name: r.name,
        pid: r.pid,
        process: r.process,
        kind: r.kind,
        phasePath: r.phasePath,
        startMs: r.startMs,
        endMs: r.endMs,
        peakRssBytes: r.peakRssBytes,
        peakRssSource: r.peakRssSource,
        liveHeapPeakBytes: r.liveHeapPeakBytes,
        runningAtPeak: r.runningAtPeak,
        rssAtPeakBytes: r.rssAtPeakBytes,
        liveHeapAtPeakBytes: r.liveHeapAtPeakBytes,
      })),
    }
  );
}

/**
 * The parallel build in one sentence: "2 jobs overlapped at the peak holding 127.0 + 76.0 MiB (203.0 MiB
 * of 250.0 MiB); the largest single job peaks at 127.0 MiB (db_impl.cc)".
 */
export function jobsHeadline(v: JobsView): string {
  const running = v.atPeak.jobs.map((i) => v.jobs[i]!);
  const held = running.filter((r) => r.rssAtPeakBytes !== null);
  let first: string;
  if (!v.peak) first = 'no memory peak to set them against';
  else if (!running.length) first = `no job was running at the peak (${formatMs(v.peak.atMs)})`;
  else {
    const parts = held.map((r) => formatBytes(r.rssAtPeakBytes).replace(/ MiB$/, ''));
    const unit = held.every((r) => formatBytes(r.rssAtPeakBytes).endsWith(' MiB')) ? ' MiB' : '';
    const sum =
      held.length > 1 && unit
        ? `${parts.join(' + ')}${unit}`
        : held.map((r) => formatBytes(r.rssAtPeakBytes)).join(' + ');
    const of =
      v.atPeak.heldBytes !== null && held.length > 1
        ? ` (${formatBytes(v.atPeak.heldBytes)} of ${formatBytes(v.peak.bytes)})`
        : '';
    first = `${running.length} job${running.length === 1 ? ' was' : 's'} ${running.length === 1 ? 'running' : 'overlapped'} at the peak${held.length ? ` holding ${sum}${of}` : ''}`;
  }
  const top = v.jobs[0]!;
  const largest =
    top.peakRssBytes !== null ? `; the largest single job peaks at ${formatBytes(top.peakRssBytes)} (${top.name})` : '';
  return `${first}${largest}`;
}

/** The jobs of a parallel build: the headline, then the largest `top` as a table. */
function jobLines(v: JobsView, top: number): string[] {
  const out = [
    `Jobs of the parallel build (${v.jobs.length}; at most ${v.maxConcurrent} at once):`,
    `  ${jobsHeadline(v)}`,
  ];
  if (v.largestTogetherBytes !== null && v.maxConcurrent > 1)
    out.push(
      `  The ${v.maxConcurrent} largest together would peak at ${formatBytes(v.largestTogetherBytes)} (sum of their own peaks: what -j${v.maxConcurrent} needs at worst).`,
    );
  const width = 32;
  out.push(
    `  ${pad('job', width)} ${padLeft('pid', 8)} ${padLeft('peak RSS', 11)} ${padLeft('live heap', 11)} ${padLeft('at the peak', 13)}  span`,
  );
  for (const r of v.jobs.slice(0, top)) {
    const name = r.name.length > width ? `${r.name.slice(0, width - 1)}…` : r.name;
    out.push(
      `  ${pad(name, width)} ${padLeft(String(r.pid), 8)} ${padLeft(formatBytes(r.peakRssBytes), 11)} ${padLeft(r.liveHeapPeakBytes === null ? 'unknown' : formatBytes(r.liveHeapPeakBytes), 11)} ${padLeft(r.runningAtPeak ? formatBytes(r.rssAtPeakBytes) : '', 13)}${r.runningAtPeak ? ' ◀' : '  '} ${formatMs(r.startMs)} → ${formatMs(r.endMs)}`,
    );
  }
  if (v.jobs.length > top) out.push(`  … and ${v.jobs.length - top} more (see --json)`);
  return out;
}

function peakJson(peak: Peak | null): Record<string, unknown> | null {
  return (
    peak && {
      bytes: peak.bytes,
      atMs: peak.atMs,
      measure: peakMeasure(peak.seriesKind),
      series: peak.series,
      seriesName: peak.seriesName,
      seriesKind: peak.seriesKind,
      pid: peak.pid ?? null,
      phasePath: peak.phasePath,
      afterPhasePath: peak.afterPhasePath ?? null,
      untimedInside: peak.untimedInside ?? null,
    }
  );
}

/**
 * Where a peak is, in words: "in Program › Check", "in sqlite3.c (passes not timed)", "at exit, after
 * Emit", "(no phase covers it)".
 */
export function peakPlaceText(peak: Peak): string {
  if (peak.afterPhasePath) return `at exit, after ${peak.afterPhasePath.join(' › ')}`;
  if (!peak.phasePath.length) return '(no phase covers it)';
  return `in ${peak.phasePath.join(' › ')}${peak.untimedInside ? ` (${peak.untimedInside} not timed)` : ''}`;
}

function peakLine(label: string, peak: Peak): string {
  return `${label}: ${formatBytes(peak.bytes)} (${peak.seriesName}) at ${formatMs(peak.atMs)} ${peakPlaceText(peak)}${peak.pid !== undefined ? ` [pid ${peak.pid}]` : ''}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function padLeft(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

function statusLine(a: Analysis): string {
  const how =
    a.status === 'ok'
      ? 'ok'
      : `${a.status.toUpperCase()}${a.exitCode !== null ? ` (exit code ${a.exitCode})` : a.signal ? ` (${a.signal})` : ''}`;
  return `${how}${a.statusReason && a.status !== 'ok' ? ` — ${a.statusReason}` : ''}`;
}

/** Which allocator settings the build ran with (collect/allocator-settings.ts), in one line. */
function allocatorLine(run: RunFacts): string {
  const s = run.allocatorSettings;
  if (!s) return 'Allocators: their own defaults (freed memory may stay resident: RSS can hide frees)';
  return `Allocators: eager purge (RSS follows the live heap) · ${Object.keys(s.env).join(', ')}`;
}

function kindLabel(kind: PhaseRow['reportedKind']): string {
  switch (kind) {
    case 'js-heap':
      return 'V8 heap (reported)';
    case 'allocator-heap':
      return 'heap (reported)';
    default:
      return 'RSS (reported by the compiler)';
  }
}

function phaseLabel(r: PhaseRow, width: number): string {
  const label = r.path.join(' › ') + (r.count > 1 ? ` ×${r.count}` : '');
  return label.length > width ? `…${label.slice(label.length - width + 1)}` : label;
}

/** The findings line of the timeline: where the peak is, and what the arenas held past their last use cost it. */
export interface Findings {
  text: string;
  heldArenas: number;
  /** What freeing the held arenas right after their last use lowers the peak by; null without a peak. */
  savingBytes: number | null;
}

/**
 * The profile in one line, for the top of the timeline: "peak 140.0 MiB in codegen; 300 arenas held
 * past their last use in link, freeing them there saves 39.0 MiB". The saving is the drop of the
 * peak's series once every held arena is freed right after its last use (the peak may move: it is
 * less than what they hold at today's peak), else what they hold at the peak. Null when the profile has
 * neither a peak nor arenas.
 */
export function findingsLine(a: Analysis): Findings | null {
  const parts: string[] = [];
  if (a.peak) {
    const live = peakMeasure(a.peak.seriesKind) === 'live-heap';
    parts.push(`${live ? 'live-heap peak' : 'peak'} ${formatBytes(a.peak.bytes)} ${peakPlaceText(a.peak)}`);
  }
  const held = a.arenas.filter((r) => r.heldPastLastUse);
  let savingBytes: number | null = null;
  if (a.peak && a.arenas.length) {
    const drop = a.arenasAtPeak?.ifFreedAfterLastUse.find((f) => f.series === a.peak!.series);
    savingBytes = drop ? Math.max(0, drop.dropBytes) : held.reduce((s, r) => s + r.potentialSavingBytes, 0);
    if (!held.length) parts.push(`no arena of ${a.arenas.length} is held past its last use`);
    else {
      const phases = new Set(held.map((r) => r.lastUsePhase));
      const where = phases.size === 1 && held[0]!.lastUsePhase !== null ? ` in ${held[0]!.lastUsePhase}` : '';
      const one = held.length === 1;
      const heldBytes = held.reduce((s, r) => s + r.potentialSavingBytes, 0);
      const them = one ? 'it' : 'them';
      const what = drop
        ? `lowers the peak by ${formatBytes(savingBytes)}${heldBytes !== savingBytes ? ` (${one ? 'it holds' : 'they hold'} ${formatBytes(heldBytes)} at the peak)` : ''}`
        : `saves ${formatBytes(savingBytes)}`;
      parts.push(
        `${held.length} arena${one ? '' : 's'} held past ${one ? 'its' : 'their'} last use${where}, freeing ${them}${where ? ' there' : ' after it'} ${what}`,
      );
    }
  } else if (a.arenas.length) parts.push(`${a.arenas.length} arenas (no memory peak to set them against)`);
  if (!parts.length) return null;
  return { text: parts.join('; '), heldArenas: held.length, savingBytes };
}

/** The arenas: those live at the peak, then those held past their last use with what freeing them would save. */
function arenaLines(a: Analysis, top: number): string[] {
  const out: string[] = [];
  const live = a.arenasAtPeak;
  if (live) {
    const heap = live.heap
      ? `; ${formatPercent(live.heap.shareOfHeap)} of ${live.heap.seriesName} then, ${formatBytes(live.heap.bytes)}`
      : '';
    out.push(
      `Arenas live at the peak: ${live.count}, ${formatBytes(live.bytes)} (${formatPercent(live.shareOfPeak)} of the peak${heap}) · ${a.arenas.length} arenas in all`,
    );
  } else out.push(`Arenas: ${a.arenas.length} (no memory peak to set them against)`);
  const held = a.arenas.filter((r) => r.heldPastLastUse);
  if (held.length) {
    const total = held.reduce((s, r) => s + r.potentialSavingBytes, 0);
    out.push(
      '',
      `Arenas held past their last use (${held.length}; freeing each right after its last use would save up to ${formatBytes(total)} at the peak):`,
    );
    out.push(
      `  ${pad('arena', 36)} ${pad('category', 12)} ${padLeft('at peak', 11)} ${padLeft('saving', 11)} ${padLeft('of peak', 8)}  last use`,
    );
    for (const r of held.slice(0, top)) {
      const name = r.name.length > 36 ? `${r.name.slice(0, 35)}…` : r.name;
      out.push(
        `  ${pad(name, 36)} ${pad(r.category, 12)} ${padLeft(formatBytes(r.bytesAtPeak), 11)} ${padLeft(formatBytes(r.potentialSavingBytes), 11)} ${padLeft(formatPercent(r.shareOfPeak), 8)}  ${r.lastUsePhase ?? '(no phase)'} at ${formatMs(r.lastUseMs)}`,
      );
    }
    if (held.length > top) out.push(`  … and ${held.length - top} more (see --json)`);
    for (const f of live?.ifFreedAfterLastUse ?? []) {
      if (f.dropBytes <= 0) continue;
      out.push(
        `  Freed after their last use, the peak of ${f.seriesName} would be ${formatBytes(f.predictedPeakBytes)} instead of ${formatBytes(f.peakBytes)} (−${formatBytes(f.dropBytes)}, ${formatPercent(f.dropBytes / f.peakBytes)}).`,
      );
    }
  } else if (live) out.push('No arena is held past its last use at the peak.');
  return out;
}

/** A readable summary: the peak with its phase, the top phases by time and by memory; control characters from the trace shown, not acted on. */
export function summaryText(a: Analysis, opts: { top?: number; run?: RunFacts } = {}): string {
  const top = opts.top ?? 8;
  const out: string[] = [];
  if (a.command.length) out.push(`Build: ${a.command.join(' ')}`);
  if (a.importedFrom?.length) out.push(`Imported from: ${a.importedFrom.join(', ')}`);
  out.push(`Status: ${statusLine(a)} · wall ${formatMs(a.wallMs)}`);
  if (opts.run && !opts.run.importedFrom) out.push(allocatorLine(opts.run));
  if (a.peak) {
    const live = peakMeasure(a.peak.seriesKind) === 'live-heap';
    out.push(peakLine(live ? 'Peak of the live heap' : 'Peak', a.peak));
    if (a.retainedPeak) {
      // RSS where it is RSS (sampled, or a compiler's own RSS); else what the tool says it holds (a JVM's committed heap).
      const r = a.retainedPeak;
      const rss = r.seriesKind.startsWith('rss') || /\bRSS\b/.test(r.seriesName);
      out.push(peakLine(rss ? 'Peak of RSS' : 'Peak of retained memory', r));
    }
    if (a.liveHeapPartial) out.push(`  (${a.liveHeapPartial})`);
  } else out.push('Peak: no memory was recorded');

  const width = 52;
  const header = `  ${pad('phase', width)} ${padLeft('time', 10)} ${padLeft('self', 10)} ${padLeft('start→end', 23)} ${padLeft('peak in it', 11)} ${padLeft('of peak', 8)}`;
  const line = (r: PhaseRow) =>
    `  ${pad(phaseLabel(r, width), width)} ${padLeft(formatMs(r.durationMs), 10)} ${padLeft(formatMs(r.selfMs), 10)} ${padLeft(`${formatBytes(r.memStartBytes)}→${formatBytes(r.memEndBytes)}`, 23)} ${padLeft(formatBytes(r.memPeakBytes), 11)} ${padLeft(formatPercent(r.shareOfPeak), 8)}${r.holdsPeak ? '  ◀ peak' : ''}`;

  if (a.phases.length) {
    out.push('', `Top phases by self time (of ${a.phases.length}):`, header);
    for (const r of [...a.phases].sort((x, y) => y.selfMs - x.selfMs).slice(0, top)) out.push(line(r));
    // Growth of the phase's own spans: the compiler's figure where it gives one (e.g. tsc's heap), else sampled RSS.
    const growth = (r: PhaseRow) => r.reportedDeltaBytes ?? r.memDeltaBytes ?? -Infinity;
    const growing = a.phases
      .filter((r) => growth(r) > 0)
      .sort((x, y) => growth(y) - growth(x))
      .slice(0, top);
    if (growing.length) {
      out.push('', 'Top phases by memory growth (sum over their spans of end − start):');
      for (const r of growing) {
        const what = r.reportedDeltaBytes !== null ? kindLabel(r.reportedKind) : 'RSS';
        out.push(
          `  ${pad(phaseLabel(r, width), width)} ${padLeft(`+${formatBytes(growth(r))}`, 12)} ${what}${r.holdsPeak ? '  ◀ peak' : ''}`,
        );
      }
    }
  } else
    out.push(
      '',
      'No phases were recorded (the compiler is not one this tool instruments yet; memory is still sampled).',
    );

  if (a.jobs) out.push('', ...jobLines(a.jobs, opts.top ?? 10));

  if (a.series.length) {
    out.push('', 'Memory series:');
    for (const s of a.series.slice(0, 12))
      out.push(`  ${pad(s.name, 60)} ${padLeft(formatBytes(s.maxBytes), 11)} max · ${s.samples} samples`);
    if (a.series.length > 12) out.push(`  … and ${a.series.length - 12} more`);
  }
  if (a.peakSites.length) {
    out.push('', 'Live at the peak, by allocation site (as the heap profiler saw it at its peak):');
    for (const x of a.peakSites.slice(0, top))
      out.push(`  ${padLeft(formatBytes(x.bytes), 11)}  ${x.fn}${x.location ? `  ${x.location}` : ''}`);
    if (a.peakSites.length > top) out.push(`  … and ${a.peakSites.length - top} more (see --json)`);
  }
  if (a.arenas.length) out.push('', ...arenaLines(a, top));
  if (a.warnings.length) {
    out.push('', `Warnings (${a.warnings.length}):`);
    for (const w of a.warnings.slice(0, 10))
      out.push(`  [${w.code}] ${w.message}${w.file ? ` (${w.file}${w.line !== undefined ? `:${w.line}` : ''})` : ''}`);
    if (a.warnings.length > 10) out.push(`  … and ${a.warnings.length - 10} more (see --json)`);
  }
  return terminalText(out.join('\n'));
}
