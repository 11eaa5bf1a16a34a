// A byte-level JSON scanner over Buffers, for readers that must not build an object per value: the ends
// of strings, objects, arrays and scalars (depth and escapes counted, nothing decoded), and readers of
// the plain cases of strings (no escapes), numbers (no exponent) and literals straight from the bytes.
// It knows nothing of what the JSON means: trace-reader.ts and fast-event-reader.ts drive it.
//
// The readers return an offset, or INCOMPLETE when the buffer ends first (the caller keeps the bytes
// and tries again with more), or NEED_JSON when the value is of a kind left to JSON.parse (escapes,
// exponents, odd literals). What does not fit in that number is left in module state, read right
// after the call (`valueEnd`, `stringId`, `numberValue`): returning it in an object would allocate
// one per value, millions of them.

/** JSON's structural bytes. */
export const enum C {
  Quote = 0x22,
  Backslash = 0x5c,
  LBrace = 0x7b,
  RBrace = 0x7d,
  LBracket = 0x5b,
  RBracket = 0x5d,
  Comma = 0x2c,
  Colon = 0x3a,
}

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** End (exclusive) of the JSON object or array starting at `i`, or -1 when `buf` ends first. */
export function scanComposite(buf: Buffer, i: number, n: number): number {
  let depth = 0;
  while (i < n) {
    const c = buf[i]!;
    if (c === C.Quote) {
      i++;
      for (;;) {
        if (i >= n) return -1;
        const d = buf[i]!;
        if (d === C.Quote) break;
        i += d === C.Backslash ? 2 : 1;
      }
    } else if (c === C.LBrace || c === C.LBracket) depth++;
    else if (c === C.RBrace || c === C.RBracket) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** End (exclusive) of the string starting at `i` (a quote), or -1. */
export function scanString(buf: Buffer, i: number, n: number): number {
  i++;
  while (i < n) {
    const d = buf[i]!;
    if (d === C.Quote) return i + 1;
    i += d === C.Backslash ? 2 : 1;
  }
  return -1;
}

/** End (exclusive) of a scalar (number, true, false, null) starting at `i`, or -1. */
export function scanScalar(buf: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = buf[i]!;
    if (c === C.Comma || c === C.RBrace || c === C.RBracket || isWs(c)) return i;
    i++;
  }
  return -1;
}

/** The bytes at `i`, quoted, for a message saying what was found there. */
export function describeByte(buf: Buffer, i: number): string {
  const s = buf.toString('utf8', i, Math.min(buf.length, i + 12)).split('\n')[0]!;
  return JSON.stringify(s);
}

/** The buffer ends before the value does. */
export const INCOMPLETE = -1;
/** The value is of a kind these readers leave to JSON.parse (escapes, exponents, odd literals). */
export const NEED_JSON = -2;
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
const ONE_CHAR = Array.from({ length: 128 }, (_, k) => String.fromCharCode(k));
type Slice = (this: Buffer, a: number, b: number) => string;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Slice }).latin1Slice;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: Slice }).utf8Slice;

function decode(buf: Buffer, a: number, b: number, ascii: boolean): string {
  if (b - a === 1 && ascii) return ONE_CHAR[buf[a]!]!;
  if (ascii) return latin1Slice ? latin1Slice.call(buf, a, b) : buf.toString('latin1', a, b);
  return utf8Slice ? utf8Slice.call(buf, a, b) : buf.toString('utf8', a, b);
}

/** Where reading a value ended (set by readString and readLiteral). */
export let valueEnd = 0;

/** The first byte at or after `i` that is not whitespace (or `n`). */
export function skipWsAt(buf: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Strings up to this long are looked up in a cache. */
const MAX_CACHED_CHARS = 64;
const WORDS_PER_SLOT = MAX_CACHED_CHARS / 4;

/** The id of the last string readString gave, when it came from a cache with a table of ids; else -1. */
export let stringId = -1;

/** A table that gives strings small ids (the same id for the same string). */
export interface StringIds {
  id(s: string): number;
}

/**
 * Short ASCII strings by a hash of their bytes, so that bytes seen before give the same string again
 * without decoding them (nor keeping one more copy). Direct-mapped: a slot keeps the last string whose
 * hash falls in it, so that strings seen once (one-off values) cost no more than a slot.
 * With a table of ids (for the strings that repeat: keys, names) a slot also keeps the string's id
 * there, and its strings are internalized (see `internalized`).
 */
export class StringCache {
  private readonly hashes: Int32Array;
  private readonly strings: string[];
  private readonly ids: Int32Array;
  /** Each slot's string as little-endian words of 4 bytes (compared four bytes at a time). */
  private readonly words: Int32Array;
  private readonly mask: number;

  constructor(
    bits: number,
    private readonly table: StringIds | undefined,
  ) {
    this.hashes = new Int32Array(1 << bits);
    this.strings = new Array<string>(1 << bits).fill('');
    this.ids = new Int32Array(1 << bits).fill(-1);
    this.words = new Int32Array((1 << bits) * WORDS_PER_SLOT);
    this.mask = (1 << bits) - 1;
  }

  /**
   * The string of the ASCII bytes a..b (at most MAX_CACHED_CHARS), whose hash (see readString) is
   * `h`; its id in stringId. `dv` views `buf`.
   */
  get(buf: Buffer, dv: DataView, a: number, b: number, h: number): string {
    const slot = h & this.mask;
    const len = b - a;
    const w = slot * WORDS_PER_SLOT;
    const words = this.words;
    if (this.hashes[slot] === h) {
      const known = this.strings[slot]!;
      if (known.length === len) {
        let k = 0;
        while (k + 4 <= len && dv.getInt32(a + k, true) === words[w + (k >> 2)]) k += 4;
        if (k + 4 > len) {
          while (k < len && known.charCodeAt(k) === buf[a + k]) k++;
          if (k === len) {
            stringId = this.ids[slot]!;
            return known;
          }
        }
      }
    }
    const table = this.table;
    const s = table ? internalized(decode(buf, a, b, true)) : decode(buf, a, b, true);
    this.hashes[slot] = h;
    this.strings[slot] = s;
    for (let k = 0; k + 4 <= len; k += 4) words[w + (k >> 2)] = dv.getInt32(a + k, true);
    stringId = this.ids[slot] = table ? table.id(s) : -1;
    return s;
  }
}

/**
 * The copy of `s` V8 keeps as a property name. An object literal or a store with a key that is not one
 * has V8 look the name up first (at every store: the same keys come millions of times).
 */
function internalized(s: string): string {
  for (const k in { [s]: 0 }) return k;
  return s;
}

/** A string without escapes at `i` (a quote): its value, or INCOMPLETE / NEED_JSON. `dv` views `buf`. */
export function readString(
  buf: Buffer,
  dv: DataView,
  i: number,
  n: number,
  cache: StringCache | undefined,
): string | number {
  let j = i + 1;
  let h = 0;
  // Four bytes at a time while none of them is a quote, a backslash or beyond ASCII (the word has a
  // zero byte after an xor with the quote's or the backslash's: the usual bit trick, exact for "any").
  // Where this stops depends on the string's bytes only (a string ending in the buffer never reaches
  // its end here), so that the same bytes always hash the same.
  while (j + 4 <= n) {
    const x = dv.getInt32(j, true);
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    if ((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | x) & 0x80808080) break;
    h = Math.imul(h ^ x, 0x01000193);
    j += 4;
  }
  // The bytes or-ed together: below 0x80 when they are all ASCII.
  let bits = 0;
  for (;;) {
    if (j >= n) return INCOMPLETE;
    const c = buf[j]!;
    if (c === C.Quote) break;
    if (c === C.Backslash) return NEED_JSON;
    bits |= c;
    h = (Math.imul(h, 31) + c) | 0;
    j++;
  }
  valueEnd = j + 1;
  const len = j - i - 1;
  stringId = -1;
  if (bits >= 0x80) return decode(buf, i + 1, j, false);
  if (len <= 1) return len ? ONE_CHAR[buf[i + 1]!]! : '';
  if (cache !== undefined && len <= MAX_CACHED_CHARS) {
    // Mixed, so that the cache's slot (the low bits) depends on every byte.
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    return cache.get(buf, dv, i + 1, j, h ^ (h >>> 16));
  }
  return decode(buf, i + 1, j, true);
}

/**
 * The value of the number readNumber read last. A number returned from a function that is not inlined
 * is boxed in a new heap object; one stored here is not (and the readers return Smi offsets only).
 */
export const numberValue = new Float64Array(1);

/** A number at `i`: its end (its value in numberValue[0]), or INCOMPLETE / NEED_JSON. */
export function readNumber(buf: Buffer, i: number, n: number): number {
  let j = i;
  const neg = buf[j] === 0x2d;
  if (neg) j++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let d = 0;
  while (j < n && (d = buf[j]! - 0x30) >= 0 && d <= 9) {
    m = m * 10 + d;
    digits++;
    j++;
  }
  if (j < n && buf[j] === 0x2e) {
    j++;
    while (j < n && (d = buf[j]! - 0x30) >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
      frac++;
      j++;
    }
  }
  if (j >= n) return INCOMPLETE;
  const c = buf[j]!;
  if (digits === 0 || c === 0x65 || c === 0x45) return NEED_JSON;
  // Up to 15 digits the mantissa is exact and one division by an exact power of ten rounds correctly;
  // longer ones (float noise such as 23.000000000000004) are left to V8's own conversion.
  if (digits > 15) numberValue[0] = Number(decode(buf, i, j, true));
  else {
    const v = frac ? m / POW10[frac]! : m;
    numberValue[0] = neg ? -v : v;
  }
  return j;
}

/** A literal (true, false, null) at `i`; undefined with valueEnd set when not readable. */
export function readLiteral(buf: Buffer, i: number, n: number): boolean | null | undefined {
  const c = buf[i];
  const len = c === 0x74 ? 4 : c === 0x66 ? 5 : c === 0x6e ? 4 : 0;
  if (len === 0) {
    valueEnd = NEED_JSON;
    return undefined;
  }
  if (i + len > n) {
    valueEnd = INCOMPLETE;
    return undefined;
  }
  const word = buf.toString('latin1', i, i + len);
  valueEnd = i + len;
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  valueEnd = NEED_JSON;
  return undefined;
}

/** The end of any value at `i` (skipped), or INCOMPLETE / NEED_JSON. */
export function skipValue(buf: Buffer, i: number, n: number): number {
  const c = buf[i]!;
  if (c === C.LBrace || c === C.LBracket) return scanComposite(buf, i, n);
  if (c === C.Quote) {
    const end = scanString(buf, i, n);
    return end;
  }
  const end = scanScalar(buf, i, n);
  return end < 0 ? INCOMPLETE : end;
}
