// Minifier for the JavaScript that codegen emits: tokenizes a chunk, drops comments and
// whitespace, renames parameters and local variables of each function to the shortest free
// names (most used first), and prints `true`/`false` as `!0`/`!1`.
//
// It relies on the linker's guarantee that no local name equals a top-level name, so every
// occurrence of a local's name inside its function denotes a local.

import { JS_RESERVED } from './linker';

type TokenType = 'ident' | 'number' | 'string' | 'punct';

interface Token {
  type: TokenType;
  text: string;
}

const PUNCTUATORS = [
  '===',
  '!==',
  '<=',
  '>=',
  '&&',
  '||',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ',',
  ';',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '.',
  ':',
  '?',
];

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let p = 0;
  while (p < code.length) {
    const c = code.charCodeAt(p);
    if (c === 32 || c === 10 || c === 9 || c === 13) {
      p++;
    } else if (c === 47 && code.charCodeAt(p + 1) === 47) {
      const nl = code.indexOf('\n', p);
      p = nl < 0 ? code.length : nl + 1;
    } else if (c === 47 && code.charCodeAt(p + 1) === 42) {
      const close = code.indexOf('*/', p + 2);
      if (close < 0) throw new Error('minify: unterminated comment');
      p = close + 2;
    } else if (c === 34 || c === 39) {
      let q = p + 1;
      while (q < code.length && code.charCodeAt(q) !== c) q += code.charCodeAt(q) === 92 ? 2 : 1;
      if (q >= code.length) throw new Error('minify: unterminated string');
      tokens.push({ type: 'string', text: code.slice(p, q + 1) });
      p = q + 1;
    } else if (c >= 48 && c <= 57) {
      let q = p;
      while (
        q < code.length &&
        (isWordChar(code.charCodeAt(q)) ||
          code[q] === '.' ||
          ((code[q] === '+' || code[q] === '-') && (code[q - 1] === 'e' || code[q - 1] === 'E')))
      )
        q++;
      tokens.push({ type: 'number', text: code.slice(p, q) });
      p = q;
    } else if (isWordChar(c)) {
      let q = p + 1;
      while (q < code.length && isWordChar(code.charCodeAt(q))) q++;
      tokens.push({ type: 'ident', text: code.slice(p, q) });
      p = q;
    } else {
      const punct = PUNCTUATORS.find((op) => code.startsWith(op, p));
      if (punct === undefined) throw new Error(`minify: unexpected character '${code[p]}'`);
      tokens.push({ type: 'punct', text: punct });
      p += punct.length;
    }
  }
  return tokens;
}

/** Short names in order: a..z, A..Z, then two characters, skipping reserved words. */
function* shortNames(): Generator<string> {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const rest = `${first}0123456789`;
  for (const c of first) yield c;
  for (const c of first) for (const d of rest) yield c + d;
  for (let n = 0; ; n++) yield `$${n.toString(36)}`;
}

/** Finds the index of the token closing the bracket opened at `open`. */
function matching(tokens: Token[], open: number): number {
  const opener = tokens[open]!.text;
  const closer = opener === '(' ? ')' : opener === '{' ? '}' : ']';
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type !== 'punct') continue;
    if (t.text === opener) depth++;
    else if (t.text === closer && --depth === 0) return k;
  }
  throw new Error(`minify: unbalanced '${opener}'`);
}

function mangleFunction(tokens: Token[], paramsOpen: number, bodyClose: number): void {
  const paramsClose = matching(tokens, paramsOpen);
  const counts = new Map<string, number>();
  const avoid = new Set<string>();
  for (let k = paramsOpen + 1; k < paramsClose; k++) {
    if (tokens[k]!.type === 'ident') counts.set(tokens[k]!.text, 0);
  }
  for (let k = paramsClose + 1; k < bodyClose; k++) {
    if (tokens[k]!.text === 'let' && tokens[k + 1]?.type === 'ident') counts.set(tokens[k + 1]!.text, 0);
  }
  for (let k = paramsOpen + 1; k < bodyClose; k++) {
    const t = tokens[k]!;
    if (t.type !== 'ident' || tokens[k - 1]!.text === '.') continue;
    const n = counts.get(t.text);
    if (n === undefined) avoid.add(t.text);
    else counts.set(t.text, n + 1);
  }
  const renames = new Map<string, string>();
  const names = shortNames();
  for (const [local] of [...counts].sort((a, b) => b[1] - a[1])) {
    let short = names.next().value as string;
    while (JS_RESERVED.has(short) || avoid.has(short)) short = names.next().value as string;
    renames.set(local, short);
  }
  for (let k = paramsOpen + 1; k < bodyClose; k++) {
    const t = tokens[k]!;
    if (t.type !== 'ident' || tokens[k - 1]!.text === '.') continue;
    const renamed = renames.get(t.text);
    if (renamed !== undefined) tokens[k] = { type: 'ident', text: renamed };
  }
}

function needsSpace(prev: Token, next: Token): boolean {
  const a = prev.text.charCodeAt(prev.text.length - 1);
  const b = next.text.charCodeAt(0);
  if (isWordChar(a) && isWordChar(b)) return true;
  if ((a === 43 || a === 45) && a === b) return true; // "+ +", "- -"
  return a === 47 && (b === 47 || b === 42); // "/ /" or "/ *" would start a comment
}

export function minify(code: string): string {
  const tokens = tokenize(code);
  let depth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'punct') {
      if (t.text === '{' || t.text === '(' || t.text === '[') depth++;
      else if (t.text === '}' || t.text === ')' || t.text === ']') depth--;
    } else if (depth === 0 && t.type === 'ident' && t.text === 'function' && tokens[k + 2]?.text === '(') {
      const bodyOpen = matching(tokens, k + 2) + 1;
      const bodyClose = matching(tokens, bodyOpen);
      mangleFunction(tokens, k + 2, bodyClose);
      k = bodyClose;
    }
  }
  const out: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    let t = tokens[k]!;
    if (t.type === 'ident' && (t.text === 'true' || t.text === 'false') && tokens[k - 1]?.text !== '.') {
      t = tokens[k] = { type: 'punct', text: t.text === 'true' ? '!0' : '!1' };
    }
    if (k > 0 && needsSpace(tokens[k - 1]!, t)) out.push(' ');
    out.push(t.text);
  }
  out.push('\n');
  return out.join('');
}
