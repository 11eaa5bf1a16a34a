// "Compiler Memory: Profile Build": picks the build, runs it in the language server under a
// cancellable progress notification, streams its output, and shows the peak in the status bar.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ProfileBuildErrorCodes, type BuildProgressParams, type ProfileBuildParams, type ProfileBuildResult } from '../../protocol/custom-messages';
import { commandLabel, resolveBuildCommand } from './build-command';
import * as config from './config';
import { REQUEST_CANCELLED, responseErrorCode } from './messages';
import { ActiveRun, serverNotUp, type Cmd, type Ctx, type ProfileOutcome } from './ctx';

class ServerNotUp extends Error {}

export function profileBuildCommand(ctx: Ctx): Cmd {
  return async (): Promise<ProfileOutcome> => {
    const outcome = await profileBuild(ctx);
    ctx.lastOutcome = outcome;
    return outcome;
  };
}

/** The folder of the active editor, else the first folder. */
function pickFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
}

function progressMessage(p: BuildProgressParams): string {
  return `RSS ${p.treeRssText} · peak ${p.peakTreeRssText} · ${p.phase ?? 'no phase yet'} · ${p.elapsedText}`;
}

function refuse(ctx: Ctx, severity: 'info' | 'error', reason: string, actions?: Record<string, () => unknown>): ProfileOutcome {
  ctx.notify(severity, reason, actions);
  return { kind: 'refused', reason };
}

async function profileBuild(ctx: Ctx): Promise<ProfileOutcome> {
  if (!vscode.workspace.isTrusted) {
    return refuse(ctx, 'error', 'Compiler Memory: builds are not run in an untrusted workspace (Restricted Mode). Trust this folder to profile its build.', {
      'Manage Workspace Trust': () => vscode.commands.executeCommand('workbench.trust.manage'),
    });
  }
  const folder = pickFolder();
  if (!folder) return refuse(ctx, 'error', 'Compiler Memory: open a folder to profile its build.');
  const build = await resolveBuildCommand(folder);
  if (!build) {
    return refuse(ctx, 'error', `Compiler Memory: no build to profile in ${folder.name}: set ${config.BUILD_COMMAND_SETTING}, or open a folder with a tsconfig.json or Cargo.toml at its root.`, {
      'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', config.BUILD_COMMAND_SETTING),
    });
  }

  // Checked after the last await before beginRun(), so that two quick invocations can't both start.
  if (ctx.activeRun) {
    return refuse(ctx, 'info', `Compiler Memory: \`${ctx.activeRun.label}\` is being profiled already.`, {
      'Cancel Profiling': () => vscode.commands.executeCommand('compilerMemory.cancelProfiling'),
      'Show Build Output': () => ctx.buildOutput.show(),
    });
  }

  const label = commandLabel(build.argv, folder);
  const run = new ActiveRun(randomUUID(), label);
  const params: ProfileBuildParams = { runId: run.runId, argv: build.argv, cwd: folder.uri.fsPath, intervalMs: config.samplingIntervalMs() };
  const timeoutMs = config.buildTimeoutMs();
  if (timeoutMs) params.timeoutMs = timeoutMs;

  ctx.buildOutput.clear();
  ctx.buildOutput.appendLine(`$ ${label}    (in ${folder.uri.fsPath}; from ${build.source})`);
  ctx.log.info(`profiling \`${label}\` in ${folder.uri.fsPath} (command from ${build.source})`);
  ctx.beginRun(run);
  let result: ProfileBuildResult | undefined;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Profiling \`${label}\``, cancellable: true },
      async (progress, token) => {
        const onCancel = token.onCancellationRequested(() => run.cancellation.cancel());
        run.onProgress = (p) => progress.report({ message: progressMessage(p) });
        try {
          if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
          progress.report({ message: 'starting…' });
          return await ctx.profileBuild(params, run.cancellation.token);
        } finally {
          onCancel.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof ServerNotUp) {
      serverNotUp(ctx)();
      return { kind: 'refused', reason: ctx.lastNotice?.message ?? 'the language server is not running' };
    }
    return failed(ctx, run, e);
  } finally {
    ctx.endRun(run, result);
  }

  const { summary } = result;
  ctx.buildOutput.appendLine(`\n── ${summary.status}${summary.statusReason ? ` (${summary.statusReason})` : ''} in ${summary.wallText} · profile: ${result.profilePath}`);
  ctx.buildOutput.appendLine(summary.report);
  ctx.log.info(`${summary.status}: \`${label}\` in ${summary.wallText}, peak ${summary.peak ? `${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || 'no phase'}` : 'not recorded'}; profile ${result.profilePath}`);
  if (summary.status !== 'ok') {
    const how = summary.status === 'failed' ? 'failed' : `was ${summary.status}`;
    ctx.notify(summary.status === 'failed' ? 'error' : 'warning', `Compiler Memory: the build ${how}${summary.statusReason ? ` (${summary.statusReason})` : ''}; the profile recorded so far was kept.`, {
      'Show Build Output': () => ctx.buildOutput.show(),
    });
  }
  return { kind: 'profiled', result };
}

function failed(ctx: Ctx, run: ActiveRun, e: unknown): ProfileOutcome {
  const message = e instanceof Error ? e.message : String(e);
  ctx.buildOutput.appendLine(`\n── not profiled: ${message}`);
  const code = responseErrorCode(e);
  if (code === REQUEST_CANCELLED) {
    return refuse(ctx, 'info', 'Compiler Memory: profiling was cancelled before the build started.');
  }
  if (code === ProfileBuildErrorCodes.spawnFailed) {
    ctx.notify('error', `Compiler Memory: ${message}`, {
      'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', config.BUILD_COMMAND_SETTING),
    });
  } else if (code === ProfileBuildErrorCodes.busy) {
    ctx.notify('info', `Compiler Memory: ${message}`);
  } else {
    ctx.notify('error', `Compiler Memory: profiling \`${run.label}\` failed: ${message}`, { 'Show Log': () => ctx.log.show() });
  }
  return { kind: 'error', message };
}
