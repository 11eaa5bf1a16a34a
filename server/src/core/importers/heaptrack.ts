// heaptrack's interpreted data file (`heaptrack.<name>.<pid>.zst`): zstd-compressed text, one record
// per line, every number hex, tables indexed implicitly (1-based, in order of definition):
//
//   v 10400 3                      heaptrack version, file format version
//   X <command line>               I <page size> <physical pages>
//   s <len> <string>               string table (modules, functions, files)
//   i <ip> <module> [<fn> [<file> <line>]]…   instruction pointer; extra triples = inlined frames
//   t <ip idx> <parent trace idx>  backtrace tree (0 = root)
//   a <size> <trace idx>           allocation info (0-based); "+ <idx>" / "- <idx>" allocate / free one block of it
//   c <ms>                         a timestamp: the events after it happened after that ms
//   R <rss pages>                  RSS sample
//
// What it becomes: an 'allocator-heap' series of live bytes (a sample at every `c`, plus the peak
// itself placed at the `c` before it), an 'rss-process' series from the `R` lines, a 'peak' marker and
// 'peak-site' markers for what is live at the peak, by allocation site (the first frame above the
// allocator wrappers, names resolved through the ip and string tables), and the process (no pid in
// the file: the pid is taken from the file name `heaptrack.<name>.<pid>.zst` when it has one).
// A cut .zst keeps what could be decoded, with a warning naming the byte offset.
// With arena rules (`opts.arenaRules`, see analysis/arena-rules.ts), arena lanes are inferred from the
// allocations' stacks; the parsed data (heap/heaptrack-data.ts) keeps the tables and the +/- event stream for that.

import * as path from 'node:path';
import type { Marker, MemorySeries, Ms, Warning } from '../model';
import { bytes as asBytes, ms as asMs } from '../units';
import { SeriesBuilder } from '../model';
import { defineImporter, type ImportOptions, type ImportResult } from './importer';
import { ImportError } from './import-error';
import { inflateZstd, isZstd, MAX_INFLATED_BYTES } from './decompress';
import { decodeUtf8, inflatedContent } from './read-file';
import { ALLOCATOR, peakSiteMarkers, type AllocationSite } from '../heap/allocation-site';
import type { HeaptrackData } from '../heap/heaptrack-data';
import { inferArenas, type ArenaRule } from '../analysis/arena-rules';
import { isPlausibleBytes, isPlausibleMs } from '../plausible';
import { DROP_CODES, droppedWarning } from './drop-implausible';

export { isZstd } from './decompress';

/**
 * Sniffs heaptrack data by its content (decompressed by the registry): "v <hex> <hex>" then the
 * command line ("X ", or "x " in a RAW recording, which the importer refuses with a hint).
 */
export function isHeaptrack(head: string): boolean {
  return /^v [0-9a-f]+ [0-9a-f]+\r?\n[Xx] /.test(head);
}

/** Decompresses a zstd stream; a cut or corrupt stream yields what decoded before the damage. */
export function decompressZstd(bytes: Uint8Array): { data: Uint8Array; error?: string; byteOffset?: number } {
  const z = inflateZstd(bytes, MAX_INFLATED_BYTES);
  if (z.tooBig) return { data: z.data, error: `more than ${MAX_INFLATED_BYTES} bytes`, byteOffset: 0 };
  return { data: z.data, ...(z.error !== undefined ? { error: z.error, byteOffset: z.byteOffset! } : {}) };
}

/** A growable Int32Array. */
class Int32Builder {
  a = new Int32Array(1 << 16);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const g = new Int32Array(this.n * 2);
      g.set(this.a);
      this.a = g;
    }
    this.a[this.n++] = x;
  }
  build(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

const hex = (s: string | undefined) => (s === undefined ? NaN : parseInt(s, 16));

/** Parses the decompressed text. Throws ImportError for a malformed line. */
export function parseHeaptrack(text: string, file = '<input>'): HeaptrackData {
  const strings: string[] = [''];
  const ipModule: number[] = [0];
  const ipFunction: number[] = [0];
  const ipFile: number[] = [0];
  const ipLine: number[] = [0];
  const ipInlined: (number[] | undefined)[] = [undefined];
  const traceIp: number[] = [0];
  const traceParent: number[] = [0];
  // Allocation infos are the one 0-based table ("+ 0" follows the first "a").
  const infoSize: number[] = [];
  const infoTrace: number[] = [];
  const out: HeaptrackData = {
    cmd: '',
    pageSizeBytes: 4096,
    peakBytes: 0,
    peakTimeMs: asMs(0),
    peakSites: [],
    allocations: 0,
    frees: 0,
    heap: new SeriesBuilder(),
    rss: new SeriesBuilder(),
    lastTimeMs: asMs(0),
    textBytes: text.length,
    complete: false,
    warnings: [],
    tables: { strings, ipModule, ipFunction, ipFile, ipLine, ipInlined, traceIp, traceParent, infoSize, infoTrace },
    events: new Int32Array(0),
    tickEvent: new Int32Array(0),
    tickMs: new Float64Array(0),
    peakEvent: -1,
  };
  const events = new Int32Builder();
  const tickEvent = new Int32Builder();
  const tickMs = new SeriesBuilder(256);
  let live = 0;
  let t: Ms = asMs(0);
  // Live blocks per allocation info, and a copy of it at the peak (taken lazily: only the last peak counts).
  let liveCount = new Float64Array(1024);
  let peakEvent = -1;
  let event = 0;
  // Lines are scanned in place rather than split: one string per line for millions of lines would
  // dominate the importer's memory.
  const cut = !text.endsWith('\n');
  const end = cut ? text.lastIndexOf('\n') + 1 : text.length;
  if (cut) {
    out.warnings.push({
      code: 'heaptrack-truncated',
      message: `the data ends in the middle of a line (cut?): "${text.slice(end)}" is skipped`,
      file,
    });
  }
  let lineNo = 0;
  let l = '';
  let implausibleTicks = 0;
  let firstImplausibleTick: string | undefined;
  const broken = (why: string): never => {
    throw new ImportError('broken', `${why}: "${l.slice(0, 80)}"`, file, lineNo);
  };
  // Pass 1: tables, series, the peak (as an event index).
  for (let pos = 0; pos < end; ) {
    const nl = text.indexOf('\n', pos);
    const eol = nl < 0 ? end : nl;
    const lineStart = pos;
    pos = eol + 1;
    lineNo++;
    if (eol === lineStart) continue;
    const k = text.charCodeAt(lineStart);
    if (k === 43 /* + */ || k === 45 /* - */) {
      // The hot path: "+ <hex>" / "- <hex>", parsed without a string.
      let idx = 0;
      let j = lineStart + 2;
      for (; j < eol; j++) {
        const c = text.charCodeAt(j);
        const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
        if (v < 0) break;
        idx = idx * 16 + v;
      }
      if (j !== eol || j === lineStart + 2) idx = -1;
      const size = infoSize[idx];
      if (size === undefined) {
        l = text.slice(lineStart, eol);
        broken('allocation info index out of range');
      }
      if (idx >= liveCount.length) {
        const grown = new Float64Array(Math.max(idx + 1, liveCount.length * 2));
        grown.set(liveCount);
        liveCount = grown;
      }
      events.push(k === 43 ? idx : ~idx);
      if (k === 43) {
        live += size!;
        liveCount[idx]!++;
        out.allocations++;
        if (live > out.peakBytes) {
          out.peakBytes = live;
          out.peakTimeMs = t;
          peakEvent = event;
        }
      } else {
        live -= size!;
        liveCount[idx]!--;
        out.frees++;
      }
      event++;
      continue;
    }
    l = text.slice(lineStart, eol);
    const f = l.split(' ');
    switch (l[0]) {
      case 's':
        strings.push(l.slice(l.indexOf(' ', 2) + 1));
        break;
      case 'i':
        ipModule.push(hex(f[2]));
        ipFunction.push(f[3] !== undefined ? hex(f[3]) : 0);
        ipFile.push(f[4] !== undefined ? hex(f[4]) : 0);
        ipLine.push(f[5] !== undefined ? hex(f[5]) : 0);
        if (f.length > 6) {
          const inl: number[] = [];
          for (let k = 6; k + 1 < f.length; k += 3) inl.push(hex(f[k]), hex(f[k + 1]));
          ipInlined.push(inl);
        } else ipInlined.push(undefined);
        break;
      case 't': {
        // heaptrack defines a trace after its parent and its ip: an index that points forward (or at
        // itself) is damage, and would make the walks up the tree loop forever.
        const ip = hex(f[1]);
        const parent = hex(f[2]);
        if (!(ip >= 0 && ip < ipModule.length)) broken('trace points to an undefined instruction pointer');
        if (!(parent >= 0 && parent < traceIp.length)) broken('trace parent is not an earlier trace (a cycle?)');
        traceIp.push(ip);
        traceParent.push(parent);
        break;
      }
      case 'a': {
        const size = hex(f[1]);
        const trace = hex(f[2]);
        if (!isPlausibleBytes(size)) broken('not an allocation info (size)');
        if (!(trace >= 0 && trace < traceIp.length)) broken('allocation info points to an undefined trace');
        infoSize.push(size);
        infoTrace.push(trace);
        break;
      }
      case 'c': {
        const ms = hex(f[1]);
        if (Number.isNaN(ms)) broken('not a timestamp');
        if (!isPlausibleMs(ms)) {
          // A time no run can have: the tick is skipped, its events stay at the tick before.
          implausibleTicks++;
          firstImplausibleTick ??= `line ${lineNo}: c ${f[1]}`;
          break;
        }
        t = asMs(ms);
        out.heap.push(t, asBytes(live));
        tickEvent.push(event);
        tickMs.push(t, asBytes(0));
        break;
      }
      case 'R':
        out.rss.push(t, asBytes(hex(f[1]) * out.pageSizeBytes));
        break;
      case 'v':
        out.version = hex(f[1]);
        out.formatVersion = hex(f[2]);
        break;
      case 'X':
        out.cmd = l.slice(2);
        break;
      case 'I':
        out.pageSizeBytes = hex(f[1]);
        break;
      case '#':
        if (l.startsWith('# strings')) out.complete = true;
        break;
      case 'A': // attached to a running process
        break;
      default:
        broken('unknown record');
    }
  }
  if (implausibleTicks)
    out.warnings.push(droppedWarning(DROP_CODES.time, implausibleTicks, firstImplausibleTick!, file));
  out.lastTimeMs = t;
  out.events = events.build();
  out.tickEvent = tickEvent.build();
  out.tickMs = tickMs.build({ id: '', name: '', kind: 'allocator-heap', source: 'heaptrack' }).tMs;
  out.peakEvent = peakEvent;
  if (!out.complete)
    out.warnings.push({
      code: 'heaptrack-incomplete',
      message:
        'no trailing "# strings" line: heaptrack stopped before the end of the run (killed, crashed, or the file was cut); what was recorded is kept',
      file,
    });
  // Pass 2: replay the + and - up to the peak, for what is live at it.
  if (peakEvent >= 0) {
    liveCount.fill(0);
    const ev = out.events;
    for (let e = 0; e <= peakEvent; e++) {
      const x = ev[e]!;
      if (x >= 0) liveCount[x]!++;
      else liveCount[~x]!--;
    }
    const sites = new Map<string, AllocationSite>();
    for (let idx = 0; idx < infoSize.length; idx++) {
      const bytes = liveCount[idx]! * infoSize[idx]!;
      if (bytes <= 0) continue;
      // The first frame above the allocator wrappers (xmalloc, operator new, …).
      let trace = infoTrace[idx]!;
      let chosen = trace;
      while (trace > 0) {
        const fn = strings[ipFunction[traceIp[trace]!]!] ?? '';
        chosen = trace;
        if (fn && !ALLOCATOR.test(fn)) break;
        trace = traceParent[trace]!;
      }
      const ip = traceIp[chosen] ?? 0;
      const fn = strings[ipFunction[ip]!] || '??';
      const location = ipFile[ip]
        ? `${strings[ipFile[ip]!]}:${ipLine[ip]}`
        : strings[ipModule[ip]!]
          ? `in ${strings[ipModule[ip]!]}`
          : undefined;
      const key = `${fn}\u0000${location ?? ''}`;
      const known = sites.get(key);
      if (known) known.bytes += bytes;
      else sites.set(key, location ? { bytes, fn, location } : { bytes, fn });
    }
    out.peakSites = [...sites.values()].sort((a, b) => b.bytes - a.bytes);
  }
  return out;
}

/** The pid in a file name such as `heaptrack.cc1.12345.zst`, when it has one. */
export function heaptrackPid(file: string): number | undefined {
  const m = /^heaptrack\..*\.(\d+)\.(?:zst|gz)$/.exec(path.basename(file));
  return m ? Number(m[1]) : undefined;
}

export function heaptrackToResult(
  d: HeaptrackData,
  file = '<input>',
  extraWarnings: Warning[] = [],
  arenaRules: readonly ArenaRule[] = [],
): ImportResult {
  const pid = heaptrackPid(file);
  const argv = d.cmd.split(/\s+/).filter(Boolean);
  const label = argv[0] ? path.basename(argv[0]) : 'heaptrack';
  const who = `${label}${pid !== undefined ? ` (pid ${pid})` : ''}`;
  const pidField = pid !== undefined ? { pid } : {};
  // The heap series with the peak placed at the tick before it (events between ticks have no time of their own).
  const heapT: number[] = [];
  const heapV: number[] = [];
  const built = d.heap.build({ id: 'x', name: 'x', kind: 'allocator-heap', source: 'heaptrack' });
  let placed = false;
  heapT.push(0);
  heapV.push(0);
  for (let i = 0; i < built.tMs.length; i++) {
    if (!placed && built.tMs[i]! > d.peakTimeMs) {
      heapT.push(d.peakTimeMs);
      heapV.push(d.peakBytes);
      placed = true;
    }
    heapT.push(built.tMs[i]!);
    heapV.push(built.bytes[i]!);
  }
  if (!placed && d.peakBytes > 0) {
    heapT.push(d.peakTimeMs);
    heapV.push(d.peakBytes);
  }
  const idPart = pid !== undefined ? `:${pid}` : `:${label}`;
  const series: MemorySeries[] = [
    {
      id: `heaptrack-heap${idPart}`,
      name: `heap of ${who} (heaptrack: live bytes from malloc & co.)`,
      kind: 'allocator-heap',
      source: 'heaptrack',
      ...pidField,
      unit: 'bytes',
      tMs: Float64Array.from(heapT),
      bytes: Float64Array.from(heapV),
    },
  ];
  if (d.rss.length)
    series.push({
      ...d.rss.build({
        id: `heaptrack-rss${idPart}`,
        name: `RSS of ${who} (heaptrack samples, including heaptrack's overhead)`,
        kind: 'rss-process',
        source: 'heaptrack',
        ...pidField,
      }),
    });
  const markers: Marker[] = [
    {
      name: `heaptrack peak of ${who}`,
      kind: 'peak',
      tMs: d.peakTimeMs,
      ...pidField,
      detail: `${d.peakBytes} bytes live (${d.allocations} allocations, ${d.frees} frees in the file)`,
    },
    ...peakSiteMarkers(d.peakSites, d.peakTimeMs, pid),
  ];
  const inferred = inferArenas({ kind: 'heaptrack', heaptrack: d, ...pidField, label, file }, arenaRules);
  return {
    series,
    markers,
    ...(inferred.arenas.length ? { arenas: inferred.arenas } : {}),
    warnings: [...extraWarnings, ...d.warnings, ...inferred.warnings],
    sources: ['heaptrack'],
    ...(d.version !== undefined
      ? { tools: { heaptrack: `${d.version >> 16}.${(d.version >> 8) & 0xff}.${d.version & 0xff}` } }
      : {}),
    processes: pid !== undefined ? [{ pid, argv, label, startMs: asMs(0), endMs: d.lastTimeMs }] : [],
  };
}

/** Imports heaptrack data from the file's bytes (zstd, or already decompressed text). */
export function importHeaptrackBytes(bytes: Uint8Array, file = '<input>', opts: ImportOptions = {}): ImportResult {
  // Inflated already when read through the registry; zstd bytes given directly are inflated here.
  const { bytes: data, warnings } = isZstd(bytes)
    ? inflatedContent(inflateZstd(bytes), bytes.length, file)
    : { bytes, warnings: [] as Warning[] };
  const decoded = decodeUtf8(data);
  // heaptrack writes \n; a file that went through a CRLF conversion is read all the same.
  const cr = decoded.indexOf('\r');
  const text = cr >= 0 && cr < 4096 ? decoded.replace(/\r\n/g, '\n') : decoded;
  if (/^v [0-9a-f]+ [0-9a-f]+\nx /.test(text))
    throw new ImportError(
      'broken',
      'this is a RAW heaptrack recording (heaptrack -r): run heaptrack_interpret on it first',
      file,
      2,
    );
  if (!/^v [0-9a-f]+ [0-9a-f]+\n/.test(text)) {
    throw new ImportError('not-this-format', 'no "v <version> <format>" line of heaptrack data', file, 1);
  }
  return heaptrackToResult(parseHeaptrack(text, file), file, warnings, opts.arenaRules);
}

export const heaptrackImporter = defineImporter({
  format: 'heaptrack',
  description:
    'heaptrack data files (.zst, interpreted): live heap over time from every malloc/free, RSS samples, the peak and the allocation sites live at it (as peak-site markers)',
  sniff: isHeaptrack,
  importBytes: importHeaptrackBytes,
});
