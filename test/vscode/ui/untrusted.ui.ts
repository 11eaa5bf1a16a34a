// Restricted Mode: run against a code-server with workspace trust on and the folder not trusted.
// Profile Build must refuse with a clear message and run nothing; Import Profile… (which runs nothing) works.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { log, openWorkbench, runCommand, screenshot, statusItem, toast } from '../harness/browser';
import { runUiCheck } from '../harness/checks';
import { repoRoot, workspace } from '../harness/env';

void runUiCheck('ui-untrusted', async (page, step) => {
  await step('the folder opens in Restricted Mode and the extension still loads', async () => {
    await openWorkbench(page, workspace('tsc-untrusted'));
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });
    await statusItem(page).filter({ hasText: 'Compiler Memory' }).waitFor({ timeout: 60_000 });
  });

  await step('Profile Build refuses, saying why', async () => {
    await runCommand(page, 'Compiler Memory: Profile Build');
    const refusal = toast(page, 'untrusted workspace');
    await refusal.waitFor({ timeout: 20_000 });
    const text = (await refusal.innerText()).replace(/\s+/g, ' ');
    log('notification:', text);
    assert.match(text, /builds are not run in an untrusted workspace \(Restricted Mode\)/);
    assert.match(text, /Manage Workspace Trust/);
    await page.waitForTimeout(500); // let the toast finish fading in
    await screenshot(page, 'ui-untrusted-refused');
  });

  await step('no build ran: no progress notification, no peak in the status bar', async () => {
    assert.equal(await toast(page, 'Profiling').count(), 0);
    const text = (await statusItem(page).innerText()).trim();
    assert.ok(!/peak/.test(text), `status bar item: ${text}`);
  });

  await step('Import Profile… works in Restricted Mode: the file dialog, then the peak in the status bar', async () => {
    const file = path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt');
    await runCommand(page, 'Compiler Memory: Import Profile…');
    // code-server's file dialog is a quick input holding a path.
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    // The dialog fills in its starting folder (the workspace) a moment after it opens, over what was
    // typed, and may rewrite a path while it lists its folder: type it until it stays.
    await page.waitForFunction(
      () =>
        /\/$/.test((document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    for (let attempt = 1; ; attempt++) {
      await input.fill(file);
      await page.waitForTimeout(500);
      const value = await input.inputValue();
      if (value === file) break;
      log(`the file dialog changed the path typed into it to ${value} (attempt ${attempt})`);
      assert.ok(attempt < 5, 'the file dialog kept changing the path typed into it');
    }
    await input.press('Enter');
    const item = statusItem(page).filter({ hasText: /peak|live heap/ });
    await item.waitFor({ timeout: 30_000 });
    const text = (await item.innerText()).trim();
    log('status bar item:', text);
    assert.equal(text, '297.7 MiB peak · codegen_to_LLVM_IR');
    await screenshot(page, 'ui-untrusted-imported');
  });
});
