// valgrind DHAT output (dhat.out.PID, "dhatFileVersion": 2), the same schema as the Rust `dhat`
// crate's dhat-heap.json. One JSON object (pretty-printed with leading commas, which JSON.parse
// accepts):
//
//   {"dhatFileVersion":2 ,"mode":"heap" ,"tu":"instrs","Mtu":"Minstr" ,"cmd":"…","pid":17923
//   ,"te":103345646 ,"tg":101270077 ,"pps": [{"tb":48,"tbk":1,"gb":48,"gbk":1,"eb":0,…,"fs":[1,2,3]}, …]
//   ,"ftbl": ["[root]", "0x1B70D4B: xmalloc (in /usr/lib/gcc/x86_64-linux-gnu/12/cc1plus)", …]}
//
// `fs` indexes `ftbl`, innermost frame first. `gb` = bytes live from a program point at t-gmax (the
// global heap peak); their sum is DHAT's "At t-gmax" figure. Times (`tg`, `te`) are in `tu`:
// instructions for valgrind, µs for the dhat crate. There is no wall clock and no time series, so
// there is NO memory series: the peak is a marker of kind 'peak' at time 0 (detail: bytes and the
// time in `tu`), the sites live at it are markers of kind 'peak-site' (detail "<bytes> <function>
// <location>", the first frame above the allocator), and a warning says there is no timeline.
// `cmd` and `pid` become the process.

import * as path from 'node:path';
import type { Marker, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';
import { ALLOCATOR, parseSite, peakSiteMarkers, type AllocationSite } from '../heap/allocation-site';

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

export function parseDhat(text: string, file = '<input>'): DhatFile {
  if (!isDhat(text))
    throw new ImportError('not-this-format', 'no {"dhatFileVersion": … of valgrind DHAT / the dhat crate', file);
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
    );
  if (!Array.isArray(d.pps) || !Array.isArray(d.ftbl))
    throw new ImportError('broken', 'no "pps" or "ftbl" array', file);
  if (!/heap/.test(d.mode ?? ''))
    throw new ImportError('broken', `mode "${d.mode}" is not a heap profile (copy / ad-hoc modes are not read)`, file);
  for (let i = 0; i < d.pps.length; i++) {
    const pp = d.pps[i]!;
    if (!Array.isArray(pp.fs) || pp.fs.some((f) => !Number.isInteger(f) || f < 0 || f >= d.ftbl!.length)) {
      throw new ImportError(
        'broken',
        `program point ${i} has a frame index outside ftbl (${d.ftbl.length} frames)`,
        file,
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
      if (!ALLOCATOR.test(s.fn) && !/^(?:operator new|malloc|calloc|realloc)\b/.test(s.fn)) {
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

export function dhatToResult(d: DhatFile, file = '<input>'): ImportResult {
  const s = summarizeDhat(d);
  const argv = d.cmd.split(/\s+/).filter(Boolean);
  const label = argv[0] ? path.basename(argv[0]) : 'dhat';
  const who = `${label} (pid ${d.pid})`;
  const warnings: Warning[] = [
    {
      code: 'no-timeline',
      message: `DHAT has no wall clock and no time series (times are in ${d.tu}): the heap peak of ${who} is a marker at time 0, not a memory series`,
      file,
    },
  ];
  const at = d.tg !== undefined ? ` at ${d.tg} ${d.tu}${d.te !== undefined ? ` of ${d.te}` : ''}` : '';
  const markers: Marker[] = [
    {
      name: `DHAT peak (t-gmax) of ${who}`,
      kind: 'peak',
      tMs: ms(0),
      pid: d.pid,
      detail: `${s.peakBytes} bytes in ${s.peakBlocks} blocks${at}; total allocated ${s.totalBytes} bytes; live at end ${s.endBytes} bytes`,
    },
    ...peakSiteMarkers(s.peakSites, ms(0), d.pid),
  ];
  return { markers, warnings, sources: ['dhat'], processes: [{ pid: d.pid, argv, label, startMs: ms(0) }] };
}

export function importDhat(text: string, file = '<input>'): ImportResult {
  return dhatToResult(parseDhat(text, file), file);
}

export const dhatImporter = defineImporter({
  format: 'dhat',
  description:
    "valgrind DHAT JSON (dhat.out.PID) and the Rust dhat crate's dhat-heap.json: the heap peak (t-gmax) and the allocation sites live at it, as markers (no timeline: times are instructions)",
  sniff: isDhat,
  importText: importDhat,
});
