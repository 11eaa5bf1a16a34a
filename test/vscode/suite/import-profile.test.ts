// "Compiler Memory: Import Profile…" with the files given as the command's argument (the dialog is
// for people), on real compiler output from test/fixtures/.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readProfile } from '../../../server/src/core/profile-file';
import { repoRoot } from '../harness/env';
import { importProfile, imported, OK_STATUS, state, waitForServerReady } from './helpers';

// rustc 1.x `-Z time-passes -Z time-passes-format=json` on regex-syntax (see test/fixtures/rustc/COMMAND.txt):
// passes and rustc's own RSS at their boundaries, no sampled series.
const RUSTC_TIME_PASSES = path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt');
// tsc --extendedDiagnostics output cut in the middle of its table.
const TSC_CUT = path.join(repoRoot, 'test/fixtures/typescript/ts6-extendedDiagnostics.cut-mid-row.stdout.txt');
const PACKAGE_JSON = path.join(repoRoot, 'package.json');

suite('Import Profile', () => {
  suiteSetup(async () => {
    await waitForServerReady();
  });

  test('rustc -Z time-passes output: the status bar shows the peak rustc reported and its pass', async function () {
    this.timeout(60_000);
    const result = imported(await importProfile([RUSTC_TIME_PASSES]));
    const { summary } = result;
    assert.deepEqual(summary.importedFrom, [RUSTC_TIME_PASSES]);
    assert.equal(summary.status, 'ok');
    console.log(
      `imported rustc: ${summary.phaseCount} phases, peak ${summary.peak?.bytesText} in ${summary.peak?.phasePath.join(' › ')} (${summary.peak?.seriesName})`,
    );

    // No series was sampled: the peak is the highest RSS rustc reported at a pass boundary.
    assert.ok(summary.peak, 'no peak');
    assert.match(summary.peak.seriesName, /reported by the compiler/);
    assert.equal(summary.peak.bytesText, '297.7 MiB');
    assert.deepEqual(summary.peak.phasePath, ['rustc #1', 'codegen_crate', 'codegen_to_LLVM_IR']);
    assert.equal(summary.phaseCount, 57);
    const byTime = summary.topPhasesByTime.map((p) => p.path.join(' › '));
    assert.deepEqual(byTime.slice(0, 3), [
      'rustc #1 › type_check_crate',
      'rustc #1 › LLVM_passes',
      'rustc #1 › MIR_borrow_checking',
    ]);

    // What the user sees: the same status bar as after Profile Build, the tooltip says where it came from.
    const s = await state();
    const m = OK_STATUS.exec(s.statusBar.text);
    assert.ok(m, `status bar text: ${s.statusBar.text}`);
    assert.equal(s.statusBar.text, '$(pulse) 297.7 MiB peak · codegen_to_LLVM_IR');
    const tooltip = s.statusBar.tooltip.replace(/&nbsp;/g, ' ').replace(/\\(?=\W|_)/g, ''); // the Markdown's escapes
    assert.match(tooltip, /Imported from: `[^`]*time-passes\.regex-syntax\.debug\.json\.txt`/);
    assert.match(tooltip, /Phase at the peak: rustc #1 › codegen_crate › codegen_to_LLVM_IR/);
    assert.deepEqual(s.lastResult, result);
    assert.equal(s.lastOutcome?.kind, 'imported');
    assert.ok(s.buildOutputTail.includes(summary.report), 'Build Output ends with the summary');

    // Stored beside the profiled builds, in the workspace storage.
    assert.ok(
      result.profilePath.startsWith(path.join(s.storageDir, 'profiles') + path.sep),
      `${result.profilePath} is not under ${s.storageDir}`,
    );
    assert.ok(existsSync(result.profilePath), `${result.profilePath} does not exist`);
    const profile = await readProfile(result.profilePath);
    assert.deepEqual(profile.run.importedFrom, [RUSTC_TIME_PASSES]);
    assert.ok(
      profile.phases.some((p) => p.name === 'type_check_crate'),
      'the profile file has no type_check_crate phase',
    );
  });

  test('a file given as a Uri works the same', async function () {
    this.timeout(60_000);
    const result = imported(await importProfile([vscode.Uri.file(RUSTC_TIME_PASSES)]));
    assert.deepEqual(result.summary.importedFrom, [RUSTC_TIME_PASSES]);
    assert.equal((await state()).statusBar.text, '$(pulse) 297.7 MiB peak · codegen_to_LLVM_IR');
  });

  test('package.json: an error message naming the file, and the last result stays', async function () {
    this.timeout(60_000);
    const before = await state();
    const outcome = await importProfile([PACKAGE_JSON]);
    assert.equal(outcome.kind, 'error', JSON.stringify(outcome));
    const s = await state();
    assert.equal(s.lastNotice?.severity, 'error');
    assert.ok(
      s.lastNotice?.message.startsWith(
        `Compiler Memory: could not import: ${PACKAGE_JSON}: not a format this tool reads`,
      ),
      `message: ${s.lastNotice?.message}`,
    );
    assert.equal(s.statusBar.text, before.statusBar.text);
    assert.deepEqual(s.lastResult, before.lastResult);
    assert.equal(s.server.health, 'ready');
  });

  test('a tsc report cut in the middle of its table: the message names the file and the line', async function () {
    this.timeout(60_000);
    const outcome = await importProfile([TSC_CUT]);
    assert.equal(outcome.kind, 'error', JSON.stringify(outcome));
    assert.match(
      (await state()).lastNotice?.message ?? '',
      /^Compiler Memory: could not import: .*ts6-extendedDiagnostics\.cut-mid-row\.stdout\.txt:29: row "Check time"/,
    );
  });

  test('a file that does not exist, and an argument that is no file', async function () {
    this.timeout(60_000);
    const missing = path.join(repoRoot, 'test/fixtures/rustc/no-such-file.json');
    assert.equal((await importProfile([missing])).kind, 'error');
    assert.equal((await state()).lastNotice?.message, `Compiler Memory: could not import: ${missing}: no such file`);
    const outcome = await importProfile([42]);
    assert.equal(outcome.kind, 'refused', JSON.stringify(outcome));
    assert.match(
      (await state()).lastNotice?.message ?? '',
      /could not import: 42 is neither a file path nor a file URI/,
    );
  });
});
