// The live timeline in the real VS Code: a build that allocates in steps for a few seconds, with the
// timeline opened while it runs. The view draws the run as it arrives (its point count grows, redrawn
// a few times a second), and when the build ends the panel shows its profile, whose RSS series has as
// many samples as the profile file's and at least as many as the view last drew live.
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readProfile } from '../../../server/src/core/profile-file';
import { profileBuild, profiled, setBuildCommand, state, waitFor, waitForServerReady } from './helpers';

// 8 MiB more every 250 ms, 28 times (about 7 s), then exits.
const STEPS_BUILD = `
const keep = [];
let i = 0;
const t = setInterval(() => {
  keep.push(Buffer.alloc(8 << 20, i));
  if (++i === 28) { clearInterval(t); setTimeout(() => process.exit(0), 300); }
}, 250);
`;

suite('Live timeline: a build drawn while it runs', () => {
  suiteSetup(async () => {
    await waitForServerReady();
  });
  suiteTeardown(async () => {
    await setBuildCommand(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the open timeline draws the run as it grows, then becomes its profile', async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cmi-e2e-live-'));
    const script = path.join(dir, 'steps-build.js');
    writeFileSync(script, STEPS_BUILD);
    await setBuildCommand(['node', script]);

    const pending = profileBuild();
    await waitFor('the build to run', async () => (await state()).running, 30_000, 50);
    assert.equal(await vscode.commands.executeCommand('compilerMemory.openTimeline'), true);
    const first = await waitFor(
      'the view to draw the running build',
      async () => {
        const live = (await state()).timeline?.live;
        return live?.drawn && live.drawn.points > 0 ? live.drawn : undefined;
      },
      30_000,
      50,
    );
    const grown = await waitFor(
      'the view to draw more points while the build runs',
      async () => {
        const s = await state();
        const drawn = s.timeline?.live?.drawn;
        return s.running && drawn && drawn.points > first.points && drawn.redraws > first.redraws ? drawn : undefined;
      },
      30_000,
      50,
    );
    const lastLive = { ...grown };
    // What the view draws until the build ends.
    const track = setInterval(
      () =>
        void state().then((s) => {
          const drawn = s.timeline?.live?.drawn;
          if (drawn && drawn.redraws > lastLive.redraws) Object.assign(lastLive, drawn);
        }),
      100,
    );
    const { summary, profilePath } = profiled(await pending);
    clearInterval(track);
    assert.equal(summary.status, 'ok');
    const final = await waitFor(
      'the panel to show the profile',
      async () => {
        const t = (await state()).timeline;
        return t?.model && !t.live ? t : undefined;
      },
      30_000,
      50,
    );
    assert.equal(final.profilePath, profilePath);
    const tree = (await readProfile(profilePath)).series.find((s) => s.kind === 'rss-tree');
    assert.ok(tree, 'the profile has no RSS series of the tree');
    assert.equal(final.model!.treeSamples, tree.tMs.length);
    assert.ok(
      lastLive.points <= tree.tMs.length && lastLive.points > 0,
      `the view last drew ${lastLive.points} points live; the profile has ${tree.tMs.length}`,
    );
    console.log(
      `live: first drawn ${first.points} points, then ${grown.points} (redraw ${grown.redraws}), last ${lastLive.points} (redraw ${lastLive.redraws}); profile ${tree.tMs.length} samples`,
    );
  });
});
