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

/** The byte offset of the first `needle` in `text` (0 when absent): where a JSON key's value is. */
export function byteOffsetOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  return at > 0 ? Buffer.byteLength(text.slice(0, at)) : 0;
}
