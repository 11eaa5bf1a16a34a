// Reading an input file for an importer: errors become ImportErrors that name the file; gzip and zstd
// files are read as their content, inflated with a cap (decompress.ts); text is UTF-8 with its BOM
// removed, and UTF-16 is refused with a message that says how to convert it.

import { promises as fsp } from 'node:fs';
import type { Warning } from '../model';
import { type Inflated, inflate, isGzip, isZstd, MAX_INFLATED_BYTES } from './decompress';
import { ImportError } from './import-error';

export { isGzip, isZstd } from './decompress';

/** The file's bytes, or its first `limit` bytes. */
export async function readFileBytes(file: string, limit?: number): Promise<Buffer> {
  try {
    if (limit === undefined) return await fsp.readFile(file);
    const fh = await fsp.open(file, 'r');
    try {
      const buf = Buffer.alloc(limit);
      const { bytesRead } = await fh.read(buf, 0, limit, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportError('broken', code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, file);
  }
}

const MiB = 1024 * 1024;

/**
 * The content of a file read whole: its bytes, inflated when gzip or zstd (at most
 * MAX_INFLATED_BYTES), with a warning when the compressed stream is cut or damaged after some data
 * decoded (that prefix is kept). Throws ImportError when nothing decodes or the content is too big.
 */
export async function readContent(file: string): Promise<{ bytes: Buffer; warnings: Warning[] }> {
  let size: number;
  try {
    size = (await fsp.stat(file)).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportError('broken', code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, file);
  }
  if (size > MAX_INFLATED_BYTES)
    throw new ImportError(
      'broken',
      `the file is ${Math.round(size / MiB)} MiB: this format is read whole, up to ${MAX_INFLATED_BYTES / MiB} MiB`,
      file,
      undefined,
      MAX_INFLATED_BYTES,
    );
  const raw = await readFileBytes(file);
  if (!isGzip(raw) && !isZstd(raw)) return { bytes: raw, warnings: [] };
  return inflatedContent(await inflate(raw), raw.length, file);
}

/**
 * What an inflated stream gives an importer: its bytes, with a warning when it was cut or damaged
 * after some data decoded (that prefix is kept). Throws ImportError when it is refused (over the cap)
 * or nothing decoded.
 */
export function inflatedContent(
  z: Inflated,
  compressedBytes: number,
  file: string,
): { bytes: Buffer; warnings: Warning[] } {
  if (z.tooBig)
    throw new ImportError(
      'broken',
      `the ${z.codec} data inflates to more than ${MAX_INFLATED_BYTES / MiB} MiB (from ${compressedBytes} bytes): refused (a decompression bomb?)`,
      file,
      undefined,
      MAX_INFLATED_BYTES,
    );
  if (z.error === undefined) return { bytes: z.data, warnings: [] };
  const what = z.cut ? 'ends early (cut?)' : `is damaged (${z.error})`;
  if (!z.data.length)
    throw new ImportError(
      'broken',
      `the ${z.codec} data ${what}: nothing could be decoded`,
      file,
      undefined,
      z.byteOffset,
    );
  return {
    bytes: z.data,
    warnings: [
      {
        code: `${z.codec}-truncated`,
        message: `the ${z.codec} data ${what} near compressed byte ${z.byteOffset}: the ${z.data.length} bytes decoded before it are kept`,
        file,
        ...(z.byteOffset !== undefined ? { byteOffset: z.byteOffset } : {}),
      },
    ],
  };
}

/** Refuses UTF-16 (by its BOM, or NUL bytes among the first characters of text), else nothing. */
export function refuseUtf16(b: Uint8Array, file: string): void {
  const bom = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
  let nuls = 0;
  const n = Math.min(b.length, 64);
  for (let i = 0; i < n; i++) if (b[i] === 0) nuls++;
  if (bom || (n >= 8 && nuls >= n / 4 && (b[0] === 0 || b[1] === 0)))
    throw new ImportError(
      'broken',
      'the file is UTF-16 text: this tool reads UTF-8 (convert it, e.g. `iconv -f UTF-16 -t UTF-8`)',
      file,
      undefined,
      0,
    );
}

/** UTF-8 text of `bytes`, without a leading byte order mark. */
export function decodeUtf8(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The file as UTF-8 text (inflated when compressed, BOM removed), with warnings of a cut stream. */
export async function readInputText(file: string): Promise<{ text: string; warnings: Warning[] }> {
  const { bytes, warnings } = await readContent(file);
  refuseUtf16(bytes, file);
  return { text: decodeUtf8(bytes), warnings };
}

/** The file as UTF-8 text (see readInputText), without its warnings. */
export async function readFileText(file: string): Promise<string> {
  return (await readInputText(file)).text;
}
