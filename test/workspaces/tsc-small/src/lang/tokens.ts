// Tokens of a small expression language: numbers, strings, booleans, identifiers, operators.

export type TokenKind =
  | 'number'
  | 'string'
  | 'identifier'
  | 'keyword'
  | 'operator'
  | 'punctuation'
  | 'eof';

export const KEYWORDS = ['let', 'in', 'if', 'then', 'else', 'fn', 'true', 'false', 'and', 'or', 'not'] as const;
export type Keyword = (typeof KEYWORDS)[number];

export const OPERATORS = ['+', '-', '*', '/', '%', '^', '==', '!=', '<', '<=', '>', '>=', '=', '=>', '++'] as const;
export type Operator = (typeof OPERATORS)[number];

export const PUNCTUATION = ['(', ')', ',', '[', ']', '{', '}', ':', '.'] as const;
export type Punctuation = (typeof PUNCTUATION)[number];

export interface Position {
  offset: number;
  line: number;
  column: number;
}

interface TokenBase<K extends TokenKind> {
  kind: K;
  start: Position;
  end: Position;
}

export interface NumberToken extends TokenBase<'number'> {
  value: number;
}
export interface StringToken extends TokenBase<'string'> {
  value: string;
}
export interface IdentifierToken extends TokenBase<'identifier'> {
  name: string;
}
export interface KeywordToken extends TokenBase<'keyword'> {
  keyword: Keyword;
}
export interface OperatorToken extends TokenBase<'operator'> {
  operator: Operator;
}
export interface PunctuationToken extends TokenBase<'punctuation'> {
  punctuation: Punctuation;
}
export type EofToken = TokenBase<'eof'>;

export type Token = NumberToken | StringToken | IdentifierToken | KeywordToken | OperatorToken | PunctuationToken | EofToken;

export function isKeyword(word: string): word is Keyword {
  return (KEYWORDS as readonly string[]).includes(word);
}

export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'number':
      return `number ${token.value}`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'identifier':
      return `identifier '${token.name}'`;
    case 'keyword':
      return `keyword '${token.keyword}'`;
    case 'operator':
      return `'${token.operator}'`;
    case 'punctuation':
      return `'${token.punctuation}'`;
    case 'eof':
      return 'end of input';
  }
}
