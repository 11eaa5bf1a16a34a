// Every command of the extension, as a table of factories (rust-analyzer's commands). The table is
// registered once at activation, so every command exists while the server is starting or down; the
// ones that need the server wait for one that is starting and say so when it is down.
import * as vscode from 'vscode';
import type { BuildProgressParams, ProfileBuildResult } from '../../protocol/custom-messages';
import { clearBaselineCommand, internalBaselineCommand, setBaselineCommand } from './baseline-commands';
import { compareWithBaselineCommand, copySummaryMarkdownCommand } from './compare-command';
import type { CommandFactory, Ctx, ProfileOutcome } from './ctx';
import { exportChromeTraceCommand } from './export-trace-command';
import { importProfileCommand } from './import-profile-command';
import { profileBuildCommand, profileBuildRepeatCommand } from './profile-build-command';
import { detectedBuildsCommand, selectBuildCommand } from './select-build-command';
import type { ServerState } from './status-bar';
import {
  internalTimelineMessageCommand,
  openTimelineCommand,
  pinTimelineCommand,
  showInTimelineCommand,
} from './open-timeline-command';
import { TimelinePanel, type TimelinePanelState } from './timeline-panel';
import { ComparePanel, type ComparePanelState } from './compare-panel';

function cancelProfiling(ctx: Ctx) {
  return () => {
    const run = ctx.activeRun;
    if (!run) {
      ctx.notify('info', 'Compiler Memory: no build is being profiled.');
      return false;
    }
    ctx.log.info(`cancelling \`${run.label}\``);
    run.cancellation.cancel();
    return true;
  };
}

function showBuildOutput(ctx: Ctx) {
  return () => ctx.buildOutput.show();
}

/** Internal (not contributed, so not in the palette): a snapshot of what the extension shows, for tests and bug reports. */
function internalState(ctx: Ctx) {
  return (): InternalState => ({
    activation: ctx.activation ?? null,
    server: ctx.serverState,
    storageDir: ctx.storageDir,
    running: ctx.activeRun ? { label: ctx.activeRun.label, progress: ctx.activeRun.progress } : null,
    statusBar: ctx.statusBarText,
    buildOutputTail: ctx.buildOutput.tail,
    lastResult: ctx.lastResult ?? null,
    lastOutcome: ctx.lastOutcome ?? null,
    lastNotice: ctx.lastNotice ?? null,
    workspaceTrusted: vscode.workspace.isTrusted,
    timeline: TimelinePanel.state,
    comparePanel: ComparePanel.state,
    contextKeys: ctx.contextKeyValues,
  });
}

/** Internal, for the tests: a button of the compare panel, as its view's message would press it. */
function internalComparePanelAction() {
  return (type: unknown, saveTo?: unknown) =>
    type === 'copyMarkdown' || type === 'saveMarkdown'
      ? ComparePanel.act(type, typeof saveTo === 'string' ? vscode.Uri.file(saveTo) : undefined)
      : null;
}

export interface InternalState {
  activation: Ctx['activation'] | null;
  server: ServerState;
  storageDir: string;
  running: { label: string; progress: BuildProgressParams | undefined } | null;
  /** What the status bar item says, and the command its click runs. */
  statusBar: { text: string; tooltip: string; command: string | null; accessibilityLabel: string };
  /** The end of what the Build Output channel shows. */
  buildOutputTail: string;
  lastResult: ProfileBuildResult | null;
  lastOutcome: ProfileOutcome | null;
  lastNotice: Ctx['lastNotice'] | null;
  workspaceTrusted: boolean;
  /** The timeline panel, when one is open. */
  timeline: TimelinePanelState | null;
  /** The compare panel, when one is open. */
  comparePanel: ComparePanelState | null;
  /** The keys of the `when` clauses as the extension set them (`compilerMemory.hasProfile` …). */
  contextKeys: Record<string, boolean>;
}

export const commands: Record<string, CommandFactory> = {
  // Checks workspace trust before the server's state.
  'compilerMemory.profileBuild': profileBuildCommand,
  // Profile Build with N runs (asked in an input box, or the argument).
  'compilerMemory.profileBuildRepeat': profileBuildRepeatCommand,
  // Runs nothing, so no trust check; waits for a server that is starting, says so when it is down.
  'compilerMemory.importProfile': importProfileCommand,
  // The panel waits for a server that is starting; it says so in the panel when the server is down.
  'compilerMemory.openTimeline': openTimelineCommand,
  'compilerMemory.showInTimeline': showInTimelineCommand,
  'compilerMemory.pinTimeline': pinTimelineCommand(true),
  'compilerMemory.unpinTimeline': pinTimelineCommand(false),
  'compilerMemory.cancelProfiling': cancelProfiling,
  'compilerMemory.showBuildOutput': showBuildOutput,
  // Reads settings and files only: works whatever the server is doing, trusted or not.
  'compilerMemory.selectBuild': selectBuildCommand,
  // Runs nothing; waits for a server that is starting, says so when it is down.
  'compilerMemory.exportChromeTrace': exportChromeTraceCommand,
  // Run nothing; wait for a server that is starting, say so when it is down.
  'compilerMemory.setBaseline': setBaselineCommand,
  'compilerMemory.clearBaseline': clearBaselineCommand,
  'compilerMemory.compareWithBaseline': compareWithBaselineCommand,
  'compilerMemory.copySummaryMarkdown': copySummaryMarkdownCommand,
  'compilerMemory.internal.state': internalState,
  'compilerMemory.internal.baseline': internalBaselineCommand,
  'compilerMemory.internal.comparePanelAction': internalComparePanelAction,
  'compilerMemory.internal.timelineMessage': internalTimelineMessageCommand,
  'compilerMemory.internal.detectedBuilds': detectedBuildsCommand,
};
