import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { OK_STATUS, peakPlace, profileBuild, profiled, state, waitFor, waitForServerReady, extension } from './helpers';

suite('Profile Build: Cargo workspace', () => {
  test('activates by itself on a workspace with a Cargo.toml', async () => {
    await waitFor('the extension to activate', () => extension().isActive, 20_000);
    await waitForServerReady();
  });

  test('runs cargo build, then the status bar shows the peak and its phase', async function () {
    this.timeout(300_000);
    const result = profiled(await profileBuild());
    const { summary } = result;
    assert.equal(summary.status, 'ok', summary.report);
    assert.deepEqual(summary.command, ['cargo', 'build']);
    assert.ok(summary.peak, 'no peak was recorded');
    console.log(
      `cargo: ${summary.wallText}, peak ${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || '(no phase)'}; ${summary.phaseCount} phases`,
    );

    const s = await state();
    const m = OK_STATUS.exec(s.statusBar.text);
    assert.ok(m, `status bar text: ${s.statusBar.text}`);
    assert.equal(`${m[1]} ${m[2]}`, summary.peak.bytesText);
    assert.equal(m[2], 'MiB');
    assert.equal(m[3], peakPlace(summary.peak));
    assert.ok(summary.phaseCount > 0, 'no rustc phases were recorded');
    assert.ok(
      result.profilePath.startsWith(s.storageDir + path.sep) && existsSync(result.profilePath),
      result.profilePath,
    );
  });
});
