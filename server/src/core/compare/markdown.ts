// A comparison as Markdown for a pull request (the tables compiler engineers paste: one row per
// metric, base | head | Δ | Δ %, bold where the difference is beyond noise, the commands and run
// counts under it), the same as plain text for a terminal, and one profile's summary as Markdown
// (for "Copy Summary as Markdown" without a baseline). Pure.

import type { ArenaDelta, Comparison, Delta, PhaseDelta, RunSetInfo, Stat } from '../../../../protocol/compare';
import { analyze } from '../analysis/analyze';
import type { Profile } from '../model';
import { formatBytes, formatMs, formatPercent } from '../units';
import { significant } from './compare';
import { markdownCode, markdownText, terminalText } from '../../../../common/untrusted-text';

export interface MarkdownOptions {
  /** Phases listed by |Δ time| and, separately, by |Δ peak in the phase| (default 5 each). */
  topPhases?: number;
  /** Arena groups listed (default 8). */
  topArenas?: number;
  /** Rows of the phases' tables of durations listed, changed ones first (default 8). */
  topDurations?: number;
}

type Unit = 'ms' | 'bytes';

interface MetricRow {
  label: string;
  unit: Unit;
  d: Delta;
}

const fmt = (unit: Unit, v: number | null | undefined) => (unit === 'ms' ? formatMs(v) : formatBytes(v));
const signed = (s: string, v: number) => (v > 0 ? `+${s}` : s);

/** The median, with ± half the range of the runs when there are several. */
function statCell(unit: Unit, s: Stat | null): string {
  if (!s) return '–';
  return s.n > 1 && s.max > s.min ? `${fmt(unit, s.median)} ±${fmt(unit, (s.max - s.min) / 2)}` : fmt(unit, s.median);
}

function deltaCells(unit: Unit, d: Delta): [string, string] {
  if (d.delta === null) return ['–', '–'];
  return [
    signed(fmt(unit, d.delta), d.delta),
    d.deltaPct === null ? '–' : signed(formatPercent(d.deltaPct), d.deltaPct),
  ];
}

const pathLabel = (path: string[]) => (path.length ? path.join(' › ') : '(no phase)');

/** The rows of the metrics table: wall time, each series' peak (heap and RSS side by side), then the top phases. */
function metricRows(c: Comparison, topPhases: number): MetricRow[] {
  const rows: MetricRow[] = [{ label: 'wall time', unit: 'ms', d: c.wall }];
  for (const s of c.peaks) rows.push({ label: `peak · ${s.name}`, unit: 'bytes', d: s.peak });
  for (const { p, what } of topPhaseRows(c.phases, topPhases)) {
    rows.push(
      what === 'time'
        ? {
            label: `${pathLabel(p.path)} · time${p.placedByGuess === 'both' ? ' (totals)' : ''}`,
            unit: 'ms',
            d: p.time,
          }
        : { label: `${pathLabel(p.path)} · peak in it`, unit: 'bytes', d: p.memPeak },
    );
  }
  return rows;
}

/** The paths placed by guess on one side only, with that side: their times are not compared. */
function guessedOnOneSide(c: Comparison): { path: string[]; side: 'base' | 'head' }[] {
  return c.phases.flatMap((p) =>
    p.placedByGuess === 'base' || p.placedByGuess === 'head' ? [{ path: p.path, side: p.placedByGuess }] : [],
  );
}

/** The durations rows of the matched phases (totals, never placed in time), changed ones first by |Δ|. */
export function topDurationRows(phases: PhaseDelta[], n: number): { phase: string[]; path: string[]; d: Delta }[] {
  const rows = phases.flatMap((p) => (p.durations ?? []).map((r) => ({ phase: p.path, path: r.path, d: r.time })));
  const size = (d: Delta) => Math.abs(d.delta ?? 0);
  return rows
    .sort(
      (x, y) =>
        Number(significant(y.d)) - Number(significant(x.d)) ||
        Number(y.d.delta !== null) - Number(x.d.delta !== null) ||
        size(y.d) - size(x.d),
    )
    .slice(0, n);
}

const GUESSED_NOTE = 'placed by guess on one side: times not compared';
const TOTALS_NOTE = 'totals the compiler reports for parts of a phase, never placed in time';

/** The phases with the largest |Δ time| and the largest |Δ peak in the phase| (non-zero), time first. */
export function topPhaseRows(phases: PhaseDelta[], n: number): { p: PhaseDelta; what: 'time' | 'memory' }[] {
  const by = (pick: (p: PhaseDelta) => Delta) =>
    phases
      .filter((p) => (pick(p).delta ?? 0) !== 0)
      .sort(
        (x, y) =>
          Number(significant(pick(y))) - Number(significant(pick(x))) ||
          Math.abs(pick(y).delta!) - Math.abs(pick(x).delta!),
      )
      .slice(0, n);
  return [
    ...by((p) => p.time).map((p) => ({ p, what: 'time' as const })),
    ...by((p) => p.memPeak).map((p) => ({ p, what: 'memory' as const })),
  ];
}

/** Where a side comes from: its command, runs and source, as Markdown (`md`) or as text. */
function runsLine(side: string, r: RunSetInfo, md: boolean): string {
  const statuses = [...new Set(r.statuses)].join(', ');
  const text = md ? markdownText : (x: string) => x;
  return `${side}: ${md ? markdownCode(r.command.join(' ')) : r.command.join(' ')} — ${r.runs} run${r.runs === 1 ? '' : 's'} (${text(statuses)})${r.source ? ` · ${text(r.source)}` : ''}`;
}

function peakMoveLine(c: Comparison, md: boolean): string | null {
  const { base, head, moved } = c.peakMove;
  if (!base || !head) return null;
  const q = (s: string) => (md ? markdownCode(s) : s);
  const series = md ? markdownText(head.seriesName) : head.seriesName;
  if (moved)
    return `${md ? '**The peak moved**' : 'The peak moved'}: ${q(pathLabel(base.phasePath))} (${formatBytes(base.bytes)} at ${formatMs(base.atMs)}) → ${q(pathLabel(head.phasePath))} (${formatBytes(head.bytes)} at ${formatMs(head.atMs)}), ${series}`;
  return `The peak stayed in ${q(pathLabel(head.phasePath))} (${formatBytes(base.bytes)} → ${formatBytes(head.bytes)}, ${series})`;
}

function arenaChangeLabel(a: ArenaDelta): string {
  const count = a.count.base === a.count.head ? `${a.count.head}` : `${a.count.base} → ${a.count.head}`;
  const held =
    a.heldPastLastUse.base === a.heldPastLastUse.head
      ? `${a.heldPastLastUse.head}`
      : `${a.heldPastLastUse.base} → ${a.heldPastLastUse.head}`;
  return `${count} | ${held}`;
}

/**
 * The comparison as Markdown: metrics table, where the peak moved, arena groups, commands and run
 * counts, warnings. Every name from the traces is escaped (common/untrusted-text.ts): no link, image
 * or HTML from a trace reaches the pull request it is pasted into.
 */
export function comparisonMarkdown(c: Comparison, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const bold = (s: string, d: Delta) => (significant(d) && s !== '–' ? `**${s}**` : s);
  out.push('| metric | base | head | Δ | Δ % |', '|---|---:|---:|---:|---:|');
  for (const r of metricRows(c, opts.topPhases ?? 5)) {
    const [d, pct] = deltaCells(r.unit, r.d);
    out.push(
      `| ${markdownText(r.label)} | ${statCell(r.unit, r.d.base)} | ${statCell(r.unit, r.d.head)} | ${bold(d, r.d)} | ${bold(pct, r.d)} |`,
    );
  }
  const move = peakMoveLine(c, true);
  if (move) out.push('', move);

  const guessed = guessedOnOneSide(c);
  if (guessed.length)
    out.push(
      '',
      `Phases ${GUESSED_NOTE}: ${guessed
        .slice(0, 8)
        .map((g) => `${markdownCode(pathLabel(g.path))} (guessed in ${g.side})`)
        .join(', ')}${guessed.length > 8 ? `, … (${guessed.length} in all)` : ''}`,
    );
  const totals = topDurationRows(c.phases, opts.topDurations ?? 8);
  if (totals.length) {
    out.push(
      '',
      `Parts known by their totals only (${TOTALS_NOTE}):`,
      '',
      '| phase › part | base total | head total | Δ | Δ % |',
      '|---|---:|---:|---:|---:|',
    );
    for (const t of totals) {
      const [d, pct] = deltaCells('ms', t.d);
      out.push(
        `| ${markdownText(`${pathLabel(t.phase)} › ${t.path.join(' › ')}`)} | ${statCell('ms', t.d.base)} | ${statCell('ms', t.d.head)} | ${bold(d, t.d)} | ${bold(pct, t.d)} |`,
      );
    }
  }

  const arenas = c.arenas.filter((a) => a.change !== 'unchanged');
  if (c.arenas.length) {
    out.push('');
    if (!arenas.length) out.push(`Arenas: ${c.arenas.length} group${c.arenas.length === 1 ? '' : 's'}, none changed.`);
    else {
      out.push(
        '| arena group | change | arenas | held past last use | at peak: base | head | Δ |',
        '|---|---|---:|---:|---:|---:|---:|',
      );
      for (const a of arenas.slice(0, opts.topArenas ?? 8)) {
        const [d] = deltaCells('bytes', a.bytesAtPeak);
        out.push(
          `| ${markdownCode(a.name, { inTable: true })} (${markdownText(a.category)}) | ${a.change} | ${arenaChangeLabel(a)} | ${statCell('bytes', a.bytesAtPeak.base)} | ${statCell('bytes', a.bytesAtPeak.head)} | ${bold(d, a.bytesAtPeak)} |`,
        );
      }
      if (arenas.length > (opts.topArenas ?? 8))
        out.push(
          '',
          `… and ${arenas.length - (opts.topArenas ?? 8)} more changed arena groups (see \`cmi compare --json\`).`,
        );
    }
  }
  const { baseOnly, headOnly } = c.unmatched;
  if (baseOnly.length || headOnly.length) {
    const list = (ps: string[][]) =>
      ps
        .slice(0, 8)
        .map((p) => markdownCode(pathLabel(p)))
        .join(', ') + (ps.length > 8 ? `, … (${ps.length} in all)` : '');
    out.push('');
    if (baseOnly.length) out.push(`Phases only in base: ${list(baseOnly)}`);
    if (headOnly.length) out.push(`${baseOnly.length ? '\n' : ''}Phases only in head: ${list(headOnly)}`);
  }
  out.push('', `${runsLine('Base', c.base, true)}  `, `${runsLine('Head', c.head, true)}  `);
  out.push(
    'Medians over the runs (± half their range); **bold**: beyond noise (the difference exceeds the larger spread of the runs).',
  );
  for (const w of c.warnings) out.push('', `> ⚠ ${markdownText(w)}`);
  return out.join('\n');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function padLeft(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/**
 * The comparison as text for a terminal: the same rows, `*` marking a difference beyond noise. Control
 * characters from the traces are shown, not acted on (terminalText).
 */
export function comparisonText(c: Comparison, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const rows = metricRows(c, opts.topPhases ?? 5);
  const totals = topDurationRows(c.phases, opts.topDurations ?? 8);
  const totalLabel = (t: (typeof totals)[number]) => `${pathLabel(t.phase)} › ${t.path.join(' › ')}`;
  const w = Math.min(64, Math.max(20, ...rows.map((r) => r.label.length), ...totals.map((t) => totalLabel(t).length)));
  const label = (s: string) => (s.length > w ? `…${s.slice(s.length - w + 1)}` : s);
  out.push(
    `  ${pad('metric', w)} ${padLeft('base', 20)} ${padLeft('head', 20)} ${padLeft('Δ', 12)} ${padLeft('Δ %', 9)}`,
  );
  for (const r of rows) {
    const [d, pct] = deltaCells(r.unit, r.d);
    out.push(
      `  ${pad(label(r.label), w)} ${padLeft(statCell(r.unit, r.d.base), 20)} ${padLeft(statCell(r.unit, r.d.head), 20)} ${padLeft(d, 12)} ${padLeft(pct, 9)}${significant(r.d) ? ' *' : ''}`,
    );
  }
  const move = peakMoveLine(c, false);
  if (move) out.push('', move);
  const guessed = guessedOnOneSide(c);
  if (guessed.length)
    out.push(
      '',
      `Phases ${GUESSED_NOTE} (${guessed.length}): ${guessed
        .slice(0, 8)
        .map((g) => `${pathLabel(g.path)} (guessed in ${g.side})`)
        .join(', ')}`,
    );
  if (totals.length) {
    out.push('', `Parts known by their totals only (${TOTALS_NOTE}):`);
    for (const t of totals) {
      const [d, pct] = deltaCells('ms', t.d);
      out.push(
        `  ${pad(label(totalLabel(t)), w)} ${padLeft(statCell('ms', t.d.base), 20)} ${padLeft(statCell('ms', t.d.head), 20)} ${padLeft(d, 12)} ${padLeft(pct, 9)}${significant(t.d) ? ' *' : ''}`,
      );
    }
  }
  const arenas = c.arenas.filter((a) => a.change !== 'unchanged');
  if (arenas.length) {
    out.push('', `Arena groups changed (${arenas.length} of ${c.arenas.length}):`);
    for (const a of arenas.slice(0, opts.topArenas ?? 8)) {
      const held = `held past last use ${a.heldPastLastUse.base} → ${a.heldPastLastUse.head}`;
      out.push(
        `  ${pad(`${a.name} (${a.category})`, 32)} ${pad(a.change, 8)} ${a.count.base} → ${a.count.head} arenas, ${held}, at peak ${formatBytes(a.bytesAtPeak.base?.median)} → ${formatBytes(a.bytesAtPeak.head?.median)}`,
      );
    }
  } else if (c.arenas.length) out.push('', `Arenas: ${c.arenas.length} groups, none changed.`);
  if (c.unmatched.baseOnly.length)
    out.push(
      '',
      `Phases only in base (${c.unmatched.baseOnly.length}): ${c.unmatched.baseOnly.slice(0, 8).map(pathLabel).join(', ')}`,
    );
  if (c.unmatched.headOnly.length)
    out.push(
      '',
      `Phases only in head (${c.unmatched.headOnly.length}): ${c.unmatched.headOnly.slice(0, 8).map(pathLabel).join(', ')}`,
    );
  out.push('', runsLine('Base', c.base, false), runsLine('Head', c.head, false));
  out.push('Medians over the runs (± half their range); *: beyond noise.');
  if (c.warnings.length) out.push('', 'Warnings:', ...c.warnings.map((x) => `  ${x}`));
  return terminalText(out.join('\n'));
}

/** One profile as Markdown: the peak and its phase, the top phases, the arenas held past their last use. Names escaped. */
export function summaryMarkdown(profile: Profile, opts: { top?: number } = {}): string {
  const a = analyze(profile);
  const top = opts.top ?? 5;
  const out: string[] = [];
  out.push(
    `**Build**: ${markdownCode(a.command.join(' '))} — ${markdownText(a.status)}, wall ${formatMs(a.wallMs)}${profile.repeat ? ` (${profile.repeat.runs} runs, median ${formatMs(profile.repeat.wallMs.median)})` : ''}`,
  );
  out.push('');
  if (a.peak)
    out.push(
      `**Peak**: ${formatBytes(a.peak.bytes)} (${markdownText(a.peak.seriesName)}) at ${formatMs(a.peak.atMs)} in ${markdownCode(pathLabel(a.peak.phasePath))}`,
    );
  else out.push('**Peak**: no memory was recorded');
  if (a.phases.length) {
    out.push('', '| phase | time | self | peak in it | of peak |', '|---|---:|---:|---:|---:|');
    for (const r of [...a.phases].sort((x, y) => y.selfMs - x.selfMs).slice(0, top)) {
      const name = markdownText(
        `${pathLabel(r.path)}${r.count > 1 ? ` ×${r.count}` : ''}${r.placedByGuess ? ' (placed by guess: time is a total)' : ''}`,
      );
      out.push(
        `| ${r.holdsPeak ? `**${name}**` : name} | ${formatMs(r.durationMs)} | ${formatMs(r.selfMs)} | ${formatBytes(r.memPeakBytes)} | ${formatPercent(r.shareOfPeak)} |`,
      );
    }
  }
  const held = a.arenas.filter((r) => r.heldPastLastUse);
  if (held.length) {
    const total = held.reduce((s, r) => s + r.potentialSavingBytes, 0);
    out.push(
      '',
      `**Arenas held past their last use**: ${held.length} of ${a.arenas.length}; freeing each right after its last use would save up to ${formatBytes(total)} at the peak.`,
    );
    out.push('', '| arena | category | at peak | last use |', '|---|---|---:|---|');
    for (const r of held.slice(0, top))
      out.push(
        `| ${markdownCode(r.name, { inTable: true })} | ${markdownText(r.category)} | ${formatBytes(r.bytesAtPeak)} | ${markdownText(r.lastUsePhase ?? '(no phase)')} |`,
      );
  } else if (a.arenas.length) out.push('', `Arenas: ${a.arenas.length}, none held past its last use at the peak.`);
  return out.join('\n');
}
