// "Compiler Memory: Compare with Baseline" (the last profile, or the profile file given as the
// argument, against the baseline: the Markdown of `cmi compare --markdown` in an untitled document
// beside, with its preview, and both memory curves aligned by phase in a panel beside
// (compare-panel.ts); differing environment facts in a warning) and "Compiler Memory: Copy
// Summary as Markdown" (against the baseline when one is set, else the profile's own summary, to the
// clipboard). The language server compares (`compilerMemory/compare`, `compilerMemory/summaryMarkdown`).
// Also "Compiler Memory: Profile Build (repeat N)…": Profile Build with N runs (median, minimum and
// maximum over them, so that a comparison can tell a change from noise).
import * as vscode from 'vscode';
import type { Comparison } from '../../protocol/compare';
import { CompareErrorCodes, CompareRequest, SummaryMarkdownRequest, type CompareResult } from '../../protocol/custom-messages';
import { noProfileYet, profilePathOf, requestFailed, withServer } from './baseline-commands';
import { ComparePanel, type ComparePanelState } from './compare-panel';
import type { Cmd, Ctx, ProfileOutcome } from './ctx';
import { responseErrorCode } from './messages';
import { profileBuildCommand } from './profile-build-command';

/** The runs "Profile Build (repeat N)…" offers; the server accepts up to 50 as well. */
export const REPEAT_RUNS = { default: 3, min: 2, max: 50 } as const;

function runsError(value: string): string | undefined {
  const n = Number(value.trim());
  return Number.isInteger(n) && n >= REPEAT_RUNS.min && n <= REPEAT_RUNS.max ? undefined : `A whole number from ${REPEAT_RUNS.min} to ${REPEAT_RUNS.max}.`;
}

/** N from the argument (the tests pass it), else from an input box; then Profile Build with N runs. */
export function profileBuildRepeatCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<ProfileOutcome> => {
    let runs: number | undefined;
    if (arg !== undefined) {
      if (runsError(String(arg))) {
        const reason = `Compiler Memory: Profile Build (repeat N) takes N from ${REPEAT_RUNS.min} to ${REPEAT_RUNS.max}, not ${JSON.stringify(arg)}.`;
        ctx.notify('error', reason);
        return { kind: 'refused', reason };
      }
      runs = Number(arg);
    } else {
      const value = await vscode.window.showInputBox({
        title: 'Compiler Memory: Profile Build (repeat N)',
        prompt: 'How many runs, one after the other? The profile gives the median, minimum and maximum over them; a difference within their spread is noise.',
        value: String(REPEAT_RUNS.default),
        validateInput: runsError,
      });
      if (value === undefined) return { kind: 'refused', reason: 'no number of runs was given' };
      runs = Number(value.trim());
    }
    return (await profileBuildCommand(ctx, { runs })()) as ProfileOutcome;
  };
}

export type CompareOutcome =
  | { kind: 'compared'; result: CompareResult; document: string; envWarnings: string[]; panel: ComparePanelState | null }
  | { kind: 'refused'; reason: string }
  | { kind: 'error'; message: string };

export type CopyOutcome = { kind: 'copied'; markdown: string; againstBaseline: boolean } | { kind: 'refused'; reason: string } | { kind: 'error'; message: string };

/** The facts of the environment that differ (not the command under comparison): `fact: base → head`. */
export function envWarnings(c: Comparison): string[] {
  return c.envDifferences.filter((d) => d.fact !== 'command').map((d) => `${d.fact}: ${d.base ?? '(none)'} → ${d.head ?? '(none)'}`);
}

async function showMarkdown(ctx: Ctx, markdown: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  // The rendered tables beside the source (the built-in Markdown extension; without it the source stays).
  await Promise.resolve(vscode.commands.executeCommand('markdown.showPreview', doc.uri)).catch((e: Error) => ctx.log.warn(`no Markdown preview: ${e.message}`));
  return doc;
}

export function compareWithBaselineCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<CompareOutcome> => {
    const headPath = profilePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!headPath) return noProfileYet(ctx, 'compare with the baseline');
    let result: CompareResult;
    try {
      result = await withServer(ctx, 'Comparing with the baseline', () => ctx.request(CompareRequest.type, { headPath }));
    } catch (e) {
      if (responseErrorCode(e) === CompareErrorCodes.noBaseline) {
        const reason = 'Compiler Memory: no baseline is set. Set a profile as the baseline, then compare later builds with it.';
        ctx.notify('info', reason, {
          'Set Last Profile as Baseline': () => vscode.commands.executeCommand('compilerMemory.setBaseline', headPath),
        });
        return { kind: 'refused', reason };
      }
      return requestFailed(ctx, 'could not compare with the baseline', e);
    }
    ctx.log.info(`compared ${headPath} with the baseline:\n${result.text}`);
    const doc = await showMarkdown(ctx, result.markdown);
    // Both curves aligned by phase, with the per-phase deltas, in a panel beside.
    const panel = result.overlay ? await ComparePanel.createOrShow(ctx, result.overlay).whenRendered(5_000) : null;
    const env = envWarnings(result.comparison);
    if (env.length) {
      ctx.notify('warning', `Compiler Memory: the baseline ran in another environment, so the comparison may not hold: ${env.join('; ')}.`, {
        'Set Last Profile as Baseline': () => vscode.commands.executeCommand('compilerMemory.setBaseline', headPath),
      });
    }
    return { kind: 'compared', result, document: doc.uri.toString(), envWarnings: env, panel };
  };
}

export function copySummaryMarkdownCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<CopyOutcome> => {
    const profilePath = profilePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!profilePath) return noProfileYet(ctx, 'copy');
    let markdown: string;
    let againstBaseline: boolean;
    try {
      ({ markdown, againstBaseline } = await withServer(ctx, 'Summarizing as Markdown', () => ctx.request(SummaryMarkdownRequest.type, { profilePath })));
    } catch (e) {
      return requestFailed(ctx, 'could not summarize the profile', e);
    }
    await vscode.env.clipboard.writeText(markdown);
    ctx.notify('info', `Compiler Memory: copied ${againstBaseline ? 'the comparison with the baseline' : 'the summary of the profile'} as Markdown (${markdown.split('\n').length} lines).`);
    return { kind: 'copied', markdown, againstBaseline };
  };
}
