// A Pratt parser: each binary operator has a binding power; prefix forms are parsed by kind.
import type { BinaryOperator, Expr, TypeAnnotation } from './ast';
import { LanguageError } from './errors';
import { Lexer } from './lexer';
import type { Keyword, Operator, Punctuation, Token } from './tokens';
import { describeToken } from './tokens';

const BINDING_POWER: Partial<Record<BinaryOperator, [left: number, right: number]>> = {
  or: [1, 2],
  and: [3, 4],
  '==': [5, 6],
  '!=': [5, 6],
  '<': [7, 8],
  '<=': [7, 8],
  '>': [7, 8],
  '>=': [7, 8],
  '++': [9, 10],
  '+': [11, 12],
  '-': [11, 12],
  '*': [13, 14],
  '/': [13, 14],
  '%': [13, 14],
  '^': [16, 15], // right-associative
};

const POSTFIX_POWER = 20;
const PREFIX_POWER = 17;

export class Parser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  static parse(source: string): Expr {
    const parser = new Parser(Lexer.tokenize(source));
    const expr = parser.expression(0);
    parser.expectKind('eof');
    return expr;
  }

  expression(minPower: number): Expr {
    let left = this.prefix();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'punctuation' && (token.punctuation === '(' || token.punctuation === '[' || token.punctuation === '.')) {
        if (POSTFIX_POWER < minPower) break;
        left = this.postfix(left);
        continue;
      }
      const op = binaryOperatorOf(token);
      if (!op) break;
      const power = BINDING_POWER[op];
      if (!power || power[0] < minPower) break;
      this.index++;
      const right = this.expression(power[1]);
      left = { kind: 'binary', operator: op, left, right, at: token.start };
    }
    return left;
  }

  private prefix(): Expr {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { kind: 'number', value: token.value, at: token.start };
      case 'string':
        return { kind: 'string', value: token.value, at: token.start };
      case 'identifier':
        return { kind: 'variable', name: token.name, at: token.start };
      case 'operator':
        if (token.operator === '-') return { kind: 'unary', operator: '-', operand: this.expression(PREFIX_POWER), at: token.start };
        break;
      case 'keyword':
        return this.keywordForm(token.keyword, token);
      case 'punctuation':
        if (token.punctuation === '(') {
          const inner = this.expression(0);
          this.expectPunctuation(')');
          return inner;
        }
        if (token.punctuation === '[') return { kind: 'list', items: this.commaList(']', () => this.expression(0)), at: token.start };
        if (token.punctuation === '{') {
          const fields = this.commaList('}', () => {
            const name = this.expectIdentifier();
            this.expectPunctuation(':');
            return { name, value: this.expression(0) };
          });
          return { kind: 'record', fields, at: token.start };
        }
        break;
      case 'eof':
        break;
    }
    throw new LanguageError('parse', `unexpected ${describeToken(token)}`, token.start);
  }

  private keywordForm(keyword: Keyword, token: Token): Expr {
    switch (keyword) {
      case 'true':
      case 'false':
        return { kind: 'boolean', value: keyword === 'true', at: token.start };
      case 'not':
        return { kind: 'unary', operator: 'not', operand: this.expression(PREFIX_POWER), at: token.start };
      case 'let': {
        const name = this.expectIdentifier();
        this.expectOperator('=');
        const value = this.expression(0);
        this.expectKeyword('in');
        return { kind: 'let', name, value, body: this.expression(0), at: token.start };
      }
      case 'if': {
        const condition = this.expression(0);
        this.expectKeyword('then');
        const then = this.expression(0);
        this.expectKeyword('else');
        return { kind: 'if', condition, then, otherwise: this.expression(0), at: token.start };
      }
      case 'fn': {
        this.expectPunctuation('(');
        const params = this.commaList(')', () => {
          const name = this.expectIdentifier();
          const type = this.acceptPunctuation(':') ? this.typeAnnotation() : undefined;
          return type ? { name, type } : { name };
        });
        this.expectOperator('=>');
        return { kind: 'lambda', params, body: this.expression(0), at: token.start };
      }
      default:
        throw new LanguageError('parse', `unexpected keyword '${keyword}'`, token.start);
    }
  }

  private postfix(target: Expr): Expr {
    const token = this.next();
    if (token.kind === 'punctuation' && token.punctuation === '(') {
      return { kind: 'call', callee: target, args: this.commaList(')', () => this.expression(0)), at: token.start };
    }
    if (token.kind === 'punctuation' && token.punctuation === '[') {
      const index = this.expression(0);
      this.expectPunctuation(']');
      return { kind: 'index', target, index, at: token.start };
    }
    return { kind: 'field', target, name: this.expectIdentifier(), at: token.start };
  }

  private typeAnnotation(): TypeAnnotation {
    if (this.acceptPunctuation('[')) {
      const item = this.typeAnnotation();
      this.expectPunctuation(']');
      return { kind: 'list', item };
    }
    if (this.peek().kind === 'keyword' && (this.peek() as { keyword: Keyword }).keyword === 'fn') {
      this.index++;
      this.expectPunctuation('(');
      const params = this.commaList(')', () => this.typeAnnotation());
      this.expectOperator('=>');
      return { kind: 'fn', params, result: this.typeAnnotation() };
    }
    const name = this.expectIdentifier();
    if (name !== 'number' && name !== 'string' && name !== 'bool') throw new LanguageError('parse', `unknown type '${name}'`, this.peek().start);
    return { kind: 'named', name };
  }

  private commaList<T>(close: Punctuation, item: () => T): T[] {
    const items: T[] = [];
    if (this.acceptPunctuation(close)) return items;
    do items.push(item());
    while (this.acceptPunctuation(','));
    this.expectPunctuation(close);
    return items;
  }

  private peek(): Token {
    return this.tokens[Math.min(this.index, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private acceptPunctuation(p: Punctuation): boolean {
    const token = this.peek();
    if (token.kind === 'punctuation' && token.punctuation === p) {
      this.index++;
      return true;
    }
    return false;
  }

  private expectPunctuation(p: Punctuation): void {
    if (!this.acceptPunctuation(p)) this.fail(`'${p}'`);
  }

  private expectOperator(op: Operator): void {
    const token = this.next();
    if (token.kind !== 'operator' || token.operator !== op) this.fail(`'${op}'`, token);
  }

  private expectKeyword(keyword: Keyword): void {
    const token = this.next();
    if (token.kind !== 'keyword' || token.keyword !== keyword) this.fail(`'${keyword}'`, token);
  }

  private expectIdentifier(): string {
    const token = this.next();
    if (token.kind !== 'identifier') this.fail('an identifier', token);
    return token.name;
  }

  expectKind(kind: Token['kind']): void {
    const token = this.peek();
    if (token.kind !== kind) this.fail(kind === 'eof' ? 'end of input' : kind, token);
  }

  private fail(expected: string, token: Token = this.peek()): never {
    throw new LanguageError('parse', `expected ${expected}, found ${describeToken(token)}`, token.start);
  }
}

function binaryOperatorOf(token: Token): BinaryOperator | undefined {
  if (token.kind === 'keyword' && (token.keyword === 'and' || token.keyword === 'or')) return token.keyword;
  if (token.kind !== 'operator') return undefined;
  const op = token.operator;
  return op === '=' || op === '=>' ? undefined : op;
}
