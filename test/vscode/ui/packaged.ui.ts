// The .vsix as users get it: installed into code-server (no extensionDevelopmentPath), on a Cargo
// workspace. Catches what the allowlist in .vscodeignore leaves out (a bundle, the preload, the rustc
// wrapper and its executable bit) and what only the production build gets wrong.
import * as assert from 'node:assert/strict';
import { log, openWorkbench, runCommand, screenshot, statusItem } from '../harness/browser';
import { runUiCheck } from '../harness/checks';
import { workspace } from '../harness/env';

void runUiCheck('ui-packaged', async (page, step) => {
  await step('the installed extension activates on a Cargo workspace', async () => {
    await openWorkbench(page, workspace('cargo-vsix'), { dev: false });
    assert.ok(!(await page.title()).includes('Extension Development Host'), `title: ${await page.title()}`);
    await statusItem(page).filter({ hasText: 'Compiler Memory' }).waitFor({ timeout: 60_000 });
  });

  await step(
    'Profile Build runs cargo build with rustc instrumented; the status bar shows the peak in a rustc phase',
    async () => {
      await runCommand(page, 'Compiler Memory: Profile Build');
      const item = statusItem(page).filter({ hasText: /peak|live heap/ });
      await item.waitFor({ timeout: 240_000 });
      const text = (await item.innerText()).trim();
      log('status bar item:', text);
      assert.match(text, /^\d+(\.\d)? MiB (peak|live heap) · \S/);
      assert.ok(!text.endsWith('· no phase'), 'the rustc wrapper recorded no phase around the peak');
      await item.hover();
      await page.locator('.monaco-hover', { hasText: 'Phase at the peak' }).first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'ui-packaged-cargo-peak');
    },
  );
});
