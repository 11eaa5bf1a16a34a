// Scanner for the Tiny language. Like tsc's scanner it is pull-based: the parser calls
// `next()` and reads the current token from the scanner's fields, so no token array is kept.

import { CompileError } from './diagnostics';

export enum Tok {
  EOF,
  Ident,
  Number,
  String,
  // keywords
  Fn,
  Let,
  If,
  Else,
  While,
  Return,
  Import,
  Export,
  From,
  As,
  True,
  False,
  // punctuation
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  Semi,
  Assign,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Bang,
  EqEq,
  NotEq,
  Lt,
  LtEq,
  Gt,
  GtEq,
  AndAnd,
  OrOr,
}

const KEYWORDS: ReadonlyMap<string, Tok> = new Map([
  ['fn', Tok.Fn],
  ['let', Tok.Let],
  ['if', Tok.If],
  ['else', Tok.Else],
  ['while', Tok.While],
  ['return', Tok.Return],
  ['import', Tok.Import],
  ['export', Tok.Export],
  ['from', Tok.From],
  ['as', Tok.As],
  ['true', Tok.True],
  ['false', Tok.False],
]);

const TOKEN_TEXT: Partial<Record<Tok, string>> = {
  [Tok.EOF]: 'end of file',
  [Tok.Ident]: 'identifier',
  [Tok.Number]: 'number',
  [Tok.String]: 'string',
  [Tok.LParen]: "'('",
  [Tok.RParen]: "')'",
  [Tok.LBrace]: "'{'",
  [Tok.RBrace]: "'}'",
  [Tok.Comma]: "','",
  [Tok.Semi]: "';'",
  [Tok.Assign]: "'='",
};

export function describeToken(kind: Tok): string {
  const text = TOKEN_TEXT[kind];
  if (text !== undefined) return text;
  for (const [word, tok] of KEYWORDS) if (tok === kind) return `'${word}'`;
  return Tok[kind];
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export class Scanner {
  private pos = 0;
  /** Current token. */
  kind: Tok = Tok.EOF;
  start = 0;
  end = 0;
  /** Identifier name or decoded string literal of the current token. */
  text = '';
  /** Value of the current number literal. */
  value = 0;

  constructor(
    readonly moduleName: string,
    readonly source: string,
  ) {}

  error(offset: number, message: string): CompileError {
    return CompileError.at(this.moduleName, this.source, offset, message);
  }

  next(): Tok {
    this.skipTrivia();
    const src = this.source;
    this.start = this.pos;
    if (this.pos >= src.length) {
      this.end = this.pos;
      return (this.kind = Tok.EOF);
    }
    const c = src.charCodeAt(this.pos);
    if (isIdentStart(c)) {
      let p = this.pos + 1;
      while (p < src.length) {
        const d = src.charCodeAt(p);
        if (!isIdentStart(d) && !isDigit(d)) break;
        p++;
      }
      this.text = src.slice(this.pos, p);
      this.pos = this.end = p;
      return (this.kind = KEYWORDS.get(this.text) ?? Tok.Ident);
    }
    if (isDigit(c)) return this.scanNumber();
    if (c === 34) return this.scanString();
    this.pos++;
    const peek = this.pos < src.length ? src.charCodeAt(this.pos) : 0;
    let kind: Tok;
    switch (c) {
      case 40:
        kind = Tok.LParen;
        break;
      case 41:
        kind = Tok.RParen;
        break;
      case 123:
        kind = Tok.LBrace;
        break;
      case 125:
        kind = Tok.RBrace;
        break;
      case 44:
        kind = Tok.Comma;
        break;
      case 59:
        kind = Tok.Semi;
        break;
      case 43:
        kind = Tok.Plus;
        break;
      case 45:
        kind = Tok.Minus;
        break;
      case 42:
        kind = Tok.Star;
        break;
      case 47:
        kind = Tok.Slash;
        break;
      case 37:
        kind = Tok.Percent;
        break;
      case 61:
        kind = peek === 61 ? this.take(Tok.EqEq) : Tok.Assign;
        break;
      case 33:
        kind = peek === 61 ? this.take(Tok.NotEq) : Tok.Bang;
        break;
      case 60:
        kind = peek === 61 ? this.take(Tok.LtEq) : Tok.Lt;
        break;
      case 62:
        kind = peek === 61 ? this.take(Tok.GtEq) : Tok.Gt;
        break;
      case 38:
        if (peek !== 38) throw this.error(this.start, "expected '&&'");
        kind = this.take(Tok.AndAnd);
        break;
      case 124:
        if (peek !== 124) throw this.error(this.start, "expected '||'");
        kind = this.take(Tok.OrOr);
        break;
      default:
        throw this.error(this.start, `unexpected character '${String.fromCharCode(c)}'`);
    }
    this.end = this.pos;
    return (this.kind = kind);
  }

  /** Consumes the second character of a two-character operator. */
  private take(kind: Tok): Tok {
    this.pos++;
    return kind;
  }

  private skipTrivia(): void {
    const src = this.source;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        this.pos++;
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 47) {
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl + 1;
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 42) {
        const close = src.indexOf('*/', this.pos + 2);
        if (close < 0) throw this.error(this.pos, 'unterminated comment');
        this.pos = close + 2;
      } else {
        break;
      }
    }
  }

  private scanNumber(): Tok {
    const src = this.source;
    let p = this.pos;
    while (p < src.length && isDigit(src.charCodeAt(p))) p++;
    if (src.charCodeAt(p) === 46 && isDigit(src.charCodeAt(p + 1))) {
      p++;
      while (p < src.length && isDigit(src.charCodeAt(p))) p++;
    }
    if (p < src.length && isIdentStart(src.charCodeAt(p))) {
      throw this.error(p, 'identifier directly after number');
    }
    this.value = Number(src.slice(this.pos, p));
    this.pos = this.end = p;
    return (this.kind = Tok.Number);
  }

  private scanString(): Tok {
    const src = this.source;
    let p = this.pos + 1;
    let out = '';
    for (;;) {
      if (p >= src.length) throw this.error(this.start, 'unterminated string');
      const c = src.charCodeAt(p);
      if (c === 34) break;
      if (c === 10) throw this.error(p, 'newline in string');
      if (c === 92) {
        const e = src[p + 1];
        const decoded = e === 'n' ? '\n' : e === 't' ? '\t' : e === '"' ? '"' : e === '\\' ? '\\' : undefined;
        if (decoded === undefined) throw this.error(p, `unknown escape '\\${e ?? ''}'`);
        out += decoded;
        p += 2;
      } else {
        out += src[p];
        p++;
      }
    }
    this.text = out;
    this.pos = this.end = p + 1;
    return (this.kind = Tok.String);
  }
}
