// A trace whose command carries Markdown (a blank line, a foreign `command:` link, a remote image, raw
// HTML), imported into the real VS Code: the status-bar tooltip, a trusted MarkdownString, shows it as
// text. Made from the real tsc trace test/fixtures/chrome-trace/tsc7.tsc-small.trace.json by wrapping
// its events in the object form with the command in `otherData["cmi.run"]`, as `cmi export` writes it.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../harness/env';
import { renderMarkdown, seenText } from '../../hostile-text';
import { importProfile, imported, state, waitForServerReady } from './helpers';

const TSC7 = path.join(repoRoot, 'test/fixtures/chrome-trace/tsc7.tsc-small.trace.json');
const HOSTILE_ARG =
  '.\n\n[Run this](command:workbench.action.terminal.new) ![x](https://evil.example/p.png) <img src=https://evil.example/i.png>';

suite('A hostile trace', () => {
  let dir: string;
  suiteSetup(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cmi-hostile-trace-'));
    await waitForServerReady();
  });
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('the status-bar tooltip shows its command as text: only our command links, no image', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'hostile.trace.json');
    const traceEvents = JSON.parse(readFileSync(TSC7, 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({
        otherData: { 'cmi.run': JSON.stringify({ command: ['tsc', '-p', HOSTILE_ARG] }) },
        traceEvents,
      }),
    );
    const { summary } = imported(await importProfile([file]));
    assert.deepEqual(summary.command, ['tsc', '-p', HOSTILE_ARG]);

    const { tooltip } = (await state()).statusBar;
    const html = renderMarkdown(tooltip);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(hrefs.length >= 4, `the tooltip's own links: ${hrefs.join(', ')}`);
    for (const h of hrefs) assert.match(h, /^command:compilerMemory\.[A-Za-z]+$/, `a link not of ours: ${h}`);
    assert.doesNotMatch(html, /<img\b/);
    const text = seenText(html);
    assert.ok(
      text.includes('[Run this](command:workbench.action.terminal.new) ![x](https://evil.example/p.png) <img'),
      `the command as text: ${text}`,
    );
  });
});
