// Compare runs in the real editor, on the TypeScript workspace: Set as Baseline on the last profile,
// Profile Build (repeat N) with the change against it in the status bar, Compare with Baseline (one
// panel beside: curves, per-phase and arena tables, Copy as Markdown and Save as… buttons; nothing
// else opens), Copy Summary as Markdown (the clipboard), Clear Baseline.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BaselineOutcome } from '../../../client/src/baseline-commands';
import type { CompareOutcome, CopyOutcome } from '../../../client/src/compare-command';
import type { ProfileOutcome } from '../../../client/src/ctx';
import type { BaselineInfo } from '../../../protocol/custom-messages';
import { readProfile } from '../../../server/src/core/profile-file';
import { profileBuild, profiled, state, waitForServerReady } from './helpers';

const baseline = () => vscode.commands.executeCommand<BaselineInfo | null>('compilerMemory.internal.baseline');

suite('Compare runs: baseline, repeated runs, Markdown', () => {
  suiteSetup(async () => {
    await waitForServerReady();
    await vscode.commands.executeCommand('compilerMemory.clearBaseline');
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('compilerMemory.clearBaseline');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Compare with Baseline without a baseline says so and offers to set one', async () => {
    // A profile of this workspace's tsc, the baseline of the tests below.
    const base = profiled(await profileBuild());
    assert.equal(base.summary.status, 'ok', base.summary.report);
    assert.equal(base.summary.baseline, undefined);
    assert.equal(await baseline(), null);
    const outcome = (await vscode.commands.executeCommand<CompareOutcome>('compilerMemory.compareWithBaseline'))!;
    assert.equal(outcome.kind, 'refused', JSON.stringify(outcome));
    assert.match((await state()).lastNotice?.message ?? '', /no baseline is set/);
  });

  test('Set as Baseline keeps the last profile, with its command and facts', async () => {
    const last = (await state()).lastResult!;
    const outcome = (await vscode.commands.executeCommand<BaselineOutcome>('compilerMemory.setBaseline'))!;
    assert.equal(outcome.kind, 'set', JSON.stringify(outcome));
    const b = await baseline();
    assert.ok(b, 'getBaseline reports no baseline');
    assert.equal(b.sourcePath, last.profilePath);
    assert.deepEqual(b.command, last.summary.command);
    assert.equal(b.runs, 1);
    assert.ok(b.facts['tool:typescript'], `no TypeScript version among the facts: ${JSON.stringify(b.facts)}`);
    assert.ok(b.storedPath.startsWith((await state()).storageDir), `${b.storedPath} is not in the extension's storage`);
  });

  test('Profile Build (repeat 2): medians over 2 runs, the change against the baseline in the status bar', async function () {
    this.timeout(240_000);
    const outcome = (await vscode.commands.executeCommand<ProfileOutcome>('compilerMemory.profileBuildRepeat', 2))!;
    const result = profiled(outcome);
    const { summary } = result;
    assert.equal(summary.status, 'ok', summary.report);
    assert.equal(summary.repeat?.runs, 2, JSON.stringify(summary.repeat));
    assert.deepEqual(summary.repeat.statuses, ['ok', 'ok']);
    assert.match(summary.repeat.peakText ?? '', /MiB \(.+ MiB–.+ MiB\)$/);
    const profile = await readProfile(result.profilePath);
    assert.equal(profile.repeat?.runs, 2);
    assert.ok(
      profile.repeat.series.some((s) => s.kind === 'rss-tree' && s.peakBytes.n === 2),
      'no median of the tree RSS over 2 runs',
    );

    assert.ok(summary.baseline, 'the summary has no change against the baseline');
    assert.match(summary.baseline.peakDeltaText, /^[+\u2212]?\d+\.\d %$/);
    const s = await state();
    assert.match(s.statusBar.text, / · (≈ )?[+\u2212]?\d+\.\d % vs baseline$/, s.statusBar.text);
    assert.match(s.statusBar.tooltip, /Against the baseline/);
    assert.match(s.statusBar.tooltip, /command:compilerMemory\.compareWithBaseline/);
    assert.match(s.statusBar.tooltip, /command:compilerMemory\.copySummaryMarkdown/);
    console.log(
      `tsc ×2: peak ${summary.repeat.peakText}, wall ${summary.repeat.wallText}; status bar: ${s.statusBar.text}`,
    );
  });

  test('Compare with Baseline opens one panel beside, and no Markdown document', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const outcome = (await vscode.commands.executeCommand<CompareOutcome>('compilerMemory.compareWithBaseline'))!;
    assert.equal(outcome.kind, 'compared', JSON.stringify(outcome));
    const { markdown, comparison } = (outcome as Extract<CompareOutcome, { kind: 'compared' }>).result;
    assert.ok(markdown.includes('| metric | base | head | Δ | Δ % |'), markdown);
    assert.match(markdown, /^Base: `.*tsc\.js -p \.` — 1 run \(ok\)/m);
    assert.match(markdown, /^Head: `.*tsc\.js -p \.` — 2 runs \(ok\)/m);
    assert.equal(comparison.head.runs, 2);
    // What the editor shows: one tab, the panel; no untitled Markdown, no preview, nothing dirty.
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.deepEqual(
      tabs.map((t) => t.label),
      ['Memory Compared by Phase'],
      `tabs: ${tabs.map((t) => t.label).join(', ')}`,
    );
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.isUntitled || d.languageId === 'markdown'),
      'a Markdown or untitled document was opened',
    );
    assert.ok(!tabs.some((t) => t.isDirty), 'a tab asks to be saved');
    // The panel: both curves aligned by phase, the per-phase deltas, the arena groups, the two buttons.
    const { panel, result } = outcome as Extract<CompareOutcome, { kind: 'compared' }>;
    assert.ok(result.overlay, 'the comparison has no overlay model');
    assert.ok(panel?.rendered, `the compare panel did not draw: ${JSON.stringify(panel)}`);
    assert.equal(panel.title, 'Memory Compared by Phase');
    assert.deepEqual(panel.rendered.buttons, ['Copy as Markdown', 'Save as…']);
    assert.equal(panel.rendered.arenaRows, comparison.arenas.length);
    assert.equal(panel.rendered.curves.length, 2);
    for (const n of panel.rendered.curves) assert.ok(n > 1, `a curve has ${n} points`);
    assert.equal(panel.rendered.peakLabels.length, 2, JSON.stringify(panel.rendered));
    assert.match(panel.rendered.peakLabels[0]!, /^base peak [\d.]+ MiB at /);
    assert.match(panel.rendered.peakLabels[1]!, /^head peak [\d.]+ MiB at /);
    assert.equal(panel.rendered.phaseRows, comparison.phases.length);
  });

  test('the panel\'s "Copy as Markdown" and "Save as…" give the comparison\'s Markdown', async () => {
    const s = await state();
    assert.ok(s.comparePanel, 'no compare panel is open');
    await vscode.env.clipboard.writeText('');
    const copied = await vscode.commands.executeCommand('compilerMemory.internal.comparePanelAction', 'copyMarkdown');
    assert.deepEqual(copied, { kind: 'copied', lines: (await vscode.env.clipboard.readText()).split('\n').length });
    const markdown = await vscode.env.clipboard.readText();
    assert.ok(markdown.includes('| metric | base | head | Δ | Δ % |'), markdown);
    assert.match(
      (await state()).lastNotice?.message ?? '',
      /^Compiler Memory: copied the comparison as Markdown \(\d+ lines\)\.$/,
    );
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cmi-compare-')), 'comparison.md');
    const saved = await vscode.commands.executeCommand(
      'compilerMemory.internal.comparePanelAction',
      'saveMarkdown',
      file,
    );
    assert.deepEqual(saved, { kind: 'saved', file });
    assert.equal(readFileSync(file, 'utf8'), markdown);
    assert.equal((await state()).lastNotice?.message, 'Compiler Memory: saved the comparison to comparison.md.');
  });

  test('Copy Summary as Markdown puts the comparison with the baseline on the clipboard', async () => {
    const outcome = (await vscode.commands.executeCommand<CopyOutcome>('compilerMemory.copySummaryMarkdown'))!;
    assert.equal(outcome.kind, 'copied', JSON.stringify(outcome));
    const copied = outcome as Extract<CopyOutcome, { kind: 'copied' }>;
    assert.equal(copied.againstBaseline, true);
    assert.ok(copied.markdown.includes('| metric | base | head | Δ | Δ % |'));
    assert.equal(await vscode.env.clipboard.readText(), copied.markdown);
  });

  test("Clear Baseline: none is reported, the status bar no longer compares, the summary is the profile's own", async () => {
    const outcome = (await vscode.commands.executeCommand<BaselineOutcome>('compilerMemory.clearBaseline'))!;
    assert.deepEqual(outcome, { kind: 'cleared', cleared: true });
    assert.equal(await baseline(), null);
    const s = await state();
    assert.doesNotMatch(s.statusBar.text, /vs baseline/);
    assert.match(s.statusBar.text, /(peak|live heap) · /);
    const copy = (await vscode.commands.executeCommand<CopyOutcome>('compilerMemory.copySummaryMarkdown'))! as Extract<
      CopyOutcome,
      { kind: 'copied' }
    >;
    assert.equal(copy.againstBaseline, false);
    assert.match(copy.markdown, /^\*\*Build\*\*: `.*` — ok, wall .* \(2 runs, median .*\)/);
    assert.match(copy.markdown, /\*\*Peak\*\*: /);
  });
});
