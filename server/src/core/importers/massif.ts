// valgrind massif output (massif.out.PID): one file per process, each with its own clock.
//
//   desc: --time-unit=ms [--pages-as-heap=yes] ...
//   cmd: <command line>
//   time_unit: ms | i | B
//   #-----------
//   snapshot=0
//   #-----------
//   time=1916
//   mem_heap_B=655407
//   mem_heap_extra_B=31785
//   mem_stacks_B=0
//   heap_tree=empty | detailed | peak
//   n6: 1074904 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.
//    n1: 65536 0x6A122F: toplev::main(int, char**) (in /usr/lib/gcc/x86_64-linux-gnu/12/cc1plus)
//
// What it becomes:
//  - an 'allocator-heap' series of mem_heap_B + mem_heap_extra_B (with --pages-as-heap: mapped pages,
//    closer to RSS, and the series says so), and a second series for stacks when --stacks=yes gave any;
//  - a marker of kind 'peak' at the peak snapshot (heap_tree=peak), and one marker of kind 'peak-site'
//    per allocation site live at the peak (the first frame above malloc & co. and unknown frames, see
//    `sitesOf`; the biggest MAX_PEAK_SITES), detail "<bytes> <function> <file:line | in module>" (the
//    model has no field for sites: markers carry them);
//  - the process (pid from the file name massif.out.PID, argv from `cmd:`).
//  - with arena rules (`opts.arenaRules`, see analysis/arena-rules.ts): arena lanes inferred from the
//    detailed snapshots' trees (every detailed snapshot keeps its tree in `heapTree`).
// Times: time_unit ms is wall ms since the process started under valgrind. With `i` (instructions) or
// `B` (bytes allocated) there is no clock: the axis is pseudo-time (1 ms per million units) and a
// warning says so.

import * as path from 'node:path';
import type { Marker, MemorySeries, Ms, Warning } from '../model';
import { bytes, ms } from '../units';
import { SeriesBuilder } from '../model';
import { defineImporter, type ImportOptions, type ImportResult } from './importer';
import { inferArenas, type ArenaRule } from '../analysis/arena-rules';
import { ImportError } from './import-error';
import { ALLOCATOR, parseSite, peakSiteMarkers, type AllocationSite } from '../heap/allocation-site';
import { BELOW_THRESHOLD, type MassifSnapshot, type MassifTreeNode, type ParsedMassif } from '../heap/parsed-massif';

/** Sniffs massif output: starts with "desc:" then "cmd:" then "time_unit:". */
export function isMassif(text: string): boolean {
  return /^desc:.*\r?\ncmd:.*\r?\ntime_unit:\s*(?:ms|i|B)\s*\n/.test(text);
}

const NODE = /^( *)n(\d+): (\d+) (.*)$/;

type TreeLine = MassifTreeNode;

/**
 * The allocation sites live at the peak, from the peak snapshot's tree: walking down from the root, a
 * node whose function is an allocator wrapper or unknown ("???") is looked through, and the first
 * other frame is a site. Sites partition the peak (less what massif folded "below threshold").
 * Biggest first; frames with the same function and location are summed.
 */
export function sitesOf(tree: { depth: number; bytes: number; desc: string }[]): AllocationSite[] {
  const found = new Map<string, AllocationSite>();
  if (!tree.length) return [];
  // Children by one pass over the pre-order lines (the last line one level up is the parent), and
  // the walk with a stack of its own: a damaged tree can be thousands of levels deep.
  const kids: number[][] = tree.map(() => []);
  const open: number[] = [];
  for (let j = 0; j < tree.length; j++) {
    const d = tree[j]!.depth;
    while (open.length && tree[open[open.length - 1]!]!.depth >= d) open.pop();
    if (open.length && tree[open[open.length - 1]!]!.depth === d - 1) kids[open[open.length - 1]!]!.push(j);
    open.push(j);
  }
  const todo = [0];
  while (todo.length) {
    const i = todo.pop()!;
    const node = tree[i]!;
    const site = parseSite(node.bytes, node.desc);
    const lookThrough = node.depth === 0 || (ALLOCATOR.test(site.fn) && kids[i]!.length > 0);
    if (lookThrough) {
      for (let k = kids[i]!.length - 1; k >= 0; k--) todo.push(kids[i]![k]!);
      continue;
    }
    if (BELOW_THRESHOLD.test(node.desc)) continue;
    const key = `${site.fn}\u0000${site.location ?? ''}`;
    const known = found.get(key);
    if (known) known.bytes += site.bytes;
    else found.set(key, site);
  }
  return [...found.values()].sort((a, b) => b.bytes - a.bytes);
}

/** The number of lines a heap tree declares: its root and every node's children count ("nN:"). */
function treeSize(lines: readonly string[], from: number, to: number): number {
  let n = 1;
  for (let k = from; k < to; k++) n += Number(NODE.exec(lines[k]!)?.[2] ?? 0);
  return n;
}

export function parseMassif(text: string, file = '<input>'): ParsedMassif {
  if (!isMassif(text))
    throw new ImportError('not-this-format', 'no "desc:" / "cmd:" / "time_unit:" header of valgrind massif', file, 1);
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const warnings: Warning[] = [];
  if (!text.endsWith('\n')) {
    // massif ends every line with a newline: the last one was cut (a killed run or a cut copy).
    warnings.push({
      code: 'massif-truncated',
      message: `the file ends in the middle of a line (cut?): "${lines[lines.length - 1]}" is skipped`,
      file,
      line: lines.length,
    });
    lines.pop();
  }
  const desc = lines[0]!.slice(5).trim();
  const cmd = lines[1]!.slice(4).trim();
  const timeUnit = lines[2]!.slice(10).trim() as ParsedMassif['timeUnit'];
  const out: ParsedMassif = {
    desc,
    cmd,
    timeUnit,
    pagesAsHeap: /--pages-as-heap=yes/.test(desc),
    snapshots: [],
    peakSites: [],
    warnings,
  };
  let i = 3;
  let peakTree: TreeLine[] = [];
  const broken = (why: string, line: number): never => {
    throw new ImportError('broken', why, file, line);
  };
  while (i < lines.length) {
    if (lines[i] !== '#-----------') broken(`expected "#-----------" before a snapshot, found "${lines[i]}"`, i + 1);
    const start = i;
    // A snapshot is 9 header lines; fewer means the file was cut inside it.
    if (i + 7 >= lines.length) {
      out.warnings.push({
        code: 'massif-truncated',
        message: `the file ends inside snapshot ${out.snapshots.length} (cut?): it is skipped`,
        file,
        line: start + 1,
      });
      break;
    }
    const field = (k: number, name: string): string => {
      const l = lines[i + k]!;
      if (!l.startsWith(`${name}=`)) broken(`expected "${name}=", found "${l}"`, i + k + 1);
      return l.slice(name.length + 1);
    };
    const num = (k: number, name: string): number => {
      const v = field(k, name);
      if (!/^\d+$/.test(v)) broken(`${name} is not a number: "${v}"`, i + k + 1);
      return Number(v);
    };
    const index = num(1, 'snapshot');
    if (lines[i + 2] !== '#-----------') broken(`expected "#-----------", found "${lines[i + 2]}"`, i + 3);
    const snap: MassifSnapshot = {
      index,
      time: num(3, 'time'),
      heapBytes: num(4, 'mem_heap_B'),
      heapExtraBytes: num(5, 'mem_heap_extra_B'),
      stacksBytes: num(6, 'mem_stacks_B'),
      tree: field(7, 'heap_tree') as MassifSnapshot['tree'],
      line: start + 2,
    };
    if (!['empty', 'detailed', 'peak'].includes(snap.tree)) broken(`unknown heap_tree "${snap.tree}"`, i + 8);
    i += 8;
    const treeStart = i;
    const tree: TreeLine[] = [];
    while (i < lines.length && lines[i] !== '#-----------') {
      const m = NODE.exec(lines[i]!);
      if (!m) {
        broken(`not a heap tree line: "${lines[i]}"`, i + 1);
      }
      tree.push({ depth: m![1]!.length, bytes: Number(m![3]), desc: m![4]! });
      i++;
    }
    if (tree.length) snap.heapTree = tree;
    // "nN:" says how many children follow: a tree with fewer lines at the end of the file was cut.
    const cutSaid = out.warnings.some((w) => w.code === 'massif-truncated');
    if (tree.length && i >= lines.length && !cutSaid && tree.length < treeSize(lines, treeStart, i))
      out.warnings.push({
        code: 'massif-truncated',
        message: `the file ends inside the heap tree of snapshot ${index} (cut?): the tree is incomplete`,
        file,
        line: i,
      });
    if (snap.tree === 'peak') peakTree = tree;
    if (snap.tree !== 'empty' && i === treeStart)
      out.warnings.push({
        code: 'massif-truncated',
        message: `snapshot ${index} has no heap tree (cut?)`,
        file,
        line: treeStart,
      });
    if (snap.tree === 'peak') out.peak = out.snapshots.length;
    out.snapshots.push(snap);
  }
  if (!out.snapshots.length) broken('no snapshot', lines.length);
  out.peakSites = sitesOf(peakTree);
  return out;
}

/** The pid in a file name such as `massif.out.701` or `gxx-O2.massif.out.701`. */
export function pidFromFileName(file: string): number | undefined {
  const m = /(?:^|\.)out\.(\d+)$/.exec(path.basename(file));
  return m ? Number(m[1]) : undefined;
}

/** The time of a snapshot on the profile's axis (ms, or pseudo-ms for instructions / bytes). */
function toMs(time: number, unit: ParsedMassif['timeUnit']): Ms {
  return ms(unit === 'ms' ? time : time / 1e6);
}

export function massifToResult(
  parsed: ParsedMassif,
  file = '<input>',
  arenaRules: readonly ArenaRule[] = [],
): ImportResult {
  const pid = pidFromFileName(file);
  const argv = parsed.cmd.split(/\s+/).filter(Boolean);
  const label = argv[0] ? path.basename(argv[0]) : 'massif';
  const who = `${label}${pid !== undefined ? ` (pid ${pid})` : ''}`;
  const warnings: Warning[] = [...parsed.warnings];
  if (parsed.timeUnit !== 'ms') {
    warnings.push({
      code: 'pseudo-time',
      message: `massif's time unit is ${parsed.timeUnit === 'i' ? 'instructions' : 'bytes allocated'} (--time-unit=${parsed.timeUnit}), not ms: the time axis is pseudo-time, 1 ms per million ${parsed.timeUnit === 'i' ? 'instructions' : 'bytes'}`,
      file,
    });
  }
  const heap = new SeriesBuilder(parsed.snapshots.length);
  const stacks = new SeriesBuilder(parsed.snapshots.length);
  for (const s of parsed.snapshots) {
    heap.push(toMs(s.time, parsed.timeUnit), bytes(s.heapBytes + s.heapExtraBytes));
    stacks.push(toMs(s.time, parsed.timeUnit), bytes(s.stacksBytes));
  }
  const pidPart = pid !== undefined ? `:${pid}` : '';
  const series: MemorySeries[] = [
    heap.build({
      id: `massif${parsed.pagesAsHeap ? '-pages' : '-heap'}${pidPart}`,
      name: parsed.pagesAsHeap
        ? `mapped pages of ${who} (massif --pages-as-heap, closer to RSS)`
        : `heap of ${who} (massif: useful + allocator overhead)`,
      kind: 'allocator-heap',
      source: 'valgrind massif',
      ...(pid !== undefined ? { pid } : {}),
    }),
  ];
  if (parsed.snapshots.some((s) => s.stacksBytes > 0)) {
    series.push(
      stacks.build({
        id: `massif-stacks${pidPart}`,
        name: `stacks of ${who} (massif --stacks=yes)`,
        kind: 'allocator-heap',
        source: 'valgrind massif',
        ...(pid !== undefined ? { pid } : {}),
      }),
    );
  }
  const markers: Marker[] = [];
  if (parsed.peak !== undefined) {
    const p = parsed.snapshots[parsed.peak]!;
    const tMs = toMs(p.time, parsed.timeUnit);
    const total = p.heapBytes + p.heapExtraBytes + p.stacksBytes;
    const pidField = pid !== undefined ? { pid } : {};
    markers.push({
      name: `massif peak of ${who}`,
      kind: 'peak',
      tMs,
      ...pidField,
      detail: `${total} bytes (heap ${p.heapBytes} + extra ${p.heapExtraBytes} + stacks ${p.stacksBytes}) at snapshot ${p.index}`,
    });
    markers.push(...peakSiteMarkers(parsed.peakSites, tMs, pid));
  } else warnings.push({ code: 'massif-no-peak', message: 'no peak snapshot (heap_tree=peak) in the file', file });
  const last = parsed.snapshots[parsed.snapshots.length - 1]!;
  const inferred = inferArenas(
    { kind: 'massif', massif: parsed, ...(pid !== undefined ? { pid } : {}), label, file },
    arenaRules,
  );
  warnings.push(...inferred.warnings);
  return {
    series,
    markers,
    ...(inferred.arenas.length ? { arenas: inferred.arenas } : {}),
    warnings,
    sources: ['massif'],
    processes: pid !== undefined ? [{ pid, argv, label, startMs: ms(0), endMs: toMs(last.time, parsed.timeUnit) }] : [],
  };
}

export function importMassif(text: string, file = '<input>', opts: ImportOptions = {}): ImportResult {
  return massifToResult(parseMassif(text, file), file, opts.arenaRules);
}

export const massifImporter = defineImporter({
  format: 'massif',
  description:
    'valgrind massif output (massif.out.PID): heap (or mapped pages with --pages-as-heap) over time per process, the peak, and the allocation sites live at it (as peak-site markers)',
  sniff: isMassif,
  importText: importMassif,
});
