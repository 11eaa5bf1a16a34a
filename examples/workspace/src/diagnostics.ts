// Errors carry the module name and a source offset; the message shows line:column.

export class CompileError extends Error {
  constructor(
    readonly moduleName: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${moduleName}:${line}:${column}: ${detail}`);
    this.name = 'CompileError';
  }

  static at(moduleName: string, source: string, offset: number, detail: string): CompileError {
    const { line, column } = lineAndColumn(source, offset);
    return new CompileError(moduleName, line, column, detail);
  }
}

export function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
