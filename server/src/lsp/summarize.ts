// Analysis → the protocol's BuildSummary: the small digest the client shows. Pure; the figures for
// people are formatted here with the engine's units, so the client never formats bytes itself.

import type { BuildSummary, PhaseSummary } from '../../../protocol/custom-messages';
import type { Analysis, PhaseRow } from '../core/analysis/analyze';
import { summaryText } from '../core/analysis/summary';
import { formatBytes, formatMs } from '../core/units';

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

export function summarize(a: Analysis): BuildSummary {
  return {
    status: a.status,
    statusReason: a.statusReason ?? null,
    exitCode: a.exitCode,
    signal: a.signal,
    command: a.command,
    wallMs: a.wallMs,
    wallText: formatMs(a.wallMs),
    peak: a.peak && {
      bytes: a.peak.bytes,
      bytesText: formatBytes(a.peak.bytes),
      atMs: a.peak.atMs,
      atText: formatMs(a.peak.atMs),
      seriesName: a.peak.seriesName,
      phasePath: a.peak.phasePath,
    },
    topPhasesByTime: topPhasesByTime(a.phases).map(phaseSummary),
    topPhasesByMemory: topPhasesByMemory(a.phases).map(phaseSummary),
    phaseCount: a.phases.length,
    warningsCount: a.warnings.length,
    report: summaryText(a),
    importedFrom: a.importedFrom ?? null,
  };
}
