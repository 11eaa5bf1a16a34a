import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, state, waitFor, waitForServerReady } from './helpers';

suite('Activation', () => {
  test('activates by itself on a workspace with a tsconfig.json', async () => {
    const ext = extension();
    // No ext.activate(): the activation event (workspaceContains:tsconfig.json) must do it.
    await waitFor('the extension to activate', () => ext.isActive, 20_000);
    const s = await state();
    const a = s.activation;
    assert.ok(a && a.totalMs > 0 && a.bundleMs >= 0 && a.activateMs > 0, `activation: ${JSON.stringify(a)}`);
    console.log(
      `activation took ${a.totalMs.toFixed(1)} ms as the extension measures it: loading the bundle ${a.bundleMs.toFixed(1)} ms, activate() ${a.activateMs.toFixed(1)} ms (VS Code's wait between them: ${a.hostWaitMs.toFixed(1)} ms)`,
    );
  });

  test('registers every contributed command, and the internal state command', async () => {
    const contributed = (
      extension().packageJSON as { contributes: { commands: { command: string }[] } }
    ).contributes.commands.map((c) => c.command);
    assert.deepEqual(contributed.sort(), [
      'compilerMemory.cancelProfiling',
      'compilerMemory.clearBaseline',
      'compilerMemory.compareWithBaseline',
      'compilerMemory.copySummaryMarkdown',
      'compilerMemory.exportChromeTrace',
      'compilerMemory.history.clearBaseline',
      'compilerMemory.history.compareWith',
      'compilerMemory.history.delete',
      'compilerMemory.history.open',
      'compilerMemory.history.refresh',
      'compilerMemory.history.setBaseline',
      'compilerMemory.importProfile',
      'compilerMemory.openTimeline',
      'compilerMemory.pinTimeline',
      'compilerMemory.profileBuild',
      'compilerMemory.profileBuildRepeat',
      'compilerMemory.selectBuild',
      'compilerMemory.setBaseline',
      'compilerMemory.showBuildOutput',
      'compilerMemory.showInTimeline',
      'compilerMemory.unpinTimeline',
    ]);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of [...contributed, 'compilerMemory.internal.state'])
      assert.ok(registered.has(c), `${c} is not registered`);
  });

  test('starts the language server, which reports ready; the status bar says so', async () => {
    const s = await waitForServerReady();
    assert.equal(s.statusBar.text, '$(pulse) Compiler Memory');
    assert.equal(s.statusBar.accessibilityLabel, 'Compiler Memory Insight: ready. Press to profile the build.');
    // No profile yet: Compare, Export and the like are not offered in the palette.
    assert.equal(s.contextKeys['compilerMemory.hasProfile'], false);
    assert.equal(s.running, null);
    assert.equal(s.workspaceTrusted, true);
  });

  test('Cancel Profiling with no build running says so', async () => {
    const cancelled = await vscode.commands.executeCommand('compilerMemory.cancelProfiling');
    assert.equal(cancelled, false);
    assert.match((await state()).lastNotice?.message ?? '', /no build is being profiled/);
  });
});
