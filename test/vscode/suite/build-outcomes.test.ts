// Builds that don't end well, set up with compilerMemory.build.command.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readProfile } from '../../../server/src/core/profile-file';
import { isAlive, profileBuild, profiled, setBuildCommand, state, waitFor, waitForServerReady } from './helpers';

const MiB = 1024 * 1024;

// A build that starts a child (holding 64 MiB) and never ends; writes both pids to a file.
const SLOW_BUILD = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const child = spawn(process.execPath, ['-e', 'const keep = []; for (let i = 0; i < 64; i++) keep.push(Buffer.alloc(1 << 20, i)); setInterval(() => keep.length, 1000);'], { stdio: 'inherit' });
console.log('slow build: parent', process.pid, 'child', child.pid);
setTimeout(() => fs.writeFileSync(process.argv[2], JSON.stringify({ parent: process.pid, child: child.pid })), 500);
setInterval(() => {}, 1000);
`;

suite('Profile Build: failing, cancelled and unstartable builds', () => {
  suiteSetup(async () => {
    await waitForServerReady();
  });
  teardown(async () => {
    await setBuildCommand(undefined);
  });

  test('a failing build: the status bar says failed, the message offers the build output', async function () {
    this.timeout(60_000);
    await setBuildCommand(['node', '-e', 'console.error("cmi-e2e: deliberate failure"); process.exit(3)']);
    const { summary } = profiled(await profileBuild());
    assert.equal(summary.status, 'failed');
    assert.equal(summary.exitCode, 3);
    const s = await state();
    assert.match(s.statusBar.text, /^\$\(error\) build failed · /);
    assert.equal(s.lastNotice?.severity, 'error');
    assert.match(s.lastNotice?.message ?? '', /the build failed \(exited with code 3\)/);
    // The build's stderr streamed to the Build Output channel, followed by the summary.
    assert.match(
      s.buildOutputTail,
      /^\$ node -e .*\n(.|\n)*cmi-e2e: deliberate failure\n(.|\n)*── failed \(exited with code 3\)/,
    );
  });

  test('Cancel Profiling stops the whole process tree; the partial profile is kept', async function () {
    this.timeout(90_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cmi-e2e-slow-'));
    const script = path.join(dir, 'slow-build.js');
    const pidFile = path.join(dir, 'pids.json');
    writeFileSync(script, SLOW_BUILD);
    await setBuildCommand(['node', script, pidFile]);

    const pending = profileBuild();
    await waitFor('the slow build to start its child', () => existsSync(pidFile), 30_000);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { parent: number; child: number };
    const live = await waitFor(
      'live progress above 64 MiB',
      async () => {
        const s = await state();
        return s.running?.progress && s.running.progress.peakTreeRssBytes > 64 * MiB ? s : undefined;
      },
      30_000,
    );
    assert.match(live.statusBar.text, /^\$\(loading~spin\) \d/);
    const second = await profileBuild();
    assert.equal(second.kind, 'refused');
    assert.match((second as { reason: string }).reason, /slow-build\.js .* is being profiled already/);
    assert.equal(await vscode.commands.executeCommand('compilerMemory.cancelProfiling'), true);

    const cancelled = profiled(await pending);
    const { summary } = cancelled;
    assert.equal(summary.status, 'cancelled');
    // The user's own cancel stopped the processes: no warning says so.
    const warnings = (await readProfile(cancelled.profilePath)).warnings;
    assert.ok(!warnings.some((w) => /stopped/.test(w.code)), `warnings: ${warnings.map((w) => w.code).join(', ')}`);
    assert.ok(
      summary.peak && summary.peak.bytes > 64 * MiB,
      `peak ${summary.peak?.bytesText}: the child's 64 MiB should be in the tree's RSS`,
    );
    const s = await state();
    assert.match(s.statusBar.text, /^\$\(warning\) cancelled · \d+(\.\d)? MiB (peak|live heap) · /);
    await waitFor("the build's processes to be gone", () => !isAlive(pids.parent) && !isAlive(pids.child), 10_000);
  });

  test('a command that cannot be started: an error message, no profile', async () => {
    await setBuildCommand(['cmi-e2e-no-such-command']);
    const outcome = await profileBuild();
    assert.equal(outcome.kind, 'error', JSON.stringify(outcome));
    const s = await state();
    assert.equal(s.lastNotice?.severity, 'error');
    assert.match(s.lastNotice?.message ?? '', /cmi-e2e-no-such-command.*command not found/);
    assert.equal(s.server.health, 'ready');
  });
});
