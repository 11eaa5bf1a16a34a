// Hovers and CodeLens on phase names, in the real editor, on the profile the Profile Build suite
// (profile-tsc.test.ts, run just before) made of the tsc workspace: the Node preload records tsc's
// phases (Program, Parse, Bind, Check, Emit), so a document naming `Check` gets its timing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readProfile } from '../../../server/src/core/profile-file';
import { state, waitFor, waitForServerReady } from './helpers';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

suite('Hovers and CodeLens on phase names', () => {
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    await waitForServerReady();
    const s = await state();
    assert.ok(s.lastResult, 'the Profile Build suite left no profile');
    doc = await vscode.workspace.openTextDocument({
      language: 'typescript',
      content: 'function checkSourceFile() {}\nconst s = "Check";\nfunction bind() {}\nconst banana = 1;\n',
    });
    await vscode.window.showTextDocument(doc);
  });

  test('hover over a string literal naming a phase shows its time and share of the build', async function () {
    this.timeout(30_000);
    const profile = await readProfile((await state()).lastResult!.profilePath);
    assert.ok(
      profile.phases.some((p) => p.name === 'Check'),
      'no Check phase in the profile',
    );
    const at = new vscode.Position(1, doc.lineAt(1).text.indexOf('Check') + 1);
    const text = await waitFor('a hover on "Check"', async () => {
      const t = hoverText(
        (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [],
      );
      return t.includes('**Check**') ? t : undefined;
    });
    assert.match(text, /\*\*Check\*\* — \d+(\.\d+)? (ms|s)( over \d+ spans)? \(\d+\.\d % of the build\)/);
    assert.match(text, / · (V8 heap|RSS|heap|memory \(reported\)) [+-]\d/);
    assert.match(text, /_Profile: `node tsc\.js -p \.`/);
  });

  test('a word that names no phase has no hover of ours', async () => {
    const at = new vscode.Position(3, doc.lineAt(3).text.indexOf('banana') + 1);
    const text = hoverText(
      (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [],
    );
    assert.ok(!text.includes('of the build'), text);
  });

  test('a CodeLens with the timing above the string literal and the definition', async function () {
    this.timeout(30_000);
    const s = await state();
    const lenses = await waitFor('CodeLens on lines 1 and 2', async () => {
      const l =
        (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      return l.some((x) => x.range.start.line === 1) ? l : undefined;
    });
    const check = lenses.find((l) => l.range.start.line === 1)!;
    assert.match(check.command?.title ?? '', /^\d+(\.\d+)? (ms|s) · \d+\.\d % · [+-]\d/);
    assert.equal(check.command?.command, 'compilerMemory.showInTimeline');
    assert.equal(check.command?.arguments?.[0], s.lastResult!.profilePath);
    assert.equal((check.command?.arguments?.[1] as string[] | undefined)?.at(-1), 'Check');
    assert.ok(
      lenses.some((l) => l.range.start.line === 2),
      'no lens above `function bind()`',
    );
    assert.ok(!lenses.some((l) => l.range.start.line === 3), 'a lens above a line naming no phase');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
