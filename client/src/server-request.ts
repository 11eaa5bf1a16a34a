// What the commands that ask the language server share: the profile they work on (the argument, else
// the last one shown), waiting for a server that is starting, and how they end when they can't run
// (the server is down, no profile yet, the request failed), said to the user and returned as the
// command's outcome for the tests. The commands exist while the server is starting or down
// (commands.ts); this is where they say so.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CompareErrorCodes, type RequestDecl } from '../../protocol/custom-messages';
import { ServerNotUp, type Ctx } from './ctx';
import { responseErrorCode } from './messages';

/** A command that did not run, and why (in the words shown to the user). */
export type Refused = { kind: 'refused'; reason: string };
/** A command whose request failed. */
export type Failed = { kind: 'error'; message: string };

/** A path from a command's argument (an absolute path or a file Uri): the profile to work on, a file to write. */
export function absolutePathOf(arg: unknown): string | undefined {
  const p = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' && arg ? arg : undefined;
  return p && path.isAbsolute(p) ? p : undefined;
}

/** Says the server is not up (or still starting) and gives the outcome of a command that could not run. */
export function notUp(ctx: Ctx): Refused {
  const s = ctx.serverState;
  if (s.health === 'starting')
    ctx.notify('info', 'Compiler Memory: the language server is still starting; try again in a moment.');
  else
    ctx.notify('error', `Compiler Memory: the language server is not running${s.message ? ` (${s.message})` : ''}.`, {
      'Show Log': () => ctx.log.show(),
    });
  return { kind: 'refused', reason: ctx.lastNotice?.message ?? 'the language server is not running' };
}

/** Nothing to work on yet: says so and offers to make a profile. */
export function noProfileYet(ctx: Ctx, what: string): Refused {
  const reason = `Compiler Memory: no profile to ${what} yet. Profile a build (or import a profile) first.`;
  ctx.notify('info', reason, {
    'Profile Build': () => vscode.commands.executeCommand('compilerMemory.profileBuild'),
    'Import Profile…': () => vscode.commands.executeCommand('compilerMemory.importProfile'),
  });
  return { kind: 'refused', reason };
}

/**
 * Sends `decl` once the server is up, waiting under a progress notification titled `title` for one
 * that is starting. Throws ServerNotUp when it is down or does not come up in time.
 */
export async function requestWhenUp<P, R>(ctx: Ctx, title: string, decl: RequestDecl<P, R>, params: P): Promise<R> {
  const health = ctx.serverState.health;
  if (health === 'stopped' || health === 'error') throw new ServerNotUp();
  if (ctx.serverIsUp) return ctx.request(decl, params);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
    if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
    return ctx.request(decl, params);
  });
}

/** The outcome of a request that failed: ServerNotUp, an unreadable profile, or anything else (with the log at hand). */
export function requestFailed(ctx: Ctx, what: string, e: unknown): Refused | Failed {
  if (e instanceof ServerNotUp) return notUp(ctx);
  const message = e instanceof Error ? e.message : String(e);
  if (responseErrorCode(e) === CompareErrorCodes.profileUnreadable)
    ctx.notify('error', `Compiler Memory: ${what}: ${message}`);
  else ctx.notify('error', `Compiler Memory: ${what}: ${message}`, { 'Show Log': () => ctx.log.show() });
  return { kind: 'error', message };
}

/**
 * A command's request (requestWhenUp), its failure turned into the command's outcome: `failure` says
 * what could not be done ("could not set the baseline"); `expected` may first turn an error the
 * command expects into a refusal of its own.
 */
export async function askServer<P, R>(
  ctx: Ctx,
  decl: RequestDecl<P, R>,
  params: P,
  how: { title: string; failure: string; expected?: (e: unknown) => Refused | undefined },
): Promise<{ kind: 'answer'; result: R } | Refused | Failed> {
  try {
    return { kind: 'answer', result: await requestWhenUp(ctx, how.title, decl, params) };
  } catch (e) {
    return how.expected?.(e) ?? requestFailed(ctx, how.failure, e);
  }
}
