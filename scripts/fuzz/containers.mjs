// gzip and zstd around a fixture: mutants are made on the text inside (so they reach the parser) and
// wrapped again the same way; the broken-container mutants damage the compressed bytes themselves.

import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/** `gz`, `zst` or null, from the file's magic bytes. */
export function containerOf(bytes) {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gz';
  if (bytes.readUInt32LE(0) === 0xfd2fb528) return 'zst';
  return null;
}

/** The text inside; of a truncated fixture (a `cut-N.zst`), what decompresses before the cut. */
export function unwrap(kind, bytes) {
  if (kind === 'gz') return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  if (kind === 'zst') return zstd(['-d', '-q', '-c'], bytes, { partial: true });
  return bytes;
}

export function wrap(kind, bytes) {
  if (kind === 'gz') return zlib.gzipSync(bytes, { level: 1 });
  if (kind === 'zst') return zstd(['-q', '-1', '-c'], bytes);
  return bytes;
}

function zstd(args, input, { partial = false } = {}) {
  const r = spawnSync('zstd', args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0 && !(partial && r.stdout?.length))
    throw new Error(`fuzz: zstd ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Writes a gzip file that inflates to `inflatedBytes` of zeros (about 1 MB per GB), streaming. */
export async function writeGzipBomb(file, inflatedBytes) {
  const chunk = Buffer.alloc(16 << 20);
  let left = inflatedBytes;
  const zeros = Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        yield n === chunk.length ? chunk : chunk.subarray(0, n);
      }
    })(),
  );
  await pipeline(zeros, zlib.createGzip({ level: 9 }), createWriteStream(file));
}
