// "Compiler Memory: Open Timeline" after Profile Build on the TypeScript workspace: the panel opens on
// the last profile, its view gets the model from the server (through the client) and asks for series;
// the status bar item's click is Open Timeline; a profile that is gone shows an error in the panel.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InternalState } from '../../../client/src/commands';
import { profileBuild, profiled, state, waitFor, waitForServerReady } from './helpers';

async function closePanels(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await waitFor('the timeline panel to close', async () => (await state()).timeline === null, 10_000);
}

suite('Open Timeline: TypeScript workspace', () => {
  let s: InternalState;

  suiteSetup(async function () {
    this.timeout(180_000);
    await waitForServerReady();
    s = await state();
    if (s.lastResult?.summary.status !== 'ok') {
      profiled(await profileBuild());
      s = await state();
    }
  });

  suiteTeardown(closePanels);

  test('the status bar item of a profiled build opens the timeline', () => {
    assert.equal(s.statusBar.command, 'compilerMemory.openTimeline');
    assert.match(s.statusBar.tooltip, /\[Open Timeline\]\(command:compilerMemory\.openTimeline\)/);
  });

  test('opens a panel on the last profile; its view gets the model with the peak and asks for the series', async function () {
    this.timeout(60_000);
    const result = s.lastResult!;
    const peak = result.summary.peak;
    assert.ok(peak, 'the build recorded no peak');
    assert.equal(await vscode.commands.executeCommand('compilerMemory.openTimeline'), true);
    const t = await waitFor(
      'the view to get its model and ask for series',
      async () => {
        const t = (await state()).timeline;
        return t?.model && t.seriesAnswered > 0 ? t : undefined;
      },
      30_000,
    );
    assert.equal(t.profilePath, result.profilePath);
    assert.equal(t.lastError, null);
    assert.equal(t.model!.peakBytes, peak.bytes);
    assert.deepEqual(t.model!.phasePath, peak.phasePath);
    assert.ok(
      t.model!.phases >= result.summary.phaseCount,
      `${t.model!.phases} phases in the model, ${result.summary.phaseCount} in the summary`,
    );
    assert.ok(t.model!.series > 0, 'no series in the model');
    console.log(
      `timeline: ${t.model!.phases} phases, ${t.model!.series} series, ${t.seriesAnswered} series request(s) answered`,
    );
  });

  test('running it again shows the same panel', async () => {
    const before = (await state()).timeline!;
    assert.equal(await vscode.commands.executeCommand('compilerMemory.openTimeline'), true);
    const after = (await state()).timeline!;
    assert.equal(after.profilePath, before.profilePath);
    assert.ok(after.model, 'the panel was reloaded');
  });

  test('a profile file that is gone shows an error in the panel, not an exception', async function () {
    this.timeout(30_000);
    const missing = path.join(s.storageDir, 'profiles', 'gone.cmi-profile.json');
    assert.equal(await vscode.commands.executeCommand('compilerMemory.openTimeline', missing), true);
    const t = await waitFor('the error', async () => (await state()).timeline?.lastError ?? undefined, 20_000);
    assert.match(t, /gone\.cmi-profile\.json: no such file/);
    assert.equal((await state()).timeline!.model, null);
    await closePanels();
  });
});
