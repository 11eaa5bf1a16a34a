import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { readProfile } from '../../../server/src/core/profile-file';
import { folder, OK_STATUS, peakPlace, profileBuild, profiled, state, waitForServerReady } from './helpers';

suite('Profile Build: TypeScript workspace', () => {
  suiteSetup(async () => {
    await waitForServerReady();
  });

  test("runs the workspace's tsc, then the status bar shows the peak and its phase", async function () {
    this.timeout(180_000);
    const result = profiled(await profileBuild());
    const { summary } = result;
    assert.equal(summary.status, 'ok', summary.report);
    assert.deepEqual(summary.command.slice(0, 1), ['node']);
    assert.match(summary.command[1] ?? '', /node_modules[\\/]typescript[\\/]lib[\\/]tsc\.js$/);
    assert.deepEqual(summary.command.slice(2), ['-p', '.']);
    assert.ok(summary.peak, 'no peak was recorded');
    console.log(
      `tsc: ${summary.wallText}, peak ${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || '(no phase)'}; ${summary.phaseCount} phases`,
    );

    const s = await state();
    const m = OK_STATUS.exec(s.statusBar.text);
    assert.ok(m, `status bar text: ${s.statusBar.text}`);
    assert.equal(`${m[1]} ${m[2]}`, summary.peak.bytesText);
    assert.equal(m[2], 'MiB', 'a Node process peaks in MiB');
    assert.equal(m[3], peakPlace(summary.peak));
    // The build's end is said where the eyes are, with the way to the timeline; no literal backticks.
    assert.equal(s.lastNotice?.severity, 'info');
    assert.match(
      s.lastNotice?.message ?? '',
      /^Compiler Memory: “node .*tsc\.js -p \.” done in \d+(\.\d+)? (ms|s) · (live heap|peak) \d+(\.\d)? MiB (in |at exit, after ).+\.$/,
    );
    assert.match(s.statusBar.tooltip, /Phase at the peak/);
    assert.match(s.buildOutputTail, /── ok in .* · profile: .*\.cmi-profile\.json\n/);
    assert.ok(s.buildOutputTail.includes(summary.report), 'the Build Output channel ends with the summary');

    // tsc's phases come from the Node preload.
    const names = new Set([...summary.topPhasesByTime, ...summary.topPhasesByMemory].flatMap((p) => p.path));
    for (const phase of ['Program', 'Check'])
      assert.ok(names.has(phase), `no ${phase} phase among ${[...names].join(', ')}`);
  });

  test('writes the profile to the workspace storage, not into the repository', async () => {
    const s = await state();
    const result = s.lastResult;
    assert.ok(result, 'no last result');
    assert.ok(
      result.profilePath.startsWith(s.storageDir + path.sep),
      `${result.profilePath} is not under ${s.storageDir}`,
    );
    assert.ok(!result.profilePath.startsWith(folder().uri.fsPath + path.sep), 'the profile went into the workspace');
    assert.ok(existsSync(result.profilePath), `${result.profilePath} does not exist`);
    const profile = await readProfile(result.profilePath);
    assert.equal(profile.run.status, 'ok');
    assert.equal(profile.run.cwd, folder().uri.fsPath);
    assert.ok(
      profile.phases.some((p) => p.name === 'Check'),
      'the profile file has no Check phase',
    );
  });
});
