// valgrind DHAT output (dhat.out.PID, "dhatFileVersion": 2), the same schema as the Rust `dhat`
// crate's dhat-heap.json. One JSON object (pretty-printed with leading commas, which JSON.parse
// accepts):
//
//   {"dhatFileVersion":2 ,"mode":"heap" ,"tu":"instrs","Mtu":"Minstr" ,"cmd":"…","pid":17923
//   ,"te":103345646 ,"tg":101270077 ,"pps": [{"tb":48,"tbk":1,"gb":48,"gbk":1,"eb":0,…,"fs":[1,2,3]}, …]
//   ,"ftbl": ["[root]", "0x1B70D4B: xmalloc (in /usr/lib/gcc/x86_64-linux-gnu/12/cc1plus)", …]}
//
// `fs` indexes `ftbl`, innermost frame first. `gb` = bytes live from a program point at t-gmax (the
// global heap peak); their sum is DHAT's "At t-gmax" figure; `eb` the same at the end (t-end).
// Times (`tg`, `te`) are in `tu`: instructions for valgrind ("instrs"), µs since the program started
// for the dhat crate ("µs", `"mode": "rust-heap"`).
//
// What it becomes:
//  - an 'allocator-heap' series of the live heap at the three moments DHAT knows: 0 bytes at the
//    start, the t-gmax total at `tg`, the t-end total at `te`. Its maximum is DHAT's peak. It is
//    not a timeline (DHAT records nothing in between), and a warning says so;
//  - times: the dhat crate's µs are wall time since the program started; valgrind's instructions
//    are no clock: the axis is pseudo-time, 1 ms per million instructions (as massif's
//    --time-unit=i), and the warning says that too;
//  - a marker of kind 'peak' at `tg` (detail: bytes, blocks, the times in `tu`), and the sites live
//    at it as markers of kind 'peak-site' (detail "<bytes> <function> <location>", the first frame
//    above the allocator and, for Rust, above the standard library's allocating wrappers);
//  - the process from `cmd` and `pid`.

import * as path from 'node:path';
import type { Marker, MemorySeries, Ms, Warning } from '../model';
import { SeriesBuilder } from '../model';
import { bytes, ms, us, usToMs } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { byteOffsetOf, ImportError } from './import-error';
import {
  ALLOCATOR,
  parseSite,
  peakSiteMarkers,
  RUST_LIBRARY_FRAME,
  type AllocationSite,
} from '../heap/allocation-site';

export interface DhatProgramPoint {
  tb: number;
  tbk: number;
  tl?: number;
  mb?: number;
  mbk?: number;
  gb?: number;
  gbk?: number;
  eb?: number;
  ebk?: number;
  rb?: number;
  wb?: number;
  fs: number[];
}

export interface DhatFile {
  dhatFileVersion: number;
  mode: string;
  tu: string;
  Mtu?: string;
  cmd: string;
  pid: number;
  te?: number;
  tg?: number;
  pps: DhatProgramPoint[];
  ftbl: string[];
}

export interface DhatSummary {
  /** Sum of `gb` over program points: DHAT's "At t-gmax" bytes. */
  peakBytes: number;
  peakBlocks: number;
  /** Sum of `tb`: DHAT's "Total" bytes. */
  totalBytes: number;
  /** Sum of `eb`: bytes still live at the end. */
  endBytes: number;
  /** Sites live at t-gmax, biggest first (program points with the same site are summed). */
  peakSites: AllocationSite[];
}

/** Sniffs DHAT JSON: `{"dhatFileVersion":` at the very start. */
export function isDhat(text: string): boolean {
  return /^\s*\{\s*"dhatFileVersion"\s*:/.test(text);
}

const STRING_FIELDS = ['mode', 'tu', 'cmd'] as const;
const NUMBER_FIELDS = ['pid', 'te', 'tg'] as const;
const PP_NUMBER_FIELDS = ['tb', 'tbk', 'tl', 'mb', 'mbk', 'gb', 'gbk', 'eb', 'ebk', 'rb', 'wb'] as const;

/** The first field whose JSON type is not DHAT's (a damaged or hand-edited file), or none. */
function fieldOfWrongType(d: Partial<DhatFile>): { field: string; type: string } | undefined {
  for (const k of STRING_FIELDS) if (typeof d[k] !== 'string') return { field: k, type: 'a string' };
  for (const k of NUMBER_FIELDS)
    if (d[k] !== undefined && typeof d[k] !== 'number') return { field: k, type: 'a number' };
  const ftbl = d.ftbl ?? [];
  for (let i = 0; i < ftbl.length; i++)
    if (typeof ftbl[i] !== 'string') return { field: `ftbl[${i}]`, type: 'a string' };
  const pps = d.pps ?? [];
  for (let i = 0; i < pps.length; i++) {
    const pp = pps[i] as unknown as Record<string, unknown> | null;
    if (typeof pp !== 'object' || pp === null) return { field: `pps[${i}]`, type: 'an object' };
    for (const k of PP_NUMBER_FIELDS)
      if ((k === 'tb' || pp[k] !== undefined) && typeof pp[k] !== 'number')
        return { field: `pps[${i}].${k}`, type: 'a number' };
  }
  return undefined;
}

export function parseDhat(text: string, file = '<input>'): DhatFile {
  if (!isDhat(text))
    throw new ImportError(
      'not-this-format',
      'no {"dhatFileVersion": … of valgrind DHAT / the dhat crate',
      file,
      undefined,
      0,
    );
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? Number(pos[1]) : text.length;
    const early = at >= text.trimEnd().length || /end of JSON input/.test(msg);
    throw new ImportError(
      'broken',
      `not valid JSON (${early ? 'the file ends early: cut?' : msg.replace(/ in JSON at position \d+$/, '')})`,
      file,
      undefined,
      Buffer.byteLength(text.slice(0, at)),
    );
  }
  const d = j as Partial<DhatFile>;
  if (d.dhatFileVersion !== 2)
    throw new ImportError(
      'broken',
      `unsupported dhatFileVersion ${String(d.dhatFileVersion)} (this reader knows 2)`,
      file,
      undefined,
      byteOffsetOf(text, '"dhatFileVersion"'),
    );
  if (!Array.isArray(d.pps) || !Array.isArray(d.ftbl))
    throw new ImportError(
      'broken',
      'no "pps" or "ftbl" array',
      file,
      undefined,
      byteOffsetOf(text, Array.isArray(d.pps) ? '"ftbl"' : '"pps"'),
    );
  if (!/heap/.test(d.mode ?? ''))
    throw new ImportError(
      'broken',
      `mode "${d.mode}" is not a heap profile (copy / ad-hoc modes are not read)`,
      file,
      undefined,
      byteOffsetOf(text, '"mode"'),
    );
  const wrongType = fieldOfWrongType(d);
  if (wrongType)
    throw new ImportError(
      'broken',
      `"${wrongType.field}" must be ${wrongType.type}`,
      file,
      undefined,
      byteOffsetOf(text, `"${wrongType.field.split('[')[0]!.split('.').pop()}"`),
    );
  for (let i = 0; i < d.pps.length; i++) {
    const pp = d.pps[i]!;
    if (!Array.isArray(pp.fs) || pp.fs.some((f) => !Number.isInteger(f) || f < 0 || f >= d.ftbl!.length)) {
      throw new ImportError(
        'broken',
        `program point ${i} has a frame index outside ftbl (${d.ftbl.length} frames)`,
        file,
        undefined,
        // DHAT writes each program point's frames compactly: found as written, else at "pps".
        byteOffsetOf(text, `"fs":${JSON.stringify(pp.fs)}`) || byteOffsetOf(text, '"pps"'),
      );
    }
  }
  return d as DhatFile;
}

export function summarizeDhat(d: DhatFile): DhatSummary {
  let peakBytes = 0;
  let peakBlocks = 0;
  let totalBytes = 0;
  let endBytes = 0;
  const sites = new Map<string, AllocationSite>();
  for (const pp of d.pps) {
    peakBytes += pp.gb ?? 0;
    peakBlocks += pp.gbk ?? 0;
    totalBytes += pp.tb;
    endBytes += pp.eb ?? 0;
    if (!pp.gb) continue;
    let site: AllocationSite | undefined;
    for (const f of pp.fs) {
      const desc = d.ftbl[f]!;
      if (desc === '[root]') continue;
      const s = parseSite(pp.gb, desc);
      site ??= s; // the innermost frame, when every frame is an allocator
      if (
        !ALLOCATOR.test(s.fn) &&
        !/^(?:operator new|malloc|calloc|realloc)\b/.test(s.fn) &&
        !RUST_LIBRARY_FRAME.test(s.fn)
      ) {
        site = s;
        break;
      }
    }
    site ??= { bytes: pp.gb, fn: '[root]' };
    const key = `${site.fn}\u0000${site.location ?? ''}`;
    const known = sites.get(key);
    if (known) known.bytes += pp.gb;
    else sites.set(key, { ...site, bytes: pp.gb });
  }
  return {
    peakBytes,
    peakBlocks,
    totalBytes,
    endBytes,
    peakSites: [...sites.values()].sort((a, b) => b.bytes - a.bytes),
  };
}

/** How the file's time unit maps to the profile's axis: µs are a clock; anything else is pseudo-time. */
function timeAxis(tu: string): { toMs: (t: number) => Ms; clock: boolean; says: string } {
  if (tu === 'µs' || tu === 'us')
    return { toMs: (t) => usToMs(us(t)), clock: true, says: 'times are µs since the program started' };
  const unit = tu === 'instrs' ? 'instructions' : `"${tu}"`;
  return {
    toMs: (t) => ms(t / 1e6),
    clock: false,
    says: `its times are ${unit}, not a clock: the time axis is pseudo-time, 1 ms per million ${unit}`,
  };
}

export function dhatToResult(d: DhatFile, file = '<input>'): ImportResult {
  const s = summarizeDhat(d);
  const argv = d.cmd.split(/\s+/).filter(Boolean);
  // path.win32 splits at both separators: the dhat crate runs on Windows too.
  const label = argv[0] ? path.win32.basename(argv[0]) : 'dhat';
  const who = `${label} (pid ${d.pid})`;
  const axis = timeAxis(d.tu);
  const warnings: Warning[] = [];
  // The peak's moment; a file without `tg` (not one DHAT writes in heap mode) puts it at the start.
  const peakMs = d.tg !== undefined ? axis.toMs(d.tg) : ms(0);
  const endMs = d.te !== undefined ? axis.toMs(Math.max(d.te, d.tg ?? 0)) : undefined;
  const heap = new SeriesBuilder(3);
  if (peakMs > 0) heap.push(ms(0), bytes(0));
  heap.push(peakMs, bytes(s.peakBytes));
  if (endMs !== undefined && endMs > peakMs) heap.push(endMs, bytes(s.endBytes));
  warnings.push({
    code: 'no-timeline',
    message: `DHAT records the heap only at its peak (t-gmax) and at the end: the heap of ${who} is ${heap.length} points (start, t-gmax, end), not a timeline; ${axis.says}`,
    file,
  });
  if (d.tg === undefined)
    warnings.push({
      code: 'dhat-no-tg',
      message: 'no "tg" (time of t-gmax) in the file: the peak is placed at 0',
      file,
    });
  const series: MemorySeries[] = [
    heap.build({
      id: `dhat-heap:${d.pid}`,
      name: `heap of ${who} (DHAT: live bytes at t-gmax and at the end)`,
      kind: 'allocator-heap',
      source: d.mode === 'rust-heap' ? 'dhat crate' : 'valgrind DHAT',
      pid: d.pid,
    }),
  ];
  const at = d.tg !== undefined ? ` at ${d.tg} ${d.tu}${d.te !== undefined ? ` of ${d.te}` : ''}` : '';
  const markers: Marker[] = [
    {
      name: `DHAT peak (t-gmax) of ${who}`,
      kind: 'peak',
      tMs: peakMs,
      pid: d.pid,
      detail: `${s.peakBytes} bytes in ${s.peakBlocks} blocks${at}; total allocated ${s.totalBytes} bytes; live at end ${s.endBytes} bytes`,
    },
    ...peakSiteMarkers(s.peakSites, peakMs, d.pid),
  ];
  return {
    series,
    markers,
    warnings,
    sources: ['dhat'],
    processes: [{ pid: d.pid, argv, label, startMs: ms(0), ...(endMs !== undefined ? { endMs } : {}) }],
  };
}

export function importDhat(text: string, file = '<input>'): ImportResult {
  return dhatToResult(parseDhat(text, file), file);
}

export const dhatImporter = defineImporter({
  format: 'dhat',
  description:
    "valgrind DHAT JSON (dhat.out.PID) and the Rust dhat crate's dhat-heap.json: the heap peak (t-gmax) as a heap series of three points (start, t-gmax, end; valgrind's times are instructions: pseudo-time) and the allocation sites live at it",
  sniff: isDhat,
  importText: importDhat,
});
