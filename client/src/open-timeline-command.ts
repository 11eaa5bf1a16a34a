// "Compiler Memory: Open Timeline": the timeline panel of the last profile (the one the status bar
// shows), or of the profile file given as the argument (a path or a Uri). With no profile yet it says
// so and offers Profile Build. While a build is profiled, it shows that build live.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Cmd, Ctx } from './ctx';
import { TimelinePanel } from './timeline-panel';

export function openTimelineCommand(ctx: Ctx): Cmd {
  return (arg?: unknown): boolean => {
    const given = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
    // While a build is profiled, the timeline shows it live, then its profile.
    if (given === undefined && ctx.activeRun) {
      TimelinePanel.showLive(ctx, ctx.activeRun);
      return true;
    }
    const profilePath = given ?? ctx.lastResult?.profilePath;
    if (!profilePath || !path.isAbsolute(profilePath)) {
      ctx.notify('info', 'Compiler Memory: no profile to show yet. Profile a build (or import a profile) first.', {
        'Profile Build': () => vscode.commands.executeCommand('compilerMemory.profileBuild'),
      });
      return false;
    }
    TimelinePanel.createOrShow(ctx, profilePath);
    return true;
  };
}
