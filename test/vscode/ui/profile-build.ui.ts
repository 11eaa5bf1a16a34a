// Through the real workbench: palette → "Compiler Memory: Profile Build" → the progress notification
// with the live RSS → the status bar item with the peak → its click opens the timeline, whose webview
// shows the peak label and the phase lanes. Screenshots in test-artifacts/vscode/screenshots/.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { log, openWorkbench, runCommand, screenshot, statusItem, toast, webviewFrame } from '../harness/browser';
import { runUiCheck } from '../harness/checks';
import { workspace } from '../harness/env';

void runUiCheck('ui-profile-build', async (page, step) => {
  await step('the workbench opens the TypeScript workspace with the extension', async () => {
    await openWorkbench(page, workspace('tsc-ui'));
    await statusItem(page).filter({ hasText: 'Compiler Memory' }).waitFor({ timeout: 60_000 });
    log('status bar item:', await statusItem(page).innerText());
  });

  await step(
    'Profile Build from the palette shows a progress notification with the live RSS, peak and phase',
    async () => {
      await runCommand(page, 'Compiler Memory: Profile Build');
      await toast(page, 'Profiling').waitFor({ timeout: 30_000 });
      // Live figures come every 200 ms; tsc spends about a second in its Check phase.
      const live = toast(page, /RSS \d+(\.\d)? MiB · peak \d+(\.\d)? MiB · (?!no phase yet)[A-Za-z]/);
      await live.waitFor({ timeout: 30_000 });
      log('notification:', (await live.innerText()).replace(/\s+/g, ' '));
      await screenshot(page, 'ui-profile-build-1-progress');
    },
  );

  await step('afterwards the status bar item shows the peak and its phase', async () => {
    const item = statusItem(page).filter({ hasText: /peak|live heap/ });
    await item.waitFor({ timeout: 120_000 });
    const text = (await item.innerText()).trim();
    log('status bar item:', text);
    assert.match(text, /^\d+(\.\d)? MiB (peak|live heap) · \S.*$/);
    await item.hover();
    await page.locator('.monaco-hover', { hasText: 'Phase at the peak' }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'ui-profile-build-2-peak');
  });

  await step(
    'clicking the status bar item opens the timeline: the peak label with its phase, and the phase lanes',
    async () => {
      await page.keyboard.press('Escape');
      const item = statusItem(page).filter({ hasText: /peak|live heap/ });
      const phase = (await item.innerText()).trim().split(' · ').at(-1)!;
      await item.click();
      await page.locator('.tab', { hasText: 'Memory Timeline' }).first().waitFor({ timeout: 20_000 });
      const view = webviewFrame(page);
      const label = view.locator('#cmi-peak-label');
      await label.waitFor({ timeout: 30_000 });
      const text = (await label.innerText()).replace(/\s+/g, ' ');
      log('peak label:', text);
      assert.match(text, /Peak (of the live heap )?\d+(\.\d)? MiB/);
      assert.ok(text.includes(phase), `the peak label does not name the phase ${phase}`);
      const phases = view.locator('#cmi-visible-phases li');
      await phases.first().waitFor({ state: 'attached', timeout: 20_000 });
      const names = await phases.allTextContents();
      log(`${names.length} phases in view, e.g.`, names.slice(0, 5).join(' | '));
      assert.ok(
        names.some((n) => n.includes('Check')),
        `no Check phase among ${names.slice(0, 20).join(', ')}`,
      );
      // The chart draws once the first window of series has come back through the extension and the server.
      await page.waitForTimeout(1500);
      await screenshot(page, 'ui-profile-build-3-timeline');
    },
  );

  await step('hovering a phase name in a source file shows its timing', async () => {
    await page.keyboard.press('Escape');
    writeFileSync(path.join(workspace('tsc-ui'), 'phases.ts'), 'export const phase = "Check";\n');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('phases.ts');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'phases.ts' })
      .first()
      .waitFor({ timeout: 20_000 });
    await input.press('Enter');
    const word = page.locator('.monaco-editor .view-lines span', { hasText: /^"Check"$/ }).last();
    await word.waitFor({ timeout: 20_000 });
    const hover = page.locator('.monaco-hover', { hasText: 'of the build' }).first();
    for (let i = 0; i < 10 && !(await hover.isVisible()); i++) {
      // The language server answers once it has the document; move the mouse off and back on to ask again.
      await page.mouse.move(0, 0);
      await word.hover();
      await hover.waitFor({ timeout: 3000 }).catch(() => undefined);
    }
    const text = (await hover.innerText()).replace(/\s+/g, ' ');
    log('hover:', text);
    assert.match(text, /Check — \d+(\.\d+)? (ms|s)( over \d+ spans)? \(\d+\.\d % of the build\)/);
    await screenshot(page, 'ui-profile-build-4-hover');
  });
});
