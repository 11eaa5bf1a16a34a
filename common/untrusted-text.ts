// Text from a trace (phase and arena names, commands, file paths, warnings quoting a file) shown on a
// surface that interprets some of it: a terminal (escape sequences), Markdown (links, images, raw
// HTML), VS Code's notifications (`[label](command:…)` links). Every such surface passes trace text
// through one of these functions; our own markup is written around the result. Pure; imports nothing.
//
// What each one guarantees, for any input:
//  - terminalText: no C0 control but \n and \t, no DEL, no C1, no bidirectional override; each is
//    shown as a visible `\xHH` / `\uHHHH`, so an ESC, OSC 52 (clipboard write) or CR can't act, and
//    what was hidden in a name can be seen.
//  - markdownText: plain text in CommonMark/GFM: what Markdown interprets inline is backslash-escaped
//    (`<`, `>`, `&` as entities), so no emphasis, link, image, HTML, code span, table cell break or
//    `$(icon)` starts in it; no line break (a newline is a space) and no block marker at its start,
//    so it can't start a block; no autolink (`https\://`, `www\.`).
//  - markdownCode: an inline code span holding the text literally, whatever backticks it contains.
//  - notificationText: no `[label](target)` link for VS Code's notifications to make clickable.
//  - labelText: no `$(icon)` for a status bar item's text or a CodeLens title to draw.

/** C0 but \t and \n, DEL, C1, and the bidirectional embeddings, overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** Trace text for a terminal: control characters and escape sequences shown, not acted on (\n, \t kept). */
export function terminalText(s: string): string {
  return s.replace(CONTROL, visible);
}

/**
 * JSON text (JSON.stringify's) for a terminal: the controls JSON leaves raw (DEL, C1, bidirectional
 * overrides) written as `\uHHHH` escapes, so the JSON reads back the same and the terminal acts on none.
 */
export function terminalJson(json: string): string {
  return json.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Trace text on one line (a progress line redrawn in place): line breaks become a space, other controls are shown as `\xHH`. */
export function oneLine(s: string): string {
  return s
    .replace(/\r\n|[\r\n\u2028\u2029\u0085]/g, ' ')
    .replace(/\t/g, ' ')
    .replace(CONTROL, visible);
}

/**
 * What starts something inline: code, emphasis, links and images, HTML and entities, table cells,
 * strikethrough, `$(icon)` and math, e-mail autolinks. `_` between two letters or digits can't start
 * or end emphasis (CommonMark's flanking rules), so `type_check_crate` stays as it is.
 */
const INLINE = /[\\`*[\]<>&|~$!@]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
const ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * Trace text as literal Markdown text, on one line (usable in prose, a list item and a table cell):
 * what starts something inline is escaped (`<`, `>`, `&` as entities), autolinks are broken
 * (`https\://`, `www\.`), and what would start a block at the beginning of a line is escaped.
 */
export function markdownText(s: string): string {
  return oneLine(s)
    .replace(INLINE, (c) => ENTITY[c] ?? `\\${c}`)
    .replace(/([A-Za-z][\w+.-]*):(?=\/\/)/g, '$1\\:')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/^(\s*)([#+=-]|\d+(?=[.)]))/, (_m, sp: string, c: string) =>
      /\d/.test(c) ? `${sp}${c}\\` : `${sp}\\${c}`,
    );
}

/**
 * Trace text as an inline code span (nothing in a code span is interpreted, but for a table's `|`).
 * The fence is one backtick longer than the longest run inside; `inTable` escapes `|` as GFM asks.
 */
export function markdownCode(s: string, opts: { inTable?: boolean } = {}): string {
  let text = oneLine(s);
  if (!text) return '` `';
  if (opts.inTable) text = text.replace(/\|/g, '\\|');
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  // A space on each side when the text starts or ends with a backtick or a space (CommonMark strips one).
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Trace text in a message for `showInformationMessage` and its kin, which turn `[label](target)`
 * into a link (`command:` targets included): `](` is broken up, control characters are shown.
 */
export function notificationText(s: string): string {
  return oneLine(s).replace(/\]\s*\(/g, '] (');
}

/** Trace text in a label that draws `$(name)` as an icon (status bar text, CodeLens titles): shown as written. */
export function labelText(s: string): string {
  return oneLine(s).replace(/\$\(/g, '\\$(');
}
