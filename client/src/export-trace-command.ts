// "Compiler Memory: Export Chrome Trace…": writes a profile (the last one shown, else one chosen in a
// file dialog) as a Trace Event file that Perfetto and chrome://tracing open, chosen in a save dialog.
// The language server does the export (`compilerMemory/exportChromeTrace`, the exporter of `cmi
// export`). Runs nothing, so it works in an untrusted workspace. The tests pass the paths as
// arguments instead of the dialogs: (outPath, profilePath?), each a path or a Uri.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ExportChromeTraceErrorCodes,
  ExportChromeTraceRequest,
  type ExportChromeTraceResult,
} from '../../protocol/custom-messages';
import { ServerNotUp, type Cmd, type Ctx } from './ctx';
import { responseErrorCode } from './messages';
import { absolutePathOf, notUp, type Failed, type Refused } from './server-request';

export type ExportOutcome = { kind: 'exported'; result: ExportChromeTraceResult } | Refused | Failed;

const PROFILE_SUFFIX = '.cmi-profile.json';

async function chooseProfile(ctx: Ctx): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    title: 'Compiler Memory: Profile to Export',
    openLabel: 'Export',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.join(ctx.storageDir, 'profiles')),
    filters: { 'Profiles (.cmi-profile.json, .json)': ['json'], 'All files': ['*'] },
  });
  return uris?.[0]?.fsPath;
}

async function chooseOut(profilePath: string): Promise<string | undefined> {
  const base = path
    .basename(profilePath)
    .replace(PROFILE_SUFFIX, '')
    .replace(/\.json$/, '');
  const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(profilePath);
  const uri = await vscode.window.showSaveDialog({
    title: 'Compiler Memory: Export Chrome Trace',
    saveLabel: 'Export',
    defaultUri: vscode.Uri.file(path.join(dir, `${base}.trace.json`)),
    filters: { 'Trace Event JSON': ['json'] },
  });
  return uri?.fsPath;
}

export function exportChromeTraceCommand(ctx: Ctx): Cmd {
  return async (outArg?: unknown, profileArg?: unknown): Promise<ExportOutcome> => {
    // A server that is down won't come back by itself: say so before asking for files.
    const health = ctx.serverState.health;
    if (health === 'stopped' || health === 'error') return notUp(ctx);
    const profilePath = absolutePathOf(profileArg) ?? ctx.lastResult?.profilePath ?? (await chooseProfile(ctx));
    if (!profilePath) return { kind: 'refused', reason: 'no profile was chosen' };
    const outPath = absolutePathOf(outArg) ?? (await chooseOut(profilePath));
    if (!outPath) return { kind: 'refused', reason: 'no file to write was chosen' };

    let result: ExportChromeTraceResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${path.basename(outPath)}` },
        async (progress) => {
          if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
          return ctx.request(ExportChromeTraceRequest.type, { profilePath, outPath });
        },
      );
    } catch (e) {
      if (e instanceof ServerNotUp) return notUp(ctx);
      const message = e instanceof Error ? e.message : String(e);
      const code = responseErrorCode(e);
      if (code === ExportChromeTraceErrorCodes.profileUnreadable)
        ctx.notify('error', `Compiler Memory: could not read the profile: ${message}`);
      else if (code === ExportChromeTraceErrorCodes.writeFailed) ctx.notify('error', `Compiler Memory: ${message}`);
      else ctx.notify('error', `Compiler Memory: exporting failed: ${message}`, { 'Show Log': () => ctx.log.show() });
      return { kind: 'error', message };
    }
    ctx.notify(
      'info',
      `Compiler Memory: wrote ${path.basename(result.outPath)} (${result.bytesText}, ${result.phaseCount} phases); open it in Perfetto or chrome://tracing.`,
      {
        'Show in Folder': () => vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.outPath)),
      },
    );
    return { kind: 'exported', result };
  };
}
