// Reading an input file for an importer: errors become ImportErrors that name the file; gzip files
// are read as their content.

import { promises as fsp } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ImportError } from './import-error';

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

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

/** The file as UTF-8 text, gunzipped when it is gzip. */
export async function readFileText(file: string): Promise<string> {
  const bytes = await readFileBytes(file);
  return (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
}
