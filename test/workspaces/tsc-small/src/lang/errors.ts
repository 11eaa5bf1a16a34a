import type { Position } from './tokens';

/** An error in the user's program, with where it is. */
export class LanguageError extends Error {
  constructor(
    readonly stage: 'lex' | 'parse' | 'type' | 'run',
    message: string,
    readonly at?: Position,
  ) {
    super(at ? `${stage} error at ${at.line}:${at.column}: ${message}` : `${stage} error: ${message}`);
    this.name = 'LanguageError';
  }
}

export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
