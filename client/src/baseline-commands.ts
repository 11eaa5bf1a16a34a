// "Compiler Memory: Set as Baseline" (the last profile, or the profile file given as the argument: a
// path or a Uri) and "Compiler Memory: Clear Baseline". The language server keeps the baseline in the
// extension's storage (`compilerMemory/setBaseline`, `clearBaseline`); Profile Build then answers with
// the change against it, which the status bar shows. Both run nothing, so they work in an untrusted
// workspace; they wait for a server that is starting and say so when it is down.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ClearBaselineRequest, CompareErrorCodes, GetBaselineRequest, SetBaselineRequest, type BaselineInfo } from '../../protocol/custom-messages';
import { serverNotUp, type Cmd, type Ctx } from './ctx';
import { responseErrorCode } from './messages';

export type BaselineOutcome =
  | { kind: 'set'; baseline: BaselineInfo }
  | { kind: 'cleared'; cleared: boolean }
  | { kind: 'refused'; reason: string }
  | { kind: 'error'; message: string };

export class ServerNotUp extends Error {}

/** A profile path from a command's argument (an absolute path or a file Uri). */
export function profilePathOf(arg: unknown): string | undefined {
  const p = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' && arg ? arg : undefined;
  return p && path.isAbsolute(p) ? p : undefined;
}

/**
 * Runs `send` under a progress notification titled `title`, once the server is up (waiting for one
 * that is starting). Throws ServerNotUp when it is down or does not come up in time.
 */
export async function withServer<R>(ctx: Ctx, title: string, send: () => Promise<R>): Promise<R> {
  const health = ctx.serverState.health;
  if (health === 'stopped' || health === 'error') throw new ServerNotUp();
  if (ctx.serverIsUp) return send();
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
    if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
    return send();
  });
}

/** Says the server is not up (or still starting) and gives the outcome of a command that could not run. */
export function notUp(ctx: Ctx): { kind: 'refused'; reason: string } {
  serverNotUp(ctx)();
  return { kind: 'refused', reason: ctx.lastNotice?.message ?? 'the language server is not running' };
}

/** The outcome of a request that failed: ServerNotUp, an unreadable profile, or anything else (with the log at hand). */
export function requestFailed(ctx: Ctx, what: string, e: unknown): { kind: 'refused'; reason: string } | { kind: 'error'; message: string } {
  if (e instanceof ServerNotUp) return notUp(ctx);
  const message = e instanceof Error ? e.message : String(e);
  if (responseErrorCode(e) === CompareErrorCodes.profileUnreadable) ctx.notify('error', `Compiler Memory: ${what}: ${message}`);
  else ctx.notify('error', `Compiler Memory: ${what}: ${message}`, { 'Show Log': () => ctx.log.show() });
  return { kind: 'error', message };
}

/** Nothing to work on yet: says so and offers to make a profile. */
export function noProfileYet(ctx: Ctx, what: string): { kind: 'refused'; reason: string } {
  const reason = `Compiler Memory: no profile to ${what} yet. Profile a build (or import a profile) first.`;
  ctx.notify('info', reason, {
    'Profile Build': () => vscode.commands.executeCommand('compilerMemory.profileBuild'),
    'Import Profile…': () => vscode.commands.executeCommand('compilerMemory.importProfile'),
  });
  return { kind: 'refused', reason };
}

function describe(b: BaselineInfo): string {
  return `\`${b.command.join(' ')}\` (${b.runs} run${b.runs === 1 ? '' : 's'}, ${b.status}, peak ${b.peakText ?? 'not recorded'})`;
}

export function setBaselineCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<BaselineOutcome> => {
    const profilePath = profilePathOf(arg) ?? ctx.lastResult?.profilePath;
    if (!profilePath) return noProfileYet(ctx, 'set as the baseline');
    let baseline: BaselineInfo;
    try {
      baseline = await withServer(ctx, 'Setting the baseline', () => ctx.request(SetBaselineRequest.type, { profilePath }));
    } catch (e) {
      return requestFailed(ctx, 'could not set the baseline', e);
    }
    ctx.notify('info', `Compiler Memory: baseline set to ${describe(baseline)}. Profile Build now shows the change against it.`, {
      'Compare with Baseline': () => vscode.commands.executeCommand('compilerMemory.compareWithBaseline'),
    });
    return { kind: 'set', baseline };
  };
}

export function clearBaselineCommand(ctx: Ctx): Cmd {
  return async (): Promise<BaselineOutcome> => {
    let cleared: boolean;
    try {
      cleared = (await withServer(ctx, 'Clearing the baseline', () => ctx.request(ClearBaselineRequest.type, {}))).cleared;
    } catch (e) {
      return requestFailed(ctx, 'could not clear the baseline', e);
    }
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
    if (!(await ctx.whenServerUp(30_000))) throw new Error('the Compiler Memory language server is not running');
    return ctx.request(GetBaselineRequest.type, {});
  };
}
