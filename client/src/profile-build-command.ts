// "Compiler Memory: Profile Build": picks the build (the one remembered, else a quick pick when the
// workspace offers several), runs it in the language server under a cancellable progress
// notification, streams its output, and shows the peak in the status bar. Also "Compiler Memory:
// Profile Build (repeat N)…": Profile Build with N runs (median, minimum and maximum over them, so
// that a comparison can tell a change from noise).
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  ProfileBuildErrorCodes,
  ProfileBuildRequest,
  type BuildProgressParams,
  type ProfileBuildParams,
  type ProfileBuildResult,
} from '../../protocol/custom-messages';
import {
  commandLabel,
  gatherBuilds,
  noBuildMessage,
  pickBuild,
  rememberedKey,
  type BuildChoice,
} from './build-command';
import * as config from './config';
import { REQUEST_CANCELLED, responseErrorCode } from './messages';
import { ActiveRun, ServerNotUp, type Cmd, type Ctx, type ProfileOutcome } from './ctx';
import { notUp } from './server-request';
import { plainText } from './plain-text';
import { peakPhaseName } from './status-bar';

/** `runs`: profile the build that many times ("Profile Build (repeat N)"), else as often as the chosen build asks. */
export function profileBuildCommand(ctx: Ctx, options: { runs?: number } = {}): Cmd {
  return async (): Promise<ProfileOutcome> => {
    const outcome = await profileBuild(ctx, options.runs);
    ctx.lastOutcome = outcome;
    return outcome;
  };
}

/** The runs "Profile Build (repeat N)…" offers; the server accepts up to 50 as well. */
export const REPEAT_RUNS = { default: 3, min: 2, max: 50 } as const;

function runsError(value: string): string | undefined {
  const n = Number(value.trim());
  return Number.isInteger(n) && n >= REPEAT_RUNS.min && n <= REPEAT_RUNS.max
    ? undefined
    : `A whole number from ${REPEAT_RUNS.min} to ${REPEAT_RUNS.max}.`;
}

/** N from the argument (the tests pass it), else from an input box; then Profile Build with N runs. */
export function profileBuildRepeatCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<ProfileOutcome> => {
    let runs: number | undefined;
    if (arg !== undefined) {
      if (runsError(String(arg))) {
        const reason = `Compiler Memory: Profile Build (repeat N) takes N from ${REPEAT_RUNS.min} to ${REPEAT_RUNS.max}, not ${JSON.stringify(arg)}.`;
        ctx.notify('error', reason);
        return { kind: 'refused', reason };
      }
      runs = Number(arg);
    } else {
      const value = await vscode.window.showInputBox({
        title: 'Compiler Memory: Profile Build (repeat N)',
        prompt:
          'How many runs, one after the other? The profile gives the median, minimum and maximum over them; a difference within their spread is noise.',
        value: String(REPEAT_RUNS.default),
        validateInput: runsError,
      });
      if (value === undefined) return { kind: 'refused', reason: 'no number of runs was given' };
      runs = Number(value.trim());
    }
    return (await profileBuildCommand(ctx, { runs })()) as ProfileOutcome;
  };
}

function progressMessage(p: BuildProgressParams): string {
  return `${p.run && p.runs ? `run ${p.run} of ${p.runs} · ` : ''}RSS ${p.treeRssText} · peak ${p.peakTreeRssText} · ${p.phase ?? 'no phase yet'} · ${p.elapsedText}`;
}

function refuse(
  ctx: Ctx,
  severity: 'info' | 'error',
  reason: string,
  actions?: Record<string, () => unknown>,
): ProfileOutcome {
  ctx.notify(severity, reason, actions);
  return { kind: 'refused', reason };
}

/** The build to run: the only one, the one remembered, else the one picked (and remembered). */
async function chooseBuild(
  ctx: Ctx,
): Promise<{ kind: 'chosen'; build: BuildChoice } | Extract<ProfileOutcome, { kind: 'refused' }>> {
  const { builds, invalid } = await gatherBuilds();
  if (invalid.length)
    ctx.notify(
      'warning',
      `Compiler Memory: left out ${invalid.join(', ')}: each build needs a name and a command (an argv array or a string), cwd a string, env strings, runs a whole number ≥ 1.`,
    );
  if (builds.length === 0) {
    const reason = noBuildMessage();
    ctx.notify('error', reason, {
      'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', config.BUILDS_SETTING),
      'Import Profile…': () => vscode.commands.executeCommand('compilerMemory.importProfile'),
    });
    return { kind: 'refused', reason };
  }
  const last = rememberedKey(ctx);
  const build =
    builds.length === 1
      ? builds[0]
      : (builds.find((b) => b.key === last) ??
        (await pickBuild(
          ctx,
          builds,
          'Which build to profile? (remembered; change it with "Select Build to Profile…")',
        )));
  if (!build) return { kind: 'refused', reason: 'no build was chosen' };
  return { kind: 'chosen', build };
}

async function profileBuild(ctx: Ctx, runs?: number): Promise<ProfileOutcome> {
  if (!vscode.workspace.isTrusted) {
    return refuse(
      ctx,
      'error',
      'Compiler Memory: builds are not run in an untrusted workspace (Restricted Mode). Trust this folder to profile its build.',
      {
        'Manage Workspace Trust': () => vscode.commands.executeCommand('workbench.trust.manage'),
      },
    );
  }
  if (!vscode.workspace.workspaceFolders?.length)
    return refuse(ctx, 'error', 'Compiler Memory: open a folder to profile its build.');
  const build = await chooseBuild(ctx);
  if (build.kind === 'refused') return build;

  // Checked after the last await before beginRun(), so that two quick invocations can't both start.
  if (ctx.activeRun) {
    return refuse(ctx, 'info', `Compiler Memory: \`${ctx.activeRun.label}\` is being profiled already.`, {
      'Cancel Profiling': () => vscode.commands.executeCommand('compilerMemory.cancelProfiling'),
      'Show Build Output': () => ctx.buildOutput.show(),
    });
  }

  return runChosen(ctx, build.build, runs);
}

/** Profiles one chosen build. */
async function runChosen(ctx: Ctx, build: BuildChoice, runsAsked?: number): Promise<ProfileOutcome> {
  const label = commandLabel(build.argv, build.folder);
  const run = new ActiveRun(randomUUID(), label);
  const params: ProfileBuildParams = {
    runId: run.runId,
    argv: build.argv,
    cwd: build.cwd,
    intervalMs: config.samplingIntervalMs(),
  };
  if (build.env) params.env = build.env;
  const runs = runsAsked ?? build.runs;
  if (runs && runs > 1) params.runs = runs;
  const timeoutMs = config.buildTimeoutMs();
  if (timeoutMs) params.timeoutMs = timeoutMs;
  if (config.allocatorDefaults()) params.allocatorDefaults = true;

  ctx.buildOutput.clear();
  ctx.buildOutput.appendLine(`$ ${label}    (in ${build.cwd}; ${build.name} from ${build.source})`);
  ctx.log.info(`profiling \`${label}\` in ${build.cwd} (${build.name}, from ${build.source})`);
  ctx.beginRun(run);
  let result: ProfileBuildResult | undefined;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: plainText(`Profiling \`${label}\``), cancellable: true },
      async (progress, token) => {
        const onCancel = token.onCancellationRequested(() => run.cancellation.cancel());
        run.onProgress = (p) => progress.report({ message: progressMessage(p) });
        try {
          if (!(await ctx.serverUpFor(progress))) throw new ServerNotUp();
          progress.report({ message: 'starting…' });
          return await ctx.request(ProfileBuildRequest.type, params, run.cancellation.token);
        } finally {
          onCancel.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof ServerNotUp) return notUp(ctx);
    return failed(ctx, run, e);
  } finally {
    ctx.endRun(run, result);
  }

  const { summary } = result;
  ctx.buildOutput.appendLine(
    `\n── ${summary.status}${summary.statusReason ? ` (${summary.statusReason})` : ''} in ${summary.wallText} · profile: ${result.profilePath}`,
  );
  ctx.buildOutput.appendLine(summary.report);
  ctx.log.info(
    `${summary.status}: \`${label}\` in ${summary.wallText}, peak ${summary.peak ? `${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || 'no phase'}` : 'not recorded'}; profile ${result.profilePath}`,
  );
  if (summary.status === 'ok') {
    // Done: say so where the eyes are, with the way to the timeline.
    const peak = summary.peak
      ? ` · ${summary.peak.measure === 'live-heap' ? 'live heap' : 'peak'} ${summary.peak.bytesText} ${peakPhaseName(result).startsWith('at exit') ? peakPhaseName(result) : `in ${peakPhaseName(result)}`}`
      : '';
    ctx.notify('info', `Compiler Memory: \`${label}\` done in ${summary.wallText}${peak}.`, {
      'Open Timeline': () => vscode.commands.executeCommand('compilerMemory.openTimeline', result.profilePath),
    });
  } else {
    const how = summary.status === 'failed' ? 'failed' : `was ${summary.status}`;
    ctx.notify(
      summary.status === 'failed' ? 'error' : 'warning',
      `Compiler Memory: the build ${how}${summary.statusReason ? ` (${summary.statusReason})` : ''}; the profile recorded so far was kept.`,
      {
        'Show Build Output': () => ctx.buildOutput.show(),
      },
    );
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
      'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', config.BUILDS_SETTING),
    });
  } else if (code === ProfileBuildErrorCodes.busy) {
    ctx.notify('info', `Compiler Memory: ${message}`);
  } else {
    ctx.notify('error', `Compiler Memory: profiling \`${run.label}\` failed: ${message}`, {
      'Show Log': () => ctx.log.show(),
    });
  }
  return { kind: 'error', message };
}
