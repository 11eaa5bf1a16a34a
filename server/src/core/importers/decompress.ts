// Bounded decompression of an input file (gzip or zstd) for the importers that read a file whole.
//
// A hostile file must not take the process down: the inflated size is capped (a gzip bomb of 1 GB of
// zeros is refused after MAX_INFLATED_BYTES, with the memory that cap costs and no more), and a damaged
// stream never throws out of here. What comes back says what happened:
// - a stream cut short (a truncated download, a killed writer) gives the prefix that decoded, and
//   `cut` with the compressed byte near which it ends: the caller keeps the prefix and warns;
// - a stream corrupt in the middle (flipped bytes) gives `error` with the byte near which it broke;
// - too much output gives `tooBig`.
// The Trace Event reader streams its gzip itself (trace-reader.ts) and needs no cap.

import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/**
 * The most a compressed input may inflate to when it is read whole: 256 MiB. Real compiler reports
 * are kilobytes; a heap profile of a big build some tens of MB. V8 cannot hold a string much longer
 * than 512 MiB anyway, and the text plus its bytes must stay well below the tool's memory budget.
 */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/** Bytes fed to a decoder at a time: the granularity of the byte offsets reported for damage. */
const FEED_BYTES = 64 * 1024;

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export function isZstd(b: Uint8Array): boolean {
  return b.length >= 4 && ZSTD_MAGIC.every((x, i) => b[i] === x);
}

export interface Inflated {
  data: Buffer;
  /** 'gzip' or 'zstd'. */
  codec: 'gzip' | 'zstd';
  /** The stream ends before its end (cut): `data` is what decoded before, `byteOffset` near where it ends. */
  cut?: boolean;
  /** The stream is corrupt (or cut) near `byteOffset`: the decoder's message. */
  error?: string;
  byteOffset?: number;
  /** The output passed `limit`: `data` is empty (refused; not joined, to spare the memory), or the head. */
  tooBig?: boolean;
}

/**
 * Options of `inflate`: stop after `limit` output bytes (default MAX_INFLATED_BYTES); `head`: the
 * first `limit` bytes are what is wanted (a sniffer's head), kept rather than refused.
 */
export interface InflateOptions {
  limit?: number;
  head?: boolean;
}

/** Gunzips or un-zstds `bytes` (told by their magic), bounded; never throws for bad data. */
export function inflate(bytes: Uint8Array, opts: InflateOptions = {}): Promise<Inflated> {
  const limit = opts.limit ?? MAX_INFLATED_BYTES;
  const keep = opts.head ?? false;
  return isZstd(bytes) ? Promise.resolve(inflateZstd(bytes, limit, keep)) : gunzip(bytes, limit, keep);
}

/** The chunks gathered so far, capped at `limit` bytes; `over` once more arrived. */
class Sink {
  readonly chunks: Uint8Array[] = [];
  n = 0;
  over = false;
  constructor(private readonly limit: number) {}
  push(c: Uint8Array): void {
    if (this.over) return;
    const room = this.limit - this.n;
    if (c.length > room) {
      this.over = true;
      if (room > 0) this.chunks.push(c.subarray(0, room));
      this.n = this.limit;
      return;
    }
    this.chunks.push(c);
    this.n += c.length;
  }
  data(): Buffer {
    return Buffer.concat(this.chunks, this.n);
  }
}

function gunzip(bytes: Uint8Array, limit: number, keepHead: boolean): Promise<Inflated> {
  return new Promise((resolve) => {
    const sink = new Sink(limit);
    const z = createGunzip({ chunkSize: FEED_BYTES });
    let fed = 0;
    let settled = false;
    const settle = (r: Omit<Inflated, 'data' | 'codec'>) => {
      if (settled) return;
      settled = true;
      z.destroy();
      // Refused output is not joined: that copy would double the memory a bomb costs.
      resolve({ data: r.tooBig && !keepHead ? Buffer.alloc(0) : sink.data(), codec: 'gzip', ...r });
    };
    z.on('data', (c: Buffer) => {
      sink.push(c);
      if (sink.over) settle({ tooBig: true });
    });
    z.on('error', (e: NodeJS.ErrnoException) => {
      // zlib says Z_BUF_ERROR ("unexpected end of file") when the input stops before the stream's end.
      const cut = e.code === 'Z_BUF_ERROR';
      settle({ ...(cut ? { cut: true } : {}), error: e.message, byteOffset: Math.min(fed, bytes.length) });
    });
    z.on('end', () => settle({}));
    // Fed in pieces, each after the last was taken in, so that an error's offset is near its cause
    // and a refused bomb stops being read.
    const feed = () => {
      while (!settled && fed < bytes.length) {
        const piece = bytes.subarray(fed, Math.min(fed + FEED_BYTES, bytes.length));
        fed += piece.length;
        if (!z.write(piece)) {
          z.once('drain', feed);
          return;
        }
      }
      if (!settled && fed >= bytes.length) z.end();
    };
    feed();
  });
}

/** Un-zstds `bytes`, at most `limit` bytes of output (synchronous: fzstd is plain JavaScript). */
export function inflateZstd(bytes: Uint8Array, limit = MAX_INFLATED_BYTES, keepHead = false): Inflated {
  const sink = new Sink(limit);
  // fzstd calls back with `final` once the last frame ended with the input; a cut between two blocks
  // throws nothing, and only the missing call tells.
  let ended = false;
  const d = new Decompress((chunk, final) => {
    sink.push(chunk);
    if (final) ended = true;
  });
  let off = 0;
  try {
    for (; off < bytes.length && !sink.over; off += FEED_BYTES)
      d.push(bytes.subarray(off, Math.min(off + FEED_BYTES, bytes.length)), off + FEED_BYTES >= bytes.length);
  } catch (e) {
    // fzstd says "unexpected EOF" when the input stops inside a frame.
    const message = (e as Error).message;
    const cut = /unexpected EOF/i.test(message);
    const byteOffset = Math.min(off + FEED_BYTES, bytes.length);
    return { data: sink.data(), codec: 'zstd', ...(cut ? { cut } : {}), error: message, byteOffset };
  }
  if (sink.over) return { data: keepHead ? sink.data() : Buffer.alloc(0), codec: 'zstd', tooBig: true };
  if (!ended)
    return { data: sink.data(), codec: 'zstd', cut: true, error: 'unexpected end of file', byteOffset: bytes.length };
  return { data: sink.data(), codec: 'zstd' };
}
