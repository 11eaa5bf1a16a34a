// Names a hostile trace can carry, for the tests of every surface that shows trace text (terminal,
// Markdown, notifications, labels), the one rewrite that puts them into a real profile, and how the
// tests read rendered Markdown: with `marked`, the renderer VS Code's MarkdownString uses (here the
// copy @vscode/vsce depends on).
import { readFileSync, writeFileSync } from 'node:fs';
import { marked } from 'marked';

/** Each one tries something a surface could act on; the label says what. */
export const HOSTILE: Record<string, string> = {
  'ANSI colour': '\u001b[31mred\u001b[0m',
  'OSC title': '\u001b]0;pwned\u0007',
  'OSC 52 clipboard write': '\u001b]52;c;cm0gLXJmIH4=\u0007',
  'CR overwrite': 'checkSourceFile\rPeak: 1 B (fake line)',
  'C1 CSI': '\u009b2J cleared',
  'bidi override': 'safe\u202egnp.exe',
  'blank line + command link': 'tsc\n\n[Profile Build](command:workbench.action.terminal.new)',
  'command link': 'x](command:compilerMemory.profileBuild) [y',
  'remote image': '![x](https://evil.example/p.png)',
  'raw img': '<img src=https://evil.example/p.png>',
  'script tag': '<script>alert(1)</script>',
  autolink: 'see https://evil.example/a and www.evil.example',
  'e-mail autolink': 'mail me at bob@evil.example',
  'angle autolink': '<https://evil.example>',
  'heading after newline': 'x\n# Heading',
  'heading at start': '# Heading',
  'list at start': '- item',
  'ordered list at start': '1. item',
  'code fence': '```\ncode\n```',
  backticks: 'a `b` ``c``',
  'table pipe': 'a | b | c',
  emphasis: '*em* _em_ **strong** ~~del~~',
  'theme icon': '$(zap) $(loading~spin)',
  entity: '&lt;&amp;',
  'math (GitHub)': '$x^2$',
};

/** Every C0 but \t and \n, DEL, C1, and the bidi controls: what a terminal or a reader could be fooled by. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what the tests look for
export const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A real profile file (from `cmi import` of a real trace) with its names rewritten: the phases' names
 * in turn take each hostile string (prefixed by its rank so that none merge), and the command, the
 * imported file names, the series names and the warnings too. Writes `out`.
 */
export function hostileProfile(src: string, out: string): void {
  const p = JSON.parse(readFileSync(src, 'utf8'));
  const names = Object.values(HOSTILE);
  p.phases.forEach((ph: { name: string }, i: number) => {
    ph.name = `${i}${names[i % names.length]}`;
  });
  p.run.command = ['tsc', ...names];
  p.run.importedFrom = names.slice(0, 3);
  for (const [i, s] of (p.series ?? []).entries()) s.name = `${names[i % names.length]}`;
  p.warnings = [...(p.warnings ?? []), ...names.map((m) => ({ code: 'hostile', message: m }))];
  writeFileSync(out, JSON.stringify(p));
}

/** Markdown as HTML, GitHub-flavoured. */
export function renderMarkdown(md: string): string {
  return marked.parse(md, { gfm: true, async: false }) as string;
}

/** The text a reader sees in rendered HTML: tags dropped, entities decoded. */
export function seenText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
