// Names from a hostile trace through every surface end to end: a real profile (`cmi import` of the
// real tsc trace tsc7.tsc-small.trace.json) whose phase names, command, imported file names, series
// names and warnings are rewritten by hostileProfile() (test/hostile-text.ts) with ESC, OSC 52, CR,
// C1, `](command:…)`, `<img src=…>`, blank lines and the like; then `cmi summary` (text and JSON),
// `cmi compare` (text and --markdown), the summary copied as Markdown and the hovers. A terminal gets
// no control character; Markdown rendered by `marked` has no link, image, HTML, heading or list.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPhaseIndex } from '../server/src/core/analysis/phase-index';
import { summaryMarkdown } from '../server/src/core/compare/markdown';
import { readProfile } from '../server/src/core/profile-file';
import { fileMarkdown, phaseMarkdown, profileLine } from '../server/src/lsp/hover';
import { oneLine } from '../common/untrusted-text';
import { cliPath, repoRoot } from './helpers';
import { hostileProfile, renderMarkdown, seenText, TERMINAL_CONTROL } from './hostile-text';

let tmp: string;
const cmi = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 });
/** What a trace's text must never become in rendered Markdown (our own bold, tables and quotes aside). */
const FORBIDDEN = /<(a|img|script|h[1-6]|ul|ol|li|em|del|pre|hr|iframe|svg)\b/i;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-hostile-'));
  const trace = path.join(repoRoot, 'test/fixtures/chrome-trace/tsc7.tsc-small.trace.json');
  const r = cmi('import', trace, '--out', 'real.json');
  if (r.status !== 0) throw new Error(`cmi import: ${r.status}\n${r.stderr}`);
  hostileProfile(path.join(tmp, 'real.json'), path.join(tmp, 'hostile.json'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a hostile profile in the terminal', () => {
  it('cmi summary shows the names with their control characters escaped', () => {
    const r = cmi('summary', 'hostile.json', '--top', '40');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(r.stdout).toContain('\\x1b]52;c;cm0gLXJmIH4=\\x07'); // the OSC 52 write, visible and inert
    expect(r.stdout).toContain('checkSourceFile\\x0dPeak: 1 B (fake line)');
  });

  it('cmi summary --json is the same JSON, with nothing raw a terminal would act on', () => {
    const r = cmi('summary', 'hostile.json', '--json');
    expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(r.stdout).command).toContain('\u009b2J cleared');
  });

  it('cmi compare (text) escapes them too', () => {
    const r = cmi('compare', 'real.json', 'hostile.json');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(r.stdout).toContain('Phases only in head');
  });

  it("cmi builds shows a hostile package.json's script names and commands escaped", () => {
    const dir = path.join(tmp, 'repo');
    mkdirSync(dir);
    const script = 'build:\u001b]52;c;aGk=\u0007x';
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { [script]: 'tsc\r\u001b[2Kok' } }));
    const r = cmi('builds', dir);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(r.stdout).toContain('build:\\x1b]52;c;aGk=\\x07x');
    const json = cmi('builds', dir, '--json');
    expect(json.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(json.stdout)[0].name).toBe(`npm run ${script}`);
  });

  it('an error quoting the file does not pass its control characters on', () => {
    const r = cmi('summary', '\u001b]52;c;aGk=\u0007.json');
    expect(r.status).toBe(3);
    expect(r.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(r.stderr).toContain('\\x1b]52;c;aGk=\\x07.json');
  });
});

describe('a hostile profile as Markdown', () => {
  it('cmi compare --markdown: no link, image or HTML from the trace reaches the comment', () => {
    const r = cmi('compare', 'real.json', 'hostile.json', '--markdown');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    const html = renderMarkdown(r.stdout);
    expect(html).not.toMatch(FORBIDDEN);
    // The names are there, as text.
    expect(seenText(html)).toContain('<img src=https://evil.example/p.png>');
    expect(seenText(html)).toContain('[Profile Build](command:workbench.action.terminal.new)');
  });

  it('the summary copied as Markdown', async () => {
    const html = renderMarkdown(summaryMarkdown(await readProfile(path.join(tmp, 'hostile.json')), { top: 40 }));
    expect(html).not.toMatch(FORBIDDEN);
    expect(seenText(html)).toContain('![x](https://evil.example/p.png)');
  });

  it('every hover of every phase, and the profile line', async () => {
    const index = buildPhaseIndex(await readProfile(path.join(tmp, 'hostile.json')));
    expect(index.byName.size).toBeGreaterThan(20);
    // Our own Markdown: the phase in bold, its paths as code, the profile line in italics (one <em>).
    const ours = (html: string) => html.replace('<em>', '');
    for (const s of index.byName.values()) {
      const html = renderMarkdown(phaseMarkdown(index, s));
      expect(ours(html), s.name).not.toMatch(FORBIDDEN);
      expect(seenText(html), s.name).toContain(oneLine(s.name));
    }
    expect(ours(renderMarkdown(profileLine(index)))).not.toMatch(FORBIDDEN);
    for (const f of index.byFile.values()) {
      const html = renderMarkdown(fileMarkdown(index, [f], 'File:'));
      expect(ours(html.replace(/<\/?(ul|li)>/g, ''))).not.toMatch(FORBIDDEN); // the phases are our list
    }
  });
});
