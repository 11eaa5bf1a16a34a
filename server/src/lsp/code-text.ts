// The code of a source file without its comments, for hovers and CodeLens on phase names (issue 19,
// item 7): a doc comment saying "tokenized by `tokenizer`" names no phase, the code does. Comments
// become spaces (line breaks kept), so offsets, lines and columns are those of the document; string
// and character literals are kept as they are (a `"type_check_crate"` label is code).
//
// One lexer for the C family the client sends (Rust, TypeScript/JavaScript, C/C++, Go, Java): `//`
// line comments, `/* */` block comments (nested in Rust), "…" and '…' literals, JS/TS template and Go
// raw `…` strings, Rust raw strings r#"…"#. A Rust lifetime (`'a`) is not a character literal. Linear
// in the text's length; a document's masked text is kept per version (masked()).

/** Languages whose block comments nest (an inner opener needs its own closer). */
const NESTED_BLOCK_COMMENTS = new Set(['rust']);
/** Languages where `…` is a string (template literals, Go raw strings); elsewhere a backtick is text. */
const BACKTICK_STRINGS = new Set(['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'go']);

/** A document's language from its VS Code language id, else from its file name's extension. */
export function languageOf(languageId: string | undefined, file?: string): string {
  if (languageId && languageId !== 'plaintext') return languageId;
  const ext = /\.([A-Za-z0-9]+)$/.exec(file ?? '')?.[1]?.toLowerCase();
  switch (ext) {
    case 'rs':
      return 'rust';
    case 'ts':
    case 'mts':
    case 'cts':
      return 'typescript';
    case 'js':
    case 'mjs':
    case 'cjs':
      return 'javascript';
    case 'go':
      return 'go';
    default:
      return languageId ?? 'c';
  }
}

/** `text` with every comment replaced by spaces (line breaks kept): same length, same offsets. */
export function codeOnly(text: string, language: string): string {
  const nested = NESTED_BLOCK_COMMENTS.has(language);
  const backtick = BACKTICK_STRINGS.has(language);
  const out = text.split('');
  const n = text.length;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      let j = text.indexOf('\n', i);
      if (j < 0) j = n;
      blank(i, j);
      i = j;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text[j] === '*' && text[j + 1] === '/') {
          depth--;
          j += 2;
        } else if (nested && text[j] === '/' && text[j + 1] === '*') {
          depth++;
          j += 2;
        } else j++;
      }
      blank(i, j);
      i = j;
    } else if (c === '"' || (c === '`' && backtick)) {
      // C, Go and Java strings end at the line's end (or a backslash continues them); Rust's and
      // template literals span lines.
      i = endOfQuoted(text, i, c, c === '`' || language === 'rust');
    } else if (c === "'") {
      i = language === 'rust' ? endOfRustQuote(text, i) : endOfQuoted(text, i, c, false);
    } else if (
      c === 'r' &&
      language === 'rust' &&
      /^r#*"/.test(text.slice(i, i + 258)) &&
      !/[\w$]/.test(text[i - 1] ?? '')
    ) {
      const hashes = /^r(#*)"/.exec(text.slice(i, i + 258))![1]!;
      const close = text.indexOf(`"${hashes}`, i + hashes.length + 2);
      i = close < 0 ? n : close + hashes.length + 1;
    } else i++;
  }
  return out.join('');
}

/** The index after a literal opened by `quote` at `start`; single-line unless `multiline`. */
function endOfQuoted(text: string, start: number, quote: string, multiline: boolean): number {
  let j = start + 1;
  while (j < text.length) {
    const d = text[j]!;
    if (d === '\\') j += 2;
    else if (d === quote) return j + 1;
    else if (d === '\n' && !multiline) return j;
    else j++;
  }
  return text.length;
}

/** Rust: a character literal ('a', '\n', '\u{1F600}') or a lifetime/label ('a, 'static), which is code. */
function endOfRustQuote(text: string, start: number): number {
  const m = /^'(?:\\u\{[0-9A-Fa-f]{1,6}\}|\\.|[^\\'\n])'/u.exec(text.slice(start, start + 12));
  return m ? start + m[0].length : start + 1;
}

/** The masked text of a document, kept while its version does not change (one hover after another). */
export class MaskedDocuments {
  private readonly cache = new Map<string, { version: number; text: string }>();

  get(doc: { uri: string; version: number; languageId: string; getText(): string }, file?: string): string {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.text;
    const text = codeOnly(doc.getText(), languageOf(doc.languageId, file));
    this.cache.set(doc.uri, { version: doc.version, text });
    return text;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }
}
