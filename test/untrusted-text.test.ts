// The escaping of trace text (common/untrusted-text.ts) on each surface, with the hostile names of
// hostile-text.ts: a terminal acts on no control character; Markdown rendered by `marked` shows each
// name as literal text, with no link, image, HTML, heading, list or emphasis; notifications get no
// `[label](target)`.
import { describe, expect, it } from 'vitest';
import {
  labelText,
  markdownCode,
  markdownText,
  notificationText,
  oneLine,
  terminalJson,
  terminalText,
} from '../common/untrusted-text';
import { HOSTILE, renderMarkdown, seenText, TERMINAL_CONTROL } from './hostile-text';

const seen = (html: string) => seenText(html).trim();
/** The elements a trace's text must never produce. */
const INTERPRETED = /<(?!\/?(?:p|code|table|thead|tbody|tr|th|td)>)[a-z!/]/i;

const cases = Object.entries(HOSTILE);

describe('terminalText', () => {
  it.each(cases)('%s: no control character left, each shown as an escape', (_what, s) => {
    const t = terminalText(s);
    expect(t).not.toMatch(TERMINAL_CONTROL);
    expect(t.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, '')).toBe(s.replace(new RegExp(TERMINAL_CONTROL, 'g'), ''));
  });

  it('keeps newlines and tabs, and shows ESC, BEL, CR and CSI as what they are', () => {
    expect(terminalText('a\tb\nc')).toBe('a\tb\nc');
    expect(terminalText(HOSTILE['OSC 52 clipboard write']!)).toBe('\\x1b]52;c;cm0gLXJmIH4=\\x07');
    expect(terminalText('x\ry')).toBe('x\\x0dy');
    expect(terminalText('\u009b2J')).toBe('\\x9b2J');
  });

  it('oneLine leaves no line break either', () => {
    expect(oneLine('a\r\nb\nc\u2028d')).toBe('a b c d');
  });

  it('terminalJson escapes what JSON.stringify leaves raw, and the JSON reads back the same', () => {
    const value = { names: Object.values(HOSTILE), del: '\u007f', c1: '\u0085\u009b' };
    const json = terminalJson(JSON.stringify(value));
    expect(json).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('markdownText and markdownCode, rendered by marked', () => {
  it.each(cases)('%s: shown literally in prose, nothing interpreted', (_what, s) => {
    const html = renderMarkdown(`- Command: ${markdownText(s)}\n- Next: ok`);
    expect(html.replace(/<\/?(ul|li)>/g, '')).not.toMatch(INTERPRETED);
    expect(html.match(/<li>/g)).toHaveLength(2);
    expect(seen(html.replace(/<\/li>\s*<li>/, '\n'))).toBe(`Command: ${oneLine(s)}\nNext: ok`);
  });

  it.each(cases)('%s: shown literally at the start of a paragraph', (_what, s) => {
    const html = renderMarkdown(markdownText(s));
    expect(html).not.toMatch(INTERPRETED);
    expect(seen(html)).toBe(oneLine(s).trim());
  });

  it.each(cases)('%s: one table cell, shown literally, as text and as code', (_what, s) => {
    const html = renderMarkdown(
      `| a | b | c |\n|---|---|---|\n| ${markdownText(s)} | ${markdownCode(s, { inTable: true })} | end |`,
    );
    expect(html).not.toMatch(INTERPRETED);
    const cells = [...html.matchAll(/<td>(.*?)<\/td>/g)].map((m) => seen(m[1]!));
    expect(cells).toEqual([oneLine(s).trim(), oneLine(s), 'end']);
  });

  it.each(cases)('%s: a code span holds it literally', (_what, s) => {
    const html = renderMarkdown(`Build: ${markdownCode(s)} done`);
    expect(html).not.toMatch(INTERPRETED);
    expect(html.match(/<code>/g)).toHaveLength(1);
    expect(seen(html)).toBe(`Build: ${oneLine(s)} done`);
  });
});

describe('notificationText and labelText', () => {
  // VS Code's notifications find links with this pattern (vs/base/common/linkedText.ts).
  const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

  it.each(cases)('%s: no notification link', (_what, s) => {
    expect(notificationText(`Compiler Memory: can't open ${s}`)).not.toMatch(NOTIFICATION_LINK);
  });

  it('a label shows $(icon) as written', () => {
    expect(labelText('$(zap) x')).toBe('\\$(zap) x');
  });
});
