// Navigation and polish in the real editor (issue 19, items 4 and 7), on the TypeScript workspace
// after Profile Build: the status item's accessible label, the `when` clause keys, "Show in Timeline"
// from a CodeLens and a hover (beside the code, the code kept in front and focused, the phase selected),
// names in comments left alone, the timeline following the newest profile unless pinned, its tab
// named after what was built, Import opening the timeline, and the view's `revealSource` opening the
// phase's file (on a real tsc --generateTrace of this workspace).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyze } from '../../../server/src/core/analysis/analyze';
import { readProfile } from '../../../server/src/core/profile-file';
import { buildTimelineModel } from '../../../server/src/report/timeline-model';
import { repoRoot } from '../harness/env';
import { folder, importProfile, imported, profileBuild, profiled, state, waitFor, waitForServerReady } from './helpers';

const RUSTC_TIME_PASSES = path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt');
const RUSTC_TORN = path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.torn-line.txt');

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

async function timelineWithModel(what: string, profilePath: string) {
  return waitFor(
    what,
    async () => {
      const t = (await state()).timeline;
      return t?.model && t.profilePath === profilePath ? t : undefined;
    },
    30_000,
  );
}

suite('Navigation: Show in Timeline, following the newest profile, accessible labels', () => {
  let doc: vscode.TextDocument;
  let editor: vscode.TextEditor;

  suiteSetup(async function () {
    this.timeout(180_000);
    await waitForServerReady();
    if ((await state()).lastResult?.summary.status !== 'ok') profiled(await profileBuild());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // A saved file outside the workspace (not part of its build; closing it asks nothing).
    const sample = path.join(mkdtempSync(path.join(os.tmpdir(), 'cmi-nav-')), 'sample.ts');
    writeFileSync(sample, '// Check the types before emitting\nconst s = "Check";\n/* Check */ const banana = 1;\n');
    doc = await vscode.workspace.openTextDocument(sample);
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('compilerMemory.unpinTimeline');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the status item: an accessible label in plain words; when clause keys set', async () => {
    const s = await state();
    const label = s.statusBar.accessibilityLabel;
    assert.match(
      label,
      /^Compiler Memory Insight: build ok, (live heap )?peak \d+(\.\d)? (KiB|MiB|GiB) in .+\. Press to open the timeline\.$/,
    );
    assert.ok(label.includes(s.lastResult!.summary.peak!.bytesText), label);
    assert.doesNotMatch(label, /\$\(|\*\*|\]\(|`/, 'Markdown or icons in the accessible label');
    assert.notEqual(label, s.statusBar.tooltip);
    assert.equal(s.contextKeys['compilerMemory.hasProfile'], true);
  });

  test('a comment naming a phase gets no lens and no hover; the string literal does', async function () {
    this.timeout(30_000);
    const lenses = await waitFor('a CodeLens on line 1', async () => {
      const l =
        (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      return l.some((x) => x.range.start.line === 1) ? l : undefined;
    });
    assert.deepEqual(
      lenses.map((l) => l.range.start.line),
      [1],
      'a lens above a comment',
    );
    for (const [line, word] of [
      [0, 'Check'],
      [2, 'Check'],
    ] as const) {
      const at = new vscode.Position(line, doc.lineAt(line).text.indexOf(word) + 1);
      const text = hoverText(
        (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [],
      );
      assert.ok(!text.includes('**Check**'), `a hover in a comment on line ${line}: ${text}`);
    }
  });

  test('the hover ends with a Show in Timeline link naming the profile and the phase', async () => {
    const at = new vscode.Position(1, doc.lineAt(1).text.indexOf('Check') + 1);
    const text = hoverText(
      (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [],
    );
    const m = /\[Show in Timeline\]\(command:compilerMemory\.showInTimeline\?([^)\s]+)\)/.exec(text);
    assert.ok(m, text);
    const [profilePath, phasePath] = JSON.parse(decodeURIComponent(m[1]!)) as [string, string[]];
    assert.equal(profilePath, (await state()).lastResult!.profilePath);
    assert.equal(phasePath.at(-1), 'Check');
  });

  test('a CodeLens click opens the timeline beside the code, the code kept in front, the phase selected', async function () {
    this.timeout(60_000);
    const lens = (
      (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? []
    ).find((l) => l.range.start.line === 1)!;
    assert.equal(lens.command?.command, 'compilerMemory.showInTimeline');
    const [profilePath, phasePath] = lens.command!.arguments as [string, string[]];
    assert.equal(phasePath.at(-1), 'Check');
    await vscode.commands.executeCommand(lens.command!.command, ...lens.command!.arguments!);
    const t = await timelineWithModel('the timeline to get its model', profilePath);
    const selected = await waitFor('the phase to be selected', async () => (await state()).timeline?.selected);
    assert.deepEqual(selected.path, phasePath);
    assert.equal(typeof selected.phase, 'number', 'no span of the phase in the model');
    // Beside, not in the code's place; the code still shown and focused.
    assert.notEqual(t.viewColumn, editor.viewColumn);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString());
    const codeGroup = vscode.window.tabGroups.all.find((g) => g.viewColumn === editor.viewColumn)!;
    assert.ok(codeGroup.activeTab?.input instanceof vscode.TabInputText, 'the timeline replaced the code');
    // The tab names what was built, not a time.
    assert.match(t.title, /^Memory: node tsc\.js -p \.$/);
    // Again from the code: the same panel, beside, the phase selected again.
    await vscode.window.showTextDocument(doc, editor.viewColumn);
    await vscode.commands.executeCommand(lens.command!.command, ...lens.command!.arguments!);
    const again = (await state()).timeline!;
    assert.equal(again.viewColumn, t.viewColumn);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString());
  });

  test('the timeline follows the newest profile; pinned, it keeps its own', async function () {
    this.timeout(90_000);
    const before = (await state()).timeline!;
    const first = imported(await importProfile([RUSTC_TIME_PASSES]));
    const t = await timelineWithModel('the timeline to follow the import', first.profilePath);
    assert.match(t.title, /^Memory: imported: time-passes\.regex-syntax\.debug\.json\.txt$/);
    assert.notEqual(t.profilePath, before.profilePath);

    assert.equal(await vscode.commands.executeCommand('compilerMemory.pinTimeline'), true);
    assert.match((await state()).timeline!.title, /\(pinned\)$/);
    const second = imported(await importProfile([RUSTC_TIME_PASSES]));
    assert.notEqual(second.profilePath, first.profilePath);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await state()).timeline!.profilePath, first.profilePath, 'a pinned timeline changed profile');
    assert.equal(await vscode.commands.executeCommand('compilerMemory.unpinTimeline'), true);
  });

  test('Import opens the timeline and shows the warnings of a damaged file', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const result = imported(await importProfile([RUSTC_TORN]));
    assert.ok(result.summary.warningsCount > 0, 'the torn file gave no warning');
    await timelineWithModel('the timeline of the import', result.profilePath);
    const notice = (await state()).lastNotice!;
    assert.equal(notice.severity, 'warning');
    assert.ok(
      notice.message.startsWith('Compiler Memory: imported time-passes.regex-syntax.debug.json.torn-line.txt with '),
      notice.message,
    );
    assert.ok(notice.message.includes(result.summary.firstWarnings![0]!), notice.message);
    assert.doesNotMatch(notice.message, /`/);
  });

  test("the view's revealSource opens the phase's file in the code's group", async function () {
    this.timeout(120_000);
    // A real trace of this workspace: tsc --generateTrace names the files it checked.
    const traceDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-trace-'));
    const tsc = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'node_modules/typescript/lib/tsc.js'), '-p', '.', '--noEmit', '--generateTrace', traceDir],
      { cwd: folder().uri.fsPath, encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
    );
    assert.equal(tsc.status, 0, tsc.stderr || tsc.stdout);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const code = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const result = imported(await importProfile([path.join(traceDir, 'trace.json')]));
    await timelineWithModel('the timeline of the trace', result.profilePath);
    const profile = await readProfile(result.profilePath);
    const model = buildTimelineModel(profile, analyze(profile));
    const phase = model.phases.findIndex((p) => p.source?.file.startsWith(folder().uri.fsPath));
    assert.ok(phase >= 0, 'no phase of the trace names a file of the workspace');
    const file = model.phases[phase]!.source!.file;
    const t = await vscode.commands.executeCommand<{ revealed: { file: string } | null } | null>(
      'compilerMemory.internal.timelineMessage',
      { type: 'revealSource', phase },
    );
    assert.equal(t?.revealed?.file, file);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);
    assert.equal(vscode.window.activeTextEditor?.viewColumn, code.viewColumn, 'the file opened in a new group');
  });
});
