// Source map v3 encoding. Codegen records segments as flat quadruples
// (generated line, generated column, original line, original column), 0-based, per module;
// a chunk's map concatenates its modules with their line offsets in the chunk.

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function vlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += BASE64[digit];
  } while (v > 0);
  return out;
}

/** Offsets at which each line of `source` starts. */
export function lineStarts(source: string): Int32Array {
  let count = 1;
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) count++;
  const starts = new Int32Array(count);
  let line = 1;
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts[line++] = i + 1;
  return starts;
}

/** 0-based line index of `offset` (binary search over line starts). */
export function lineOf(starts: Int32Array, offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface MappedSource {
  name: string;
  content: string;
  /** Line in the chunk where this source's generated code starts. */
  lineOffset: number;
  segments: readonly number[];
}

/** Builds the JSON text of a chunk's source map. */
export function encodeSourceMap(file: string, sources: readonly MappedSource[]): string {
  const parts: string[] = [];
  let line = 0;
  let firstInLine = true;
  let prevColumn = 0;
  let prevSource = 0;
  let prevLine = 0;
  let prevOrigColumn = 0;
  sources.forEach((source, index) => {
    const seg = source.segments;
    for (let k = 0; k < seg.length; k += 4) {
      const genLine = seg[k]! + source.lineOffset;
      if (genLine > line) {
        parts.push(';'.repeat(genLine - line));
        line = genLine;
        firstInLine = true;
        prevColumn = 0;
      }
      if (!firstInLine) parts.push(',');
      firstInLine = false;
      const column = seg[k + 1]!;
      parts.push(
        vlq(column - prevColumn),
        vlq(index - prevSource),
        vlq(seg[k + 2]! - prevLine),
        vlq(seg[k + 3]! - prevOrigColumn),
      );
      prevColumn = column;
      prevSource = index;
      prevLine = seg[k + 2]!;
      prevOrigColumn = seg[k + 3]!;
    }
  });
  return JSON.stringify({
    version: 3,
    file,
    sources: sources.map((s) => `${s.name}.tiny`),
    sourcesContent: sources.map((s) => s.content),
    names: [],
    mappings: parts.join(''),
  });
}
