// "Compiler Memory: Open Timeline": the timeline panel of the last profile (the one the status bar
// shows), or of the profile file given as the argument (a path or a Uri). With no profile yet it says
// so and offers Profile Build.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Cmd, Ctx } from './ctx';
import { TimelinePanel } from './timeline-panel';

export function openTimelineCommand(ctx: Ctx): Cmd {
  return (arg?: unknown): boolean => {
    const given = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
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
