// "Compiler Memory: Import Profile…": reads files a compiler wrote (rustc's -Z time-passes, tsc's
// diagnostics, …) into a profile in the language server, under a cancellable progress notification,
// and shows it as a profiled build is shown (status bar, Build Output, last result). It runs nothing,
// so unlike Profile Build it works in an untrusted workspace (Restricted Mode).
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ImportProfileErrorCodes,
  ImportProfileRequest,
  ProfileBuildErrorCodes,
  type ImportProfileParams,
  type ImportProfileResult,
} from '../../protocol/custom-messages';
import { ServerNotUp, type Cmd, type Ctx, type ProfileOutcome } from './ctx';
import { REQUEST_CANCELLED, responseErrorCode } from './messages';
import { notUp } from './server-request';
import { TimelinePanel } from './timeline-panel';

/** The command's optional second argument. */
export interface ImportProfileOptions {
  /** An importer's name (as `cmi import --format`); absent: sniffed per file. */
  format?: string;
}

export function importProfileCommand(ctx: Ctx): Cmd {
  return async (files?: unknown, options?: unknown): Promise<ProfileOutcome> => {
    const outcome = await importProfile(ctx, files, options);
    ctx.lastOutcome = outcome;
    return outcome;
  };
}

function refuse(ctx: Ctx, severity: 'info' | 'error', reason: string): ProfileOutcome {
  ctx.notify(severity, reason);
  return { kind: 'refused', reason };
}

/**
 * The files given as the command's argument: a Uri, an fsPath, or an array of them (the explorer
 * passes `(uri, uris)`; tests pass an array). Undefined when nothing was given; a string when one of
 * them can't be read from the local file system.
 */
function filesFromArgument(arg: unknown): string[] | string | undefined {
  if (arg === undefined || arg === null) return undefined;
  const items = Array.isArray(arg) ? arg : [arg];
  const files: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' && item) files.push(path.resolve(item));
    else if (item instanceof vscode.Uri && item.scheme === 'file') files.push(item.fsPath);
    else if (item instanceof vscode.Uri) return `${item.toString()} is not a local file`;
    else return `${JSON.stringify(item)} is neither a file path nor a file URI`;
  }
  return files.length ? files : undefined;
}

async function pickFiles(): Promise<string[] | string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    title: 'Compiler Memory: Import Profile',
    openLabel: 'Import',
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
    filters: {
      'Compiler output and traces (JSON, trace, text, gz, zst)': ['json', 'trace', 'txt', 'log', 'gz', 'zst'],
      'All files': ['*'],
    },
  });
  return uris?.length ? filesFromArgument(uris) : undefined;
}

async function importProfile(ctx: Ctx, arg: unknown, options: unknown): Promise<ProfileOutcome> {
  // A server that is down won't come back by itself: say so before asking for files. One that is
  // starting is waited for below, under the progress notification.
  const health = ctx.serverState.health;
  if (health === 'stopped' || health === 'error') return notUp(ctx);
  const files = filesFromArgument(arg) ?? (await pickFiles());
  if (files === undefined) return { kind: 'refused', reason: 'no file was chosen' };
  if (typeof files === 'string') return refuse(ctx, 'error', `Compiler Memory: could not import: ${files}.`);
  const format = (options as ImportProfileOptions | undefined)?.format;
  const params: ImportProfileParams = { files, ...(typeof format === 'string' && format ? { format } : {}) };
  const label = files.length === 1 ? path.basename(files[0]!) : `${files.length} files`;

  ctx.log.info(`importing ${files.join(', ')}${params.format ? ` as ${params.format}` : ''}`);
  let result: ImportProfileResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Importing ${label}`, cancellable: true },
      async (progress, token) => {
        if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
        // The language client turns the token into $/cancelRequest; the server aborts the importers.
        return ctx.request(ImportProfileRequest.type, params, token);
      },
    );
  } catch (e) {
    if (e instanceof ServerNotUp) return notUp(ctx);
    return failed(ctx, e);
  }

  const { summary } = result;
  ctx.showResult(result);
  // The status bar item opens Build Output: it shows the imported profile, unless a build is streaming there.
  if (!ctx.activeRun) {
    ctx.buildOutput.clear();
    ctx.buildOutput.appendLine(`── imported ${files.join(', ')} · profile: ${result.profilePath}`);
    ctx.buildOutput.appendLine(summary.report);
  }
  // What was imported, drawn: the timeline (beside the code), and what the importers warned of.
  if (!TimelinePanel.pinnedOpen) TimelinePanel.createOrShow(ctx, result.profilePath, { preserveFocus: true });
  const warnings = summary.firstWarnings ?? [];
  if (summary.warningsCount) {
    ctx.notify(
      'warning',
      `Compiler Memory: imported ${label} with ${summary.warningsCount} warning${summary.warningsCount === 1 ? '' : 's'}: ${warnings.slice(0, 2).join('; ')}${summary.warningsCount > 2 ? '; …' : ''}`,
      { 'Show Build Output': () => ctx.buildOutput.show() },
    );
  }
  ctx.log.info(
    `imported ${files.join(', ')}: ${summary.phaseCount} phases, peak ${summary.peak ? `${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || 'no phase'}` : 'not recorded'}; profile ${result.profilePath}`,
  );
  return { kind: 'imported', result };
}

function failed(ctx: Ctx, e: unknown): ProfileOutcome {
  const message = e instanceof Error ? e.message : String(e);
  const code = responseErrorCode(e);
  if (code === REQUEST_CANCELLED) return refuse(ctx, 'info', 'Compiler Memory: the import was cancelled.');
  if (code === ImportProfileErrorCodes.importFailed)
    ctx.notify('error', `Compiler Memory: could not import: ${message}`);
  else if (code === ProfileBuildErrorCodes.writeFailed) ctx.notify('error', `Compiler Memory: ${message}`);
  else ctx.notify('error', `Compiler Memory: importing failed: ${message}`, { 'Show Log': () => ctx.log.show() });
  return { kind: 'error', message };
}
