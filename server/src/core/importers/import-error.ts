// The one error an importer throws: a file that cannot be imported, saying where it is broken (line or
// byte offset) and whether it is not this format at all. The registry (index.ts) tells "try another
// format" from "broken" by `kind`; the CLI and the language server show the message as it is.

/**
 * A file that cannot be imported. `kind` separates "not this format" (the sniffer or the parser
 * found nothing of it) from "this format, but broken at line L / byte B: why".
 */
export class ImportError extends Error {
  constructor(
    readonly kind: 'not-this-format' | 'broken',
    reason: string,
    readonly file: string,
    readonly line?: number,
    readonly byteOffset?: number,
  ) {
    super(
      `${file}${line !== undefined ? `:${line}` : byteOffset !== undefined ? ` (byte ${byteOffset})` : ''}: ${reason}`,
    );
    this.name = 'ImportError';
  }
}
