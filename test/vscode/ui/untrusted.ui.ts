// Restricted Mode: run against a code-server with workspace trust on and the folder not trusted.
// Profile Build must refuse with a clear message and run nothing.
import * as assert from 'node:assert/strict';
import { log, openWorkbench, runCommand, screenshot, statusItem, toast } from '../harness/browser';
import { runUiCheck } from '../harness/checks';
import { workspace } from '../harness/env';

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
});
