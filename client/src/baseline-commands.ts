// "Compiler Memory: Set as Baseline" (the last profile, or the profile file given as the argument: a
// path or a Uri) and "Compiler Memory: Clear Baseline". The language server keeps the baseline in the
// extension's storage (`compilerMemory/setBaseline`, `clearBaseline`); Profile Build then answers with
// the change against it, which the status bar shows. Both run nothing, so they work in an untrusted
// workspace; they wait for a server that is starting and say so when it is down.
import * as vscode from 'vscode';
import {
  ClearBaselineRequest,
  GetBaselineRequest,
  SetBaselineRequest,
  type BaselineInfo,
} from '../../protocol/custom-messages';
import { SERVER_START_TIMEOUT_MS, ServerNotUp, type Cmd, type Ctx } from './ctx';
import { absolutePathOf, askServer, noProfileYet, type Failed, type Refused } from './server-request';

export type BaselineOutcome =
  | { kind: 'set'; baseline: BaselineInfo }
  | { kind: 'cleared'; cleared: boolean }
  | Refused
  | Failed;

function describe(b: BaselineInfo): string {
  return `\`${b.command.join(' ')}\` (${b.runs} run${b.runs === 1 ? '' : 's'}, ${b.status}, peak ${b.peakText ?? 'not recorded'})`;
}

export function setBaselineCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<BaselineOutcome> => {
    const profilePath = absolutePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!profilePath) return noProfileYet(ctx, 'set as the baseline');
    const answer = await askServer(
      ctx,
      SetBaselineRequest.type,
      { profilePath },
      {
        title: 'Setting the baseline',
        failure: 'could not set the baseline',
      },
    );
    if (answer.kind !== 'answer') return answer;
    const baseline = answer.result;
    ctx.setBaselineKnown(true);
    ctx.notify(
      'info',
      `Compiler Memory: baseline set to ${describe(baseline)}. Profile Build now shows the change against it.`,
      {
        'Compare with Baseline': () => vscode.commands.executeCommand('compilerMemory.compareWithBaseline'),
      },
    );
    return { kind: 'set', baseline };
  };
}

export function clearBaselineCommand(ctx: Ctx): Cmd {
  return async (): Promise<BaselineOutcome> => {
    const answer = await askServer(
      ctx,
      ClearBaselineRequest.type,
      {},
      {
        title: 'Clearing the baseline',
        failure: 'could not clear the baseline',
      },
    );
    if (answer.kind !== 'answer') return answer;
    const { cleared } = answer.result;
    ctx.setBaselineKnown(false);
    // The last result no longer speaks of a baseline.
    const last = ctx.lastResult;
    if (last?.summary.baseline) {
      const { baseline: _dropped, ...summary } = last.summary;
      ctx.showResult({ ...last, summary });
    }
    ctx.notify('info', cleared ? 'Compiler Memory: baseline cleared.' : 'Compiler Memory: no baseline was set.');
    return { kind: 'cleared', cleared };
  };
}

/** Internal (not contributed): the baseline, or null, for the tests. */
export function internalBaselineCommand(ctx: Ctx): Cmd {
  return async (): Promise<BaselineInfo | null> => {
    if (!(await ctx.whenServerUp(SERVER_START_TIMEOUT_MS))) throw new ServerNotUp();
    return ctx.request(GetBaselineRequest.type, {});
  };
}
