// Activation: create the context, register the commands, start the language server without waiting
// for it. Imports stay light; the activation time is measured here and logged.
import { bundleEvaluationStartMs } from './activation-clock';
import { performance } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import { commands } from './commands';
import { Ctx } from './ctx';
import { registerSideBar } from './side-bar';
import { TimelinePanel } from './timeline-panel';

/** Every import above has been evaluated by now: the bundle is loaded. */
const bundleLoadedMs = performance.now();

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activateStartMs = performance.now();
  ctx = new Ctx(context);
  ctx.registerCommands(commands);
  ctx.push(TimelinePanel.registerSerializer(ctx));
  ctx.push(TimelinePanel.followLiveRuns(ctx));
  ctx.push({ dispose: () => TimelinePanel.disposeCurrent() });
  registerSideBar(ctx);
  const started = ctx.startServer();
  const doneMs = performance.now();
  // Between loading the bundle and calling activate(), VS Code prepares the extension's context
  // (storage and the like): that wait is VS Code's, not ours, and is reported apart.
  const a = {
    bundleMs: bundleLoadedMs - bundleEvaluationStartMs,
    activateMs: doneMs - activateStartMs,
    hostWaitMs: activateStartMs - bundleLoadedMs,
    totalMs: 0,
  };
  a.totalMs = a.bundleMs + a.activateMs;
  ctx.activation = a;
  ctx.log.info(
    `activated in ${a.totalMs.toFixed(1)} ms: loading the bundle ${a.bundleMs.toFixed(1)} ms, activate() ${a.activateMs.toFixed(1)} ms (and ${a.hostWaitMs.toFixed(1)} ms in VS Code between the two); starting the language server`,
  );
  const c = ctx;
  void started.then(() =>
    c.log.info(
      `language server process running ${(performance.now() - activateStartMs).toFixed(0)} ms after activation began`,
    ),
  );
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  // The rest is disposed with the extension's subscriptions.
  await c?.stopServer();
}
