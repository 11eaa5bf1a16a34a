// What the status bar item says, as a function of the server's state, the running build and the last
// result (with its change against the baseline when one is set). Kept apart from the item itself so
// that the text is decided in one place.
import * as vscode from 'vscode';
import { labelText, markdownCode, markdownText } from '../../common/untrusted-text';
import type {
  BaselineDigest,
  BuildProgressParams,
  ProfileBuildResult,
  ServerHealth,
} from '../../protocol/custom-messages';

export interface ServerState {
  /** `stopped`: the client gave up on the server (it crashed too often or could not start). */
  health: ServerHealth | 'stopped';
  message?: string;
}

export interface LiveBuild {
  label: string;
  progress?: BuildProgressParams;
}

export interface StatusView {
  text: string;
  tooltip: vscode.MarkdownString;
  /** What a screen reader says: plain words, no icons, no Markdown. */
  label: string;
  command?: string;
  background?: vscode.ThemeColor;
}

const SHOW_OUTPUT = 'compilerMemory.showBuildOutput';
const PROFILE = 'compilerMemory.profileBuild';
const CANCEL = 'compilerMemory.cancelProfiling';
const TIMELINE = 'compilerMemory.openTimeline';
const COMPARE = 'compilerMemory.compareWithBaseline';
const COPY_MARKDOWN = 'compilerMemory.copySummaryMarkdown';

/**
 * The tooltip: Markdown whose command links run only our own commands (the links are ours; every
 * value from a trace goes through `bullet`, which escapes it), and no HTML.
 */
function tooltip(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: [SHOW_OUTPUT, PROFILE, CANCEL, TIMELINE, COMPARE, COPY_MARKDOWN] };
  md.supportHtml = false;
  md.appendMarkdown('**Compiler Memory Insight**\n\n');
  return md;
}

/** One line of the tooltip: our label, then `value` (text from a trace) escaped, as text or as code. */
function bullet(md: vscode.MarkdownString, label: string, value: string, code = false): void {
  md.appendMarkdown(`- ${label}: ${code ? markdownCode(value) : markdownText(value)}\n`);
}

/** The change against the baseline as the status bar says it: "−19.4 % vs baseline", "≈ +0.3 % vs baseline" within noise. */
export function baselineText(b: BaselineDigest): string {
  return `${b.noise ? '≈ ' : ''}${b.peakDeltaText} vs baseline`;
}

/** The innermost phase of the peak's path, as the status bar names it. */
export function peakPhaseName(result: ProfileBuildResult): string {
  const peak = result.summary.peak;
  const after = peak?.afterPhasePath?.at(-1);
  if (after !== undefined) return `at exit, after ${labelText(after)}`;
  const inner = peak?.phasePath.at(-1);
  return inner !== undefined ? labelText(inner) : 'no phase';
}

export function renderResult(result: ProfileBuildResult): StatusView {
  const { summary } = result;
  const imported = summary.importedFrom !== null;
  // An imported file may carry phases and times but no memory at all (nothing was sampled here).
  const peakOnly = summary.peak
    ? `${summary.peak.bytesText} ${summary.peak.measure === 'live-heap' ? 'live heap' : 'peak'} · ${peakPhaseName(result)}`
    : imported
      ? 'imported · no memory series'
      : 'no memory recorded';
  const peak = summary.baseline ? `${peakOnly} · ${baselineText(summary.baseline)}` : peakOnly;
  const md = tooltip();
  if (imported) {
    bullet(md, 'Imported from', summary.importedFrom!.join(', '), true);
    if (summary.command.length) bullet(md, 'Command', summary.command.join(' '), true);
  } else {
    bullet(
      md,
      'Build',
      `${summary.status}${summary.statusReason && summary.status !== 'ok' ? ` (${summary.statusReason})` : ''}`,
    );
    bullet(md, 'Command', summary.command.join(' '), true);
  }
  bullet(md, 'Wall time', summary.wallText);
  if (summary.peak) {
    const live = summary.peak.measure === 'live-heap';
    bullet(
      md,
      live ? 'Peak of the live heap' : 'Peak',
      `${summary.peak.bytesText} at ${summary.peak.atText}, ${summary.peak.seriesName}`,
    );
    const { phasePath, afterPhasePath } = summary.peak;
    bullet(
      md,
      'Phase at the peak',
      afterPhasePath ? summary.peak.placeText : phasePath.length ? phasePath.join(' › ') : 'no phase covers it',
    );
  }
  if (summary.retainedPeak) {
    const r = summary.retainedPeak;
    bullet(md, 'Peak of RSS', `${r.bytesText} at ${r.atText} ${r.placeText}, ${r.seriesName}`);
  }
  if (summary.repeat) {
    const r = summary.repeat;
    const notOk = r.statuses.filter((st) => st !== 'ok').length;
    bullet(
      md,
      'Runs',
      `${r.runs}${notOk ? ` (${notOk} not ok)` : ''}; shown: run ${r.representative + 1}, the median peak`,
    );
    bullet(md, 'Wall time over the runs', `${r.wallText}, median (min–max)`);
    if (r.peakText) bullet(md, 'Peak over the runs', `${r.peakText}, median (min–max)`);
  }
  bullet(md, 'Phases', String(summary.phaseCount));
  if (summary.warningsCount) bullet(md, 'Warnings', String(summary.warningsCount));
  bullet(md, 'Profile', result.profilePath, true);
  if (summary.baseline) {
    const b = summary.baseline;
    md.appendMarkdown('\n**Against the baseline**\n\n');
    bullet(
      md,
      'Peak',
      `${b.peakDeltaText} (${b.peakDeltaBytesText}), ${b.noise ? 'within the spread of the runs: noise' : b.baseRuns > 1 || summary.repeat ? 'beyond the spread of the runs' : 'noise not judged (one run on a side)'}`,
    );
    bullet(md, 'Baseline', `${b.baseCommand.join(' ')} (${b.baseRuns} run${b.baseRuns === 1 ? '' : 's'})`, true);
    for (const w of b.warnings) bullet(md, '⚠', w);
  }
  const links = [`[Open Timeline](command:${TIMELINE})`];
  if (summary.baseline) links.push(`[Compare with Baseline](command:${COMPARE})`);
  links.push(
    `[Copy Summary as Markdown](command:${COPY_MARKDOWN})`,
    `[Show Build Output](command:${SHOW_OUTPUT})`,
    `[${imported ? 'Profile Build' : 'Profile Again'}](command:${PROFILE})`,
  );
  md.appendMarkdown(`\n${links.join(' · ')}`);

  const words = [
    imported ? 'imported profile' : `build ${summary.status}`,
    summary.peak
      ? `${summary.peak.measure === 'live-heap' ? 'live heap peak' : 'peak'} ${summary.peak.bytesText} ${peakPhaseName(result).startsWith('at exit') ? peakPhaseName(result) : `in ${peakPhaseName(result)}`}`
      : 'no memory recorded',
  ];
  if (summary.baseline)
    words.push(
      `${summary.baseline.peakDeltaText.replace('\u2212', 'minus ')} against the baseline${summary.baseline.noise ? ', within noise' : ''}`,
    );
  const label = `Compiler Memory Insight: ${words.join(', ')}. Press to open the timeline.`;
  switch (summary.status) {
    case 'ok':
      return { text: `$(pulse) ${peak}`, tooltip: md, label, command: TIMELINE };
    case 'failed':
      return {
        text: `$(error) build failed · ${peak}`,
        tooltip: md,
        label,
        command: TIMELINE,
        background: new vscode.ThemeColor('statusBarItem.errorBackground'),
      };
    case 'cancelled':
    case 'killed':
    case 'incomplete':
      return {
        text: `$(warning) ${summary.status} · ${peak}`,
        tooltip: md,
        label,
        command: TIMELINE,
        background: new vscode.ThemeColor('statusBarItem.warningBackground'),
      };
  }
}

export function renderLive(live: LiveBuild): StatusView {
  const md = tooltip();
  bullet(md, 'Profiling', live.label, true);
  const p = live.progress;
  if (p) {
    bullet(
      md,
      'RSS of the process tree',
      `${p.treeRssText} (peak ${p.peakTreeRssText}), ${p.processCount} process${p.processCount === 1 ? '' : 'es'}`,
    );
    bullet(md, 'Phase', p.phase ?? 'not known yet');
    bullet(md, 'Elapsed', p.elapsedText);
  }
  md.appendMarkdown(`\n[Cancel](command:${CANCEL}) · [Show Build Output](command:${SHOW_OUTPUT})`);
  const text = p
    ? `$(loading~spin) ${p.treeRssText}${p.phase ? ` · ${labelText(p.phase)}` : ''}`
    : '$(loading~spin) profiling…';
  const label = `Compiler Memory Insight: profiling ${live.label}${p ? `, RSS ${p.treeRssText}, ${p.phase ? `phase ${p.phase.replace(/\s+/g, ' ')}` : 'no phase yet'}, ${p.elapsedText}` : ''}. Press to cancel.`;
  return { text, tooltip: md, label, command: CANCEL };
}

export function renderServer(state: ServerState): StatusView {
  const md = tooltip();
  switch (state.health) {
    case 'starting':
      md.appendText('The language server is starting.');
      return {
        text: '$(loading~spin) Compiler Memory',
        tooltip: md,
        label: 'Compiler Memory Insight: the language server is starting.',
      };
    case 'ready':
    case 'busy':
      md.appendMarkdown(`Ready. [Profile Build](command:${PROFILE})`);
      return {
        text: '$(pulse) Compiler Memory',
        tooltip: md,
        label: 'Compiler Memory Insight: ready. Press to profile the build.',
        command: PROFILE,
      };
    case 'error':
    case 'stopped':
      md.appendMarkdown(
        markdownText(
          `The language server ${state.health === 'stopped' ? 'stopped' : 'reported an error'}${state.message ? `: ${state.message}` : ''}. See the "Compiler Memory Insight" output.`,
        ),
      );
      return {
        text: '$(error) Compiler Memory',
        tooltip: md,
        label: `Compiler Memory Insight: the language server ${state.health === 'stopped' ? 'stopped' : 'reported an error'}. See its output.`,
        background: new vscode.ThemeColor('statusBarItem.errorBackground'),
      };
  }
}
