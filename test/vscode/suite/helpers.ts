// Helpers for the suites that run inside the extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { InternalState } from '../../../client/src/commands';
import type { ProfileOutcome } from '../../../client/src/ctx';
import type { ImportProfileResult, ProfileBuildResult } from '../../../protocol/custom-messages';

export const EXTENSION_ID = 'compiler-memory-insight.compiler-memory-insight';

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

export function state(): Promise<InternalState> {
  return vscode.commands.executeCommand<InternalState>('compilerMemory.internal.state') as Promise<InternalState>;
}

/** Polls `probe` until it returns something truthy; fails with `what` and the last state after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) {
      const s = await state().catch((e: Error) => `(no state: ${e.message})`);
      assert.fail(
        `timed out after ${timeoutMs} ms waiting for ${what}; extension state: ${JSON.stringify(s, null, 2)}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function waitForServerReady(timeoutMs = 30_000): Promise<InternalState> {
  return waitFor(
    'the language server to be ready',
    async () => {
      const s = await state();
      return s.server.health === 'ready' ? s : undefined;
    },
    timeoutMs,
  );
}

export function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'no workspace folder is open');
  return f;
}

/** Sets compilerMemory.build.command in the workspace settings (undefined: remove it). */
export async function setBuildCommand(argv: string[] | undefined): Promise<void> {
  await vscode.workspace
    .getConfiguration('compilerMemory', folder().uri)
    .update('build.command', argv, vscode.ConfigurationTarget.Workspace);
}

export async function profileBuild(): Promise<ProfileOutcome> {
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('compilerMemory.profileBuild');
  assert.ok(outcome, 'Profile Build returned nothing');
  return outcome;
}

/** Runs Import Profile… with `files` as its argument (paths or Uris), as the tests call it instead of the dialog. */
export async function importProfile(files: unknown[], options?: { format?: string }): Promise<ProfileOutcome> {
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('compilerMemory.importProfile', files, options);
  assert.ok(outcome, 'Import Profile returned nothing');
  return outcome;
}

export function imported(outcome: ProfileOutcome): ImportProfileResult {
  assert.equal(outcome.kind, 'imported', `Import Profile did not import: ${JSON.stringify(outcome)}`);
  return (outcome as Extract<ProfileOutcome, { kind: 'imported' }>).result;
}

export function profiled(outcome: ProfileOutcome): ProfileBuildResult {
  assert.equal(outcome.kind, 'profiled', `Profile Build did not profile: ${JSON.stringify(outcome)}`);
  return (outcome as Extract<ProfileOutcome, { kind: 'profiled' }>).result;
}

/**
 * `$(pulse) 140.5 MiB peak · Check` (RSS) or `$(pulse) 98.2 MiB live heap · Check`: the status bar
 * text of a successful build. Groups: the figure, its unit, the phase (as `peakPlace` says it).
 */
export const OK_STATUS = /^\$\(pulse\) (\d+(?:\.\d)?) (KiB|MiB|GiB) (?:peak|live heap) · (.+)$/;

/** The phase the status bar names for a peak: its innermost phase, or "at exit, after X". */
export function peakPlace(peak: { phasePath: string[]; afterPhasePath: string[] | null }): string {
  const after = peak.afterPhasePath?.at(-1);
  return after !== undefined ? `at exit, after ${after}` : (peak.phasePath.at(-1) ?? 'no phase');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
