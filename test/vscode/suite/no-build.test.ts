import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as path from 'node:path';
import { repoRoot } from '../harness/env';
import { extension, importProfile, imported, profileBuild, state } from './helpers';

suite('A folder with nothing to build', () => {
  test('the extension is not activated by the folder', () => {
    assert.equal(extension().isActive, false);
  });

  test('Profile Build activates it and says there is no build, pointing at the setting', async function () {
    this.timeout(60_000);
    const outcome = await profileBuild();
    assert.equal(outcome.kind, 'refused', JSON.stringify(outcome));
    assert.match(
      (outcome as { reason: string }).reason,
      /no build to profile in plain: set compilerMemory\.build\.command, or open a folder with a tsconfig\.json or Cargo\.toml/,
    );
    assert.equal(extension().isActive, true);
    const s = await state();
    assert.equal(s.lastNotice?.severity, 'error');
    assert.equal(s.lastResult, null);
  });

  test('Open Timeline with no profile yet says so (offering Profile Build) and opens no panel', async () => {
    const opened = await vscode.commands.executeCommand('compilerMemory.openTimeline');
    assert.equal(opened, false);
    const s = await state();
    assert.match(s.lastNotice?.message ?? '', /no profile to show yet/);
    assert.equal(s.timeline, null);
  });

  test('Import Profile works in it, right after activation (waiting for the server if it is still starting)', async function () {
    this.timeout(60_000);
    console.log(`language server before the import: ${(await state()).server.health}`);
    const file = path.join(repoRoot, 'test/fixtures/typescript/ts7-extendedDiagnostics.stdout.txt');
    const { summary } = imported(await importProfile([file]));
    assert.deepEqual(summary.importedFrom, [file]);
    assert.deepEqual(
      summary.topPhasesByTime.map((p) => p.path.join(' › ')),
      ['Check', 'Emit', 'Parse', 'Bind', 'Config'],
    );
    // tsc --diagnostics gives totals, not times: its phases are laid out by guess and never get the
    // peak (tsc's "Memory used" at the end), so no phase is named.
    assert.equal((await state()).statusBar.text, `$(pulse) ${summary.peak?.bytesText} peak · no phase`);
  });

  test('Show Build Output works whatever the server is doing', async () => {
    await vscode.commands.executeCommand('compilerMemory.showBuildOutput');
  });
});
