// "Compiler Memory: Compare with Baseline" (the last profile, or the profile file given as the
// argument, against the baseline: one panel beside (compare-panel.ts) with both memory curves aligned
// by phase, the per-phase and arena tables, and buttons to copy or save the Markdown of
// `cmi compare --markdown`; differing environment facts in a warning) and "Compiler Memory: Copy
// Summary as Markdown" (against the baseline when one is set, else the profile's own summary, to the
// clipboard). The language server compares (`compilerMemory/compare`, `compilerMemory/summaryMarkdown`).
import * as vscode from 'vscode';
import type { Comparison } from '../../protocol/compare';
import {
  CompareErrorCodes,
  CompareRequest,
  SummaryMarkdownRequest,
  type CompareResult,
} from '../../protocol/custom-messages';
import { ComparePanel, type ComparePanelState } from './compare-panel';
import type { Cmd, Ctx } from './ctx';
import { responseErrorCode } from './messages';
import { absolutePathOf, askServer, noProfileYet, type Failed, type Refused } from './server-request';

export type CompareOutcome =
  | {
      kind: 'compared';
      result: CompareResult;
      envWarnings: string[];
      panel: ComparePanelState | null;
    }
  | Refused
  | Failed;

export type CopyOutcome = { kind: 'copied'; markdown: string; againstBaseline: boolean } | Refused | Failed;

/** The facts of the environment that differ (not the command under comparison): `fact: base → head`. */
export function envWarnings(c: Comparison): string[] {
  return c.envDifferences
    .filter((d) => d.fact !== 'command')
    .map((d) => `${d.fact}: ${d.base ?? '(none)'} → ${d.head ?? '(none)'}`);
}

export function compareWithBaselineCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<CompareOutcome> => {
    const headPath = absolutePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!headPath) return noProfileYet(ctx, 'compare with the baseline');
    const noBaseline = (e: unknown): Refused | undefined => {
      if (responseErrorCode(e) !== CompareErrorCodes.noBaseline) return undefined;
      ctx.setBaselineKnown(false);
      const reason =
        'Compiler Memory: no baseline is set. Set a profile as the baseline, then compare later builds with it.';
      ctx.notify('info', reason, {
        'Set Last Profile as Baseline': () => vscode.commands.executeCommand('compilerMemory.setBaseline', headPath),
      });
      return { kind: 'refused', reason };
    };
    const answer = await askServer(
      ctx,
      CompareRequest.type,
      { headPath },
      {
        title: 'Comparing with the baseline',
        failure: 'could not compare with the baseline',
        expected: noBaseline,
      },
    );
    if (answer.kind !== 'answer') return answer;
    const result: CompareResult = answer.result;
    ctx.log.info(`compared ${headPath} with the baseline:\n${result.text}`);
    // Both curves aligned by phase, the per-phase and arena deltas, in one panel beside.
    const panel = result.overlay
      ? await ComparePanel.createOrShow(ctx, result.overlay, result.markdown).whenRendered(5_000)
      : null;
    const env = envWarnings(result.comparison);
    if (env.length) {
      ctx.notify(
        'warning',
        `Compiler Memory: the baseline ran in another environment, so the comparison may not hold: ${env.join('; ')}.`,
        {
          'Set Last Profile as Baseline': () => vscode.commands.executeCommand('compilerMemory.setBaseline', headPath),
        },
      );
    }
    return { kind: 'compared', result, envWarnings: env, panel };
  };
}

export function copySummaryMarkdownCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<CopyOutcome> => {
    const profilePath = absolutePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!profilePath) return noProfileYet(ctx, 'copy');
    const answer = await askServer(
      ctx,
      SummaryMarkdownRequest.type,
      { profilePath },
      {
        title: 'Summarizing as Markdown',
        failure: 'could not summarize the profile',
      },
    );
    if (answer.kind !== 'answer') return answer;
    const { markdown, againstBaseline } = answer.result;
    await vscode.env.clipboard.writeText(markdown);
    ctx.notify(
      'info',
      `Compiler Memory: copied ${againstBaseline ? 'the comparison with the baseline' : 'the summary of the profile'} as Markdown (${markdown.split('\n').length} lines).`,
    );
    return { kind: 'copied', markdown, againstBaseline };
  };
}
