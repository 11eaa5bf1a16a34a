// The pieces of an HTML page that the views share, on both sides: the extension's webview panels
// (client/) and the self-contained reports of the CLI (server/src/report, server/src/compare-report).
// Pure string functions; they import nothing.

/** JSON that is safe inside a <script> element: no <, >, & or line separators left as such. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text for an element or an attribute value. */
export function escapeHtmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A bundle inlined in a <script> or <style>: it can't end its element early, and has no source map comment. */
export function inlineCode(code: string, element: 'script' | 'style'): string {
  const bare = code.replace(/\n\/[/*]# sourceMappingURL=[^\n]*$/m, '');
  return element === 'script'
    ? bare.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')
    : bare.replace(/<\/(style)/gi, '<\\/$1');
}

export interface PageParts {
  /** The Content Security Policy (a nonce for the scripts and styles inlined or linked). */
  csp: string;
  title: string;
  /** Extra <head> content already escaped: a <style nonce> with the CSS, or a <link>. */
  head: string;
  bodyClass?: string;
  /** The id of the element the view renders into. */
  rootId: string;
  /** JSON data blocks (<script type="application/json" id=…>), escaped here. */
  data?: { id: string; value: unknown }[];
  /** The scripts, already complete elements (<script nonce …>). */
  scripts: string[];
  generator?: string;
}

/** A page of one of the views: the policy first, the data as inert JSON blocks, then the scripts. */
export function viewPage(p: PageParts): string {
  const title = p.title.length > 200 ? `${p.title.slice(0, 199)}…` : p.title;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${p.csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">${p.generator ? `\n<meta name="generator" content="${escapeHtmlText(p.generator)}">` : ''}
<title>${escapeHtmlText(title)}</title>
${p.head}
</head>
<body${p.bodyClass ? ` class="${escapeHtmlText(p.bodyClass)}"` : ''}>
<div id="${p.rootId}"></div>
${(p.data ?? []).map((d) => `<script type="application/json" id="${d.id}">${jsonForScript(d.value)}</script>\n`).join('')}${p.scripts.join('\n')}
</body>
</html>
`;
}

/** The policy of a self-contained page: nothing but the scripts and styles carrying the nonce. */
export function selfContainedCsp(nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src data:`].join(
    '; ',
  );
}
