import { LanguageError } from './errors';
import type { Operator, Position, Punctuation, Token } from './tokens';
import { OPERATORS, PUNCTUATION, isKeyword } from './tokens';

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);

// Longest operators first, so that "<=" wins over "<".
const OPERATORS_BY_LENGTH: readonly Operator[] = [...OPERATORS].sort((a, b) => b.length - a.length);

export class Lexer {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly source: string) {}

  static tokenize(source: string): Token[] {
    const lexer = new Lexer(source);
    const tokens: Token[] = [];
    for (;;) {
      const token = lexer.next();
      tokens.push(token);
      if (token.kind === 'eof') return tokens;
    }
  }

  next(): Token {
    this.skipTrivia();
    const start = this.position();
    if (this.offset >= this.source.length) return { kind: 'eof', start, end: start };
    const c = this.peek();
    if (isDigit(c)) return this.number(start);
    if (c === '"' || c === "'") return this.string(start, c);
    if (isIdentStart(c)) {
      let word = '';
      while (this.offset < this.source.length && isIdentPart(this.peek())) word += this.advance();
      const end = this.position();
      return isKeyword(word) ? { kind: 'keyword', keyword: word, start, end } : { kind: 'identifier', name: word, start, end };
    }
    for (const op of OPERATORS_BY_LENGTH) {
      if (this.source.startsWith(op, this.offset)) {
        for (let i = 0; i < op.length; i++) this.advance();
        return { kind: 'operator', operator: op, start, end: this.position() };
      }
    }
    if ((PUNCTUATION as readonly string[]).includes(c)) {
      this.advance();
      return { kind: 'punctuation', punctuation: c as Punctuation, start, end: this.position() };
    }
    throw new LanguageError('lex', `unexpected character ${JSON.stringify(c)}`, start);
  }

  private number(start: Position): Token {
    let text = '';
    while (this.offset < this.source.length && isDigit(this.peek())) text += this.advance();
    if (this.peek() === '.' && isDigit(this.peek(1))) {
      text += this.advance();
      while (this.offset < this.source.length && isDigit(this.peek())) text += this.advance();
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      text += this.advance();
      if (this.peek() === '+' || this.peek() === '-') text += this.advance();
      if (!isDigit(this.peek())) throw new LanguageError('lex', 'exponent without digits', this.position());
      while (this.offset < this.source.length && isDigit(this.peek())) text += this.advance();
    }
    return { kind: 'number', value: Number(text), start, end: this.position() };
  }

  private string(start: Position, quote: string): Token {
    this.advance();
    let value = '';
    for (;;) {
      if (this.offset >= this.source.length) throw new LanguageError('lex', 'unterminated string', start);
      const c = this.advance();
      if (c === quote) break;
      if (c === '\\') {
        const e = this.advance();
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        const decoded = escapes[e];
        if (decoded === undefined) throw new LanguageError('lex', `unknown escape \\${e}`, this.position());
        value += decoded;
      } else value += c;
    }
    return { kind: 'string', value, start, end: this.position() };
  }

  private skipTrivia(): void {
    while (this.offset < this.source.length) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.advance();
      else if (c === '#') while (this.offset < this.source.length && this.peek() !== '\n') this.advance();
      else return;
    }
  }

  private peek(ahead = 0): string {
    return this.source.charAt(this.offset + ahead);
  }

  private advance(): string {
    const c = this.source.charAt(this.offset++);
    if (c === '\n') {
      this.line++;
      this.column = 1;
    } else this.column++;
    return c;
  }

  private position(): Position {
    return { offset: this.offset, line: this.line, column: this.column };
  }
}
