import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  OK_STATUS,
  peakPlace,
  profileBuild,
  profiled,
  state,
  waitFor,
  waitForServerReady,
  extension,
  folder,
} from './helpers';

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

  test("another crate's doc comment naming `tokenizer` gets no lens and no peak flag; code does", async function () {
    this.timeout(60_000);
    const lib = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder().uri, 'parser/src/lib.rs'));
    await vscode.window.showTextDocument(lib);
    assert.match(lib.lineAt(0).text, /^\/\/!.*`tokenizer`/);
    const lenses = async (d: vscode.TextDocument) =>
      (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', d.uri)) ?? [];
    // The same word in code, in an untitled Rust file: a lens (so the index does know the phase).
    const code = await vscode.workspace.openTextDocument({ language: 'rust', content: 'let t = "tokenizer";\n' });
    const inCode = await waitFor('a lens on "tokenizer" in code', async () => {
      const l = await lenses(code);
      return l.length ? l : undefined;
    });
    assert.equal(inCode[0]!.command?.command, 'compilerMemory.showInTimeline');
    const inLib = await lenses(lib);
    const commentLines = inLib.filter((l) => /^\s*\/\//.test(lib.lineAt(l.range.start.line).text));
    assert.deepEqual(
      commentLines.map((l) => `${l.range.start.line}: ${l.command?.title}`),
      [],
      'lenses above comments',
    );
    assert.ok(!inLib.some((l) => l.command?.title.includes('⚑ peak')), 'a peak flag in parser/src/lib.rs');
    const hovers =
      (await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        lib.uri,
        new vscode.Position(0, lib.lineAt(0).text.indexOf('tokenizer') + 1),
      )) ?? [];
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.ok(!text.includes('**tokenizer**'), text);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
