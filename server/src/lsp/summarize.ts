// Analysis → the protocol's BuildSummary: the small digest the client shows. Pure; the figures for
// people are formatted here with the engine's units, so the client never formats bytes itself.

import type { Comparison } from '../../../protocol/compare';
import type {
  BaselineDigest,
  BuildSummary,
  PeakSummary,
  PhaseSummary,
  RepeatDigest,
} from '../../../protocol/custom-messages';
import type { Analysis, Peak, PhaseRow } from '../core/analysis/analyze';
import { peakMeasure } from '../core/analysis/analyze';
import { peakPlaceText, summaryText } from '../core/analysis/summary';
import type { Bytes, RepeatStats } from '../core/model';
import { formatBytes, formatMs, formatPercent } from '../core/units';

export const TOP_PHASES = 10;

function phaseSummary(r: PhaseRow): PhaseSummary {
  return {
    path: r.path,
    count: r.count,
    durationMs: r.durationMs,
    selfMs: r.selfMs,
    durationText: formatMs(r.durationMs),
    selfText: formatMs(r.selfMs),
    memPeakBytes: r.memPeakBytes,
    memPeakText: r.memPeakBytes === null ? null : formatBytes(r.memPeakBytes),
    shareOfPeak: r.shareOfPeak,
    holdsPeak: r.holdsPeak,
  };
}

/** Phases by self time, longest first. */
export function topPhasesByTime(rows: readonly PhaseRow[], n = TOP_PHASES): PhaseRow[] {
  return [...rows].sort((a, b) => b.selfMs - a.selfMs || b.durationMs - a.durationMs).slice(0, n);
}

/** Phases by the memory peak inside them, highest first; on a tie the deeper (more specific) phase first. */
export function topPhasesByMemory(rows: readonly PhaseRow[], n = TOP_PHASES): PhaseRow[] {
  return rows
    .filter((r) => r.memPeakBytes !== null)
    .sort((a, b) => b.memPeakBytes! - a.memPeakBytes! || b.path.length - a.path.length)
    .slice(0, n);
}

function peakSummary(peak: Peak): PeakSummary {
  return {
    bytes: peak.bytes,
    bytesText: formatBytes(peak.bytes),
    atMs: peak.atMs,
    atText: formatMs(peak.atMs),
    seriesName: peak.seriesName,
    phasePath: peak.phasePath,
    measure: peakMeasure(peak.seriesKind),
    afterPhasePath: peak.afterPhasePath ?? null,
    placeText: peakPlaceText(peak),
  };
}

export function summarize(a: Analysis): BuildSummary {
  return {
    status: a.status,
    statusReason: a.statusReason ?? null,
    exitCode: a.exitCode,
    signal: a.signal,
    command: a.command,
    wallMs: a.wallMs,
    wallText: formatMs(a.wallMs),
    peak: a.peak && peakSummary(a.peak),
    retainedPeak: a.retainedPeak && peakSummary(a.retainedPeak),
    topPhasesByTime: topPhasesByTime(a.phases).map(phaseSummary),
    topPhasesByMemory: topPhasesByMemory(a.phases).map(phaseSummary),
    phaseCount: a.phases.length,
    warningsCount: a.warnings.length,
    firstWarnings: a.warnings.slice(0, 5).map((w) => w.message),
    report: summaryText(a),
    importedFrom: a.importedFrom ?? null,
  };
}

/** Repeated runs in short: the wall time and the primary peak as median (minimum–maximum). */
export function repeatDigest(rep: RepeatStats): RepeatDigest {
  const peaks = rep.perRun
    .map((r) => r.peakBytes)
    .filter((b): b is Bytes => b !== null)
    .sort((a, b) => a - b);
  // The median run's peak, as the representative run is chosen (the lower middle one for an even count).
  const peakMedian = peaks.length ? peaks[(peaks.length - 1) >> 1]! : null;
  const range = (fmt: (v: number) => string, median: number, min: number, max: number) =>
    `${fmt(median)} (${fmt(min)}–${fmt(max)})`;
  return {
    runs: rep.runs,
    statuses: rep.perRun.map((r) => r.status),
    representative: rep.representative,
    wallMedianMs: rep.wallMs.median,
    wallText: range(formatMs, rep.wallMs.median, rep.wallMs.min, rep.wallMs.max),
    peakMedianBytes: peakMedian,
    peakText: peakMedian === null ? null : range(formatBytes, peakMedian, peaks[0]!, peaks[peaks.length - 1]!),
  };
}

/** A signed figure for people, with a true minus sign: "+3.1 %", "−19.4 %". */
function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text.replace(/^-/, '\u2212');
}

/** The comparison of a build (head) with the baseline (base), in short: the change of the primary peak. */
export function baselineDigest(c: Comparison): BaselineDigest {
  // The global peak's series comes first (compare.ts).
  const primary = c.peaks[0]?.peak;
  const d = primary?.delta ?? null;
  const pct = primary?.deltaPct ?? null;
  return {
    peakDeltaText: pct === null || d === null ? '–' : signed(formatPercent(pct), d),
    peakDeltaPct: pct,
    peakDeltaBytes: d,
    peakDeltaBytesText: d === null ? '–' : signed(formatBytes(d), d),
    noise: primary?.noise ?? false,
    baseCommand: c.base.command,
    baseRuns: c.base.runs,
    baseSource: c.base.source ?? null,
    warnings: c.warnings,
  };
}
