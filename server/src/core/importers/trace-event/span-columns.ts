// Where the builder keeps the phases of one track while the file is read: columns (typed arrays for
// the times, names and categories as ids in a NameTable), not an object per phase, so that memory
// stays in proportion to the phases kept; they become objects once, in TraceBuilder.finish.

import type { Args } from './event-fields';

/**
 * Names and categories as small ints (the span columns keep ids, not strings). Id 0 is no category.
 * Distinct strings beyond a limit get an id each time (as they would a slot in a column of strings).
 */
export class NameTable {
  readonly list: (string | undefined)[] = [undefined];
  private readonly ids = new Map<string, number>();

  id(s: string | undefined): number {
    if (s === undefined) return 0;
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = this.list.length;
    this.list.push(s);
    if (this.ids.size < 100_000) this.ids.set(s, id);
    return id;
  }
}

/**
 * The phases of one track while the file is read, column by column and in file order: no object per
 * phase until TraceBuilder.finish (which creates each once, with its final times and parent, in nesting order).
 * Times are µs on the file's clock; names and categories are ids in the builder's NameTable.
 */
export class SpanColumns {
  length = 0;
  startUs = new Float64Array(64);
  endUs = new Float64Array(64);
  nameIds = new Int32Array(64);
  catIds = new Int32Array(64);
  /** 1 where the args name the phase's source file (see sourceFileOf in trace-builder.ts). */
  hasFile = new Uint8Array(64);
  readonly args: (Args | undefined)[] = [];

  /** Whether it has no room for one more span (then `grow` first). */
  full(): boolean {
    return this.length === this.startUs.length;
  }

  /** Adds a span (there must be room: see `full`). `file`: whether the args name a source file. */
  push(nameId: number, catId: number, startUs: number, endUs: number, args: Args | undefined, file: boolean): void {
    const n = this.length;
    this.startUs[n] = startUs;
    this.endUs[n] = endUs;
    this.nameIds[n] = nameId;
    this.catIds[n] = catId;
    this.hasFile[n] = file ? 1 : 0;
    this.args.push(args);
    this.length = n + 1;
  }

  /**
   * Room for `capacity` spans (more than `length`); the new room is not zeroed: it is written before
   * it is read.
   */
  grow(capacity: number): void {
    const n = this.length;
    const start = unzeroed(Float64Array, capacity);
    const end = unzeroed(Float64Array, capacity);
    const names = unzeroed(Int32Array, capacity);
    const cats = unzeroed(Int32Array, capacity);
    const files = unzeroed(Uint8Array, capacity);
    start.set(this.startUs.subarray(0, n));
    end.set(this.endUs.subarray(0, n));
    names.set(this.nameIds.subarray(0, n));
    cats.set(this.catIds.subarray(0, n));
    files.set(this.hasFile.subarray(0, n));
    this.startUs = start;
    this.endUs = end;
    this.nameIds = names;
    this.catIds = cats;
    this.hasFile = files;
  }

  /**
   * The times in ms from the origin (`originMs`, on the file's clock), computed as `us / 1000 -
   * originMs`, in place: a second pair of columns would cost 16 more bytes a span. The µs columns are
   * handed over (left empty), so that no column named in µs ever holds ms.
   */
  takeTimesMs(originMs: number): { startMs: Float64Array; endMs: Float64Array } {
    const start = this.startUs;
    const end = this.endUs;
    const n = this.length;
    for (let i = 0; i < n; i++) {
      start[i] = start[i]! / 1000 - originMs;
      end[i] = end[i]! / 1000 - originMs;
    }
    this.startUs = this.endUs = new Float64Array(0);
    return { startMs: start, endMs: end };
  }
}

/**
 * A typed array whose memory is not zeroed first (Buffer.allocUnsafeSlow: malloc rather than calloc),
 * so that its pages are touched only as it fills: the columns of a big trace are grown to hundreds of
 * MB, and zeroing would write all of it once more.
 */
function unzeroed<T extends Float64Array | Int32Array | Uint8Array>(
  kind: { new (b: ArrayBufferLike, at: number, n: number): T; BYTES_PER_ELEMENT: number },
  n: number,
): T {
  const b = Buffer.allocUnsafeSlow(n * kind.BYTES_PER_ELEMENT);
  return new kind(b.buffer, b.byteOffset, n);
}
