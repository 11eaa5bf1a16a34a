// "Compiler Memory: Open Timeline": the timeline panel of the last profile (the one the status bar
// shows), or of the profile file given as the argument (a path or a Uri). With no profile yet it says
// so and offers Profile Build. While a build is profiled, it shows that build live. "Show in Timeline"
// (a hover's link, a CodeLens): the same panel beside the code, the focus kept in the code, the phase
// path given selected and zoomed to. "Pin Timeline" / "Unpin Timeline": keep the panel on its profile,
// or let it follow the newest one.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ViewToHostMessage } from '../../protocol/timeline';
import type { Cmd, Ctx } from './ctx';
import { TimelinePanel } from './timeline-panel';

function profilePathOf(ctx: Ctx, arg: unknown): string | undefined {
  const given = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  const profilePath = given ?? ctx.lastResult?.profilePath;
  if (profilePath && path.isAbsolute(profilePath)) return profilePath;
  ctx.notify('info', 'Compiler Memory: no profile to show yet. Profile a build (or import a profile) first.', {
    'Profile Build': () => vscode.commands.executeCommand('compilerMemory.profileBuild'),
  });
  return undefined;
}

export function openTimelineCommand(ctx: Ctx): Cmd {
  return (arg?: unknown): boolean => {
    // While a build is profiled, the timeline shows it live, then its profile.
    if (arg === undefined && ctx.activeRun) {
      TimelinePanel.showLive(ctx, ctx.activeRun);
      return true;
    }
    const profilePath = profilePathOf(ctx, arg);
    if (!profilePath) return false;
    TimelinePanel.createOrShow(ctx, profilePath);
    return true;
  };
}

/** `(profilePath, phasePath)`: from a hover's link or a CodeLens (server/src/lsp/code-lens.ts). */
export function showInTimelineCommand(ctx: Ctx): Cmd {
  return (arg?: unknown, phasePath?: unknown): boolean => {
    const profilePath = profilePathOf(ctx, arg);
    if (!profilePath) return false;
    const select =
      Array.isArray(phasePath) && phasePath.length && phasePath.every((p) => typeof p === 'string')
        ? (phasePath as string[])
        : undefined;
    TimelinePanel.createOrShow(ctx, profilePath, { preserveFocus: true, ...(select ? { select } : {}) });
    return true;
  };
}

export function pinTimelineCommand(pinned: boolean): (ctx: Ctx) => Cmd {
  return () => () => TimelinePanel.setPinned(pinned);
}

/** Internal, for the tests: a message as the timeline's view would send it (`revealSource`). */
export function internalTimelineMessageCommand(): Cmd {
  return (message: unknown) => TimelinePanel.receive(message as ViewToHostMessage);
}
