// The Node preload instrumentation: V8 heap, GC events, `performance` measures and tsc 6's internal
// phases of every Node process of the build (server/src/preload/node-preload.ts, bundled to
// dist/preload.js, writes one node-<pid>.ndjson per process; its header documents the records).
//
// TypeScript 7 is a native binary that no preload can enter: when the command runs tsc 7, prepare()
// adds --extendedDiagnostics and collect() lays out the phases of its statistics table (totals only).
// The same fallback applies to a tsc 6 table on stdout when no tsc process was seen by the preload.

import { tscDiagnosticsFlagToAdd } from './tsc-flags';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Arena, Contribution, Marker, MemorySeries, Phase, ProcessInfo, Warning } from '../model';
import { SeriesBuilder } from '../model';
import { formatBytes } from '../units';
import { isTscDiagnostics, parseTscDiagnostics, reconstructedWarning, tscDiagnosticsPhases } from '../importers/tsc-diagnostics';
import { ImportError } from '../importers/import-error';
import type { CollectContext, InstrumentContext, Instrumentation } from './instrumentation';

const SOURCE = 'node preload';

/** tsc's measure name for a mark pair, where it is not simply before<X>/after<X> → X (see performance.measure calls in typescript/lib/_tsc.js). */
const TSC_MEASURE_NAMES: Record<string, string> = {
  IORead: 'I/O Read',
  IOWrite: 'I/O Write',
  Transform: 'transformTime',
  Print: 'printTime',
  Comment: 'commentTime',
  Sourcemap: 'Source Map',
  CheckNodes: 'Check',
  DumpTypes: 'Dump types',
  'SolutionBuilder::ConfigFileParsing': 'Config file parsing',
  'SolutionBuilder::UpToDateCheck': 'Up-to-date check',
  'SolutionBuilder::Build': 'Build',
  'SolutionBuilder::Clean': 'Clean',
  'SolutionBuilder::WatcherCreation': 'Watcher creation',
};

/** perf_hooks' gc entry kinds (NODE_PERFORMANCE_GC_*) for v8.GCProfiler's gcType names. */
const GC_KIND: Record<string, number> = { Scavenge: 1, MinorMarkSweep: 1, MinorMarkCompact: 1, MarkSweepCompact: 4, IncrementalMarking: 8, ProcessWeakCallbacks: 16 };

export function nodePreloadInstrumentation(): Instrumentation {
  let nodeDir: string | undefined;
  let nativeTsc: TscCommand | undefined;
  let addedToNativeTsc: string[] = [];
  const live = new LiveTscPhase();
  return {
    name: 'node-preload',

    prepare(ctx: InstrumentContext): void {
      const preload = path.join(ctx.distDir, 'preload.js');
      // A missing preload would make every Node process of the build fail to start.
      if (!existsSync(preload)) throw new Error(`${preload} does not exist: build it with \`npm run build\``);
      nodeDir = path.join(ctx.workDir, 'node');
      mkdirSync(nodeDir, { recursive: true });
      ctx.env.CMI_NODE_DIR = nodeDir;
      ctx.env.CMI_INTERVAL_MS = String(ctx.intervalMs);
      const user = ctx.env.NODE_OPTIONS?.trim();
      ctx.env.NODE_OPTIONS = `--require ${quoteNodeOption(preload)}${user ? ' ' + user : ''}`;

      const tsc = findTscCommand(ctx.argv, ctx.cwd, ctx.env);
      if (tsc && (tsc.native || tsc.major >= 7)) {
        nativeTsc = tsc;
        addedToNativeTsc = tscDiagnosticsFlagToAdd(ctx.argv.slice(tsc.argIndex + 1));
        ctx.argv.push(...addedToNativeTsc);
      }
    },

    currentPhase(): string | undefined {
      return nodeDir ? live.poll(nodeDir) : undefined;
    },

    async collect(ctx: CollectContext): Promise<Contribution> {
      const warnings: Warning[] = [];
      const out = { phases: [] as Phase[], series: [] as MemorySeries[], markers: [] as Marker[], arenas: [] as Arena[], processes: [] as NonNullable<Contribution['processes']>, tools: {} as Record<string, string>, sources: [] as string[], warnings };
      const files = nodeDir && existsSync(nodeDir) ? readdirSync(nodeDir).filter((f) => /^node-\d+(-\d+)?\.ndjson$/.test(f)).sort() : [];
      const records = files.map((f) => readPreloadFile(path.join(nodeDir!, f), warnings)).filter((r): r is ProcessRecords => r !== undefined);
      records.sort((a, b) => a.header.timeOriginMs - b.header.timeOriginMs);

      const seriesIds = new Set<string>();
      let tscHooked = false;
      for (const r of records) {
        const c = processContribution(r, ctx, seriesIds);
        appendPhases(out.phases, c.phases);
        out.series.push(...c.series);
        out.markers.push(...c.markers);
        out.arenas.push(...c.arenas);
        out.processes.push(c.process);
        warnings.push(...c.warnings);
        out.tools.node ??= r.header.node;
        if (r.header.tsc) out.tools.typescript ??= r.header.tsc.version;
        if (r.header.tsc?.hooked && r.markT.length) tscHooked = true;
      }
      if (records.length) out.sources.push('node-preload');
      warnings.push(...missingPreloadWarnings(ctx, new Set(records.map((r) => r.header.pid))));

      // tsc 7 (or a tsc 6 the preload did not see): the statistics table on stdout, totals only.
      if ((nativeTsc || !tscHooked) && isTscDiagnostics(ctx.stdout)) {
        try {
          const d = parseTscDiagnostics(ctx.stdout, '<stdout>');
          const proc = tscProcess(ctx.processes, !!nativeTsc, ctx.endMs);
          const phases = tscDiagnosticsPhases(d, { endMs: proc?.endMs ?? ctx.endMs, ...(proc ? { pid: proc.pid } : {}) });
          appendPhases(out.phases, phases);
          warnings.push(reconstructedWarning(d, phases));
          out.sources.push('tsc-diagnostics');
          if (proc) out.processes.push({ pid: proc.pid, label: 'tsc' });
          if (nativeTsc) out.tools.typescript = nativeTsc.version;
        } catch (e) {
          if (!(e instanceof ImportError)) throw e;
          warnings.push({ code: 'tsc-diagnostics-broken', message: `tsc's statistics table could not be read: ${e.message}`, file: e.file, line: e.line });
        }
      } else if (nativeTsc) {
        out.tools.typescript = nativeTsc.version;
        warnings.push({ code: 'tsc-diagnostics-missing', message: `tsc ${nativeTsc.version} printed no statistics table on stdout: no tsc phases` });
      }
      if (nativeTsc && addedToNativeTsc.length) warnings.push(flagAddedWarning(`tsc ${nativeTsc.version}`, addedToNativeTsc));
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the files

interface HeaderRecord {
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
  argv0?: string;
  node: string;
  timeOriginMs: number;
  cwd?: string;
  intervalMs: number;
  /** switchedOn: its performance module was turned on in memory, without a flag (absent before it existed). */
  tsc?: { version: string; main: string; addedArgs: string[]; hooked: boolean; switchedOn?: boolean };
}

/** Everything one process recorded; times are epoch ms. */
interface ProcessRecords {
  file: string;
  header: HeaderRecord;
  heapT: number[];
  heapBytes: number[];
  markNames: string[];
  markT: number[];
  markId: number[];
  markHeapBytes: number[];
  /** Spans the preload summed instead of recording (tsc's per-comment and per-mapping timers), by the index of the mark they precede. */
  folded: { atMark: number; key: string; spans: number; ms: number }[];
  gc: { winStartMs: number; winEndMs: number; durMs: number; type: string; beforeBytes: number; afterBytes: number }[];
  gcEntries: { startMs: number; durMs: number; kind: number }[];
  perfMarks: { name: string; tMs: number }[];
  measures: { name: string; startMs: number; durMs: number }[];
  /** Arenas the program created through the arena API, by their id in the process. */
  arenaInfo: Map<number, { name: string; category: string }>;
  /** The phase names of arena uses, indexed by the `value` of use events. */
  arenaPhaseNames: string[];
  /** Arena API calls in order: epoch ms, kind (0 create, 1 bytes, 2 use, 3 free), arena id, value. */
  arenaT: number[];
  arenaKind: number[];
  arenaId: number[];
  arenaValue: number[];
  exit?: { tMs: number; code?: number; signal?: string; heapBytes?: number };
  /** The latest time seen in the file. */
  lastMs: number;
}

/** Reads one node-<pid>.ndjson; a damaged line (typically the last one of a killed process) is skipped with a warning. */
function readPreloadFile(file: string, warnings: Warning[]): ProcessRecords | undefined {
  const name = path.basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    warnings.push({ code: 'preload-unreadable', message: `${name}: ${(e as Error).message}`, file: name });
    return undefined;
  }
  const lines = text.split('\n');
  let r: ProcessRecords | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      const last = i === lines.length - 1;
      warnings.push({
        code: last ? 'preload-truncated' : 'preload-bad-line',
        message: last
          ? `${name}: line ${i + 1} is incomplete (the process was probably killed): kept the ${i} line(s) before it`
          : `${name}: line ${i + 1} is not valid JSON: skipped`,
        file: name,
        line: i + 1,
      });
      continue;
    }
    if (rec.t === 'header') {
      if (r) {
        warnings.push({ code: 'preload-bad-line', message: `${name}: line ${i + 1}: a second header: skipped`, file: name, line: i + 1 });
        continue;
      }
      const h = rec as unknown as HeaderRecord & { tsc?: { hooked?: boolean } };
      if (h.tsc) h.tsc.hooked ??= true;
      r = { file: name, header: h, heapT: [], heapBytes: [], markNames: [], markT: [], markId: [], markHeapBytes: [], folded: [], gc: [], gcEntries: [], perfMarks: [], measures: [], arenaInfo: new Map(), arenaPhaseNames: [], arenaT: [], arenaKind: [], arenaId: [], arenaValue: [], lastMs: h.timeOriginMs };
      continue;
    }
    if (!r) {
      warnings.push({ code: 'preload-bad-file', message: `${name}: no header before line ${i + 1}: file skipped`, file: name, line: i + 1 });
      return undefined;
    }
    addRecord(r, rec);
  }
  if (!r) warnings.push({ code: 'preload-bad-file', message: `${name}: empty (the process ended before the preload wrote anything)`, file: name });
  return r;
}

function addRecord(r: ProcessRecords, rec: Record<string, unknown>): void {
  const nums = (k: string) => (Array.isArray(rec[k]) ? (rec[k] as number[]) : []);
  const strs = (k: string) => (Array.isArray(rec[k]) ? (rec[k] as string[]) : []);
  const seen = (t: number[]) => {
    for (const x of t) if (x > r.lastMs) r.lastMs = x;
  };
  switch (rec.t) {
    case 'heap':
      r.heapT.push(...nums('tMs'));
      r.heapBytes.push(...nums('bytes'));
      seen(nums('tMs'));
      break;
    case 'tscMarks':
      r.markNames.push(...strs('newNames'));
      r.markT.push(...nums('tMs'));
      r.markId.push(...nums('mark'));
      r.markHeapBytes.push(...nums('heapBytes'));
      seen(nums('tMs'));
      if (rec.folded && typeof rec.folded === 'object') {
        const f = rec.folded as Record<string, unknown[]>;
        for (let i = 0; i < (f.atMark?.length ?? 0); i++) {
          r.folded.push({ atMark: Number(f.atMark![i]), key: String(f.key?.[i]), spans: Number(f.spans?.[i]), ms: Number(f.ms?.[i]) });
        }
      }
      break;
    case 'gc': {
      const ws = nums('winStartMs');
      const we = nums('winEndMs');
      const dur = nums('durMs');
      const type = strs('type');
      const before = nums('beforeBytes');
      const after = nums('afterBytes');
      for (let i = 0; i < ws.length; i++) r.gc.push({ winStartMs: ws[i]!, winEndMs: we[i]!, durMs: dur[i]!, type: type[i]!, beforeBytes: before[i]!, afterBytes: after[i]! });
      seen(we);
      break;
    }
    case 'gcEntries': {
      const start = nums('startMs');
      const dur = nums('durMs');
      const kind = nums('kind');
      for (let i = 0; i < start.length; i++) r.gcEntries.push({ startMs: start[i]!, durMs: dur[i]!, kind: kind[i]! });
      break;
    }
    case 'marks': {
      const name = strs('name');
      const t = nums('tMs');
      for (let i = 0; i < name.length; i++) r.perfMarks.push({ name: name[i]!, tMs: t[i]! });
      seen(t);
      break;
    }
    case 'measures': {
      const name = strs('name');
      const start = nums('startMs');
      const dur = nums('durMs');
      for (let i = 0; i < name.length; i++) r.measures.push({ name: name[i]!, startMs: start[i]!, durMs: dur[i]! });
      seen(start.map((s, i) => s + dur[i]!));
      break;
    }
    case 'arenas': {
      const created = rec.new && typeof rec.new === 'object' ? (rec.new as Record<string, unknown[]>) : undefined;
      for (let i = 0; i < (created?.id?.length ?? 0); i++) {
        r.arenaInfo.set(Number(created!.id![i]), { name: String(created!.name?.[i] ?? `arena ${String(created!.id![i])}`), category: String(created!.category?.[i] ?? 'arena') });
      }
      r.arenaPhaseNames.push(...strs('newPhases'));
      const t = nums('tMs');
      const kind = nums('kind');
      const id = nums('arena');
      const value = nums('value');
      const n = Math.min(t.length, kind.length, id.length, value.length);
      for (let i = 0; i < n; i++) {
        r.arenaT.push(t[i]!);
        r.arenaKind.push(kind[i]!);
        r.arenaId.push(id[i]!);
        r.arenaValue.push(value[i]!);
      }
      seen(t);
      break;
    }
    case 'exit':
      r.exit = rec as ProcessRecords['exit'];
      seen([r.exit!.tMs]);
      break;
  }
}

/**
 * What tsc is doing now, for progress reports ("Check", "Emit › printTime"): reads what the preload
 * has flushed so far (at most FLUSH_EVERY_MS old), incrementally, from tsc processes only.
 */
class LiveTscPhase {
  private readonly files = new Map<string, { offset: number; rest: string; tsc: boolean | undefined; names: string[]; stack: MarkKind[]; lastTop?: string }>();
  private lastPollMs = -Infinity;
  private current: string | undefined;

  poll(dir: string): string | undefined {
    const now = Date.now();
    if (now - this.lastPollMs < 200) return this.current;
    this.lastPollMs = now;
    try {
      for (const name of readdirSync(dir)) {
        let f = this.files.get(name);
        if (!f) this.files.set(name, (f = { offset: 0, rest: '', tsc: undefined, names: [], stack: [] }));
        if (f.tsc === false) continue;
        const file = path.join(dir, name);
        const size = statSync(file).size;
        if (size <= f.offset) continue;
        const buf = Buffer.alloc(size - f.offset);
        const fd = openSync(file, 'r');
        try {
          readSync(fd, buf, 0, buf.length, f.offset);
        } finally {
          closeSync(fd);
        }
        f.offset = size;
        const lines = (f.rest + buf.toString('utf8')).split('\n');
        f.rest = lines.pop()!;
        for (const line of lines) this.feed(f, line);
        if (f.tsc) this.current = f.stack.length ? f.stack.map((k) => k.measure).join(' › ') : f.lastTop;
      }
    } catch {
      // a file being written or gone: try again at the next poll
    }
    return this.current;
  }

  private feed(f: { tsc: boolean | undefined; names: string[]; stack: MarkKind[]; lastTop?: string }, line: string): void {
    if (f.tsc === undefined) {
      const h = JSON.parse(line) as { t?: string; tsc?: { hooked?: boolean } };
      f.tsc = h.t === 'header' && h.tsc?.hooked !== false && !!h.tsc;
      return;
    }
    if (!f.tsc || !line.startsWith('{"t":"tscMarks"')) return;
    const rec = JSON.parse(line) as { newNames: string[]; mark: number[] };
    f.names.push(...rec.newNames);
    for (const id of rec.mark) {
      const k = classifyMark(f.names[id] ?? '');
      if (k.kind === 'begin') {
        if (!f.stack.length) f.lastTop = k.measure;
        f.stack.push(k);
      } else if (k.kind === 'end') {
        const j = f.stack.map((s) => s.key).lastIndexOf(k.key);
        if (j >= 0) f.stack.length = j;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One process → phases, series, markers

interface ProcessContribution {
  phases: Phase[];
  series: MemorySeries[];
  markers: Marker[];
  arenas: Arena[];
  process: Partial<ProcessInfo> & { pid: number };
  warnings: Warning[];
}

function processContribution(r: ProcessRecords, ctx: CollectContext, seriesIds: Set<string>): ProcessContribution {
  const h = r.header;
  const pid = h.pid;
  const rel = (epochMs: number) => epochMs - ctx.startEpochMs;
  const label = processLabel(h);
  const warnings: Warning[] = [];
  const markers: Marker[] = [];
  const phases: Phase[] = [];
  const endEpochMs = r.exit?.tMs ?? r.lastMs;

  // Heap samples from every source: the timer, tsc marks, both sides of every GC, the exit.
  const samples: [tMs: number, bytes: number][] = [];
  for (let i = 0; i < r.heapT.length; i++) samples.push([r.heapT[i]!, r.heapBytes[i]!]);
  for (let i = 0; i < r.markT.length; i++) if (r.markHeapBytes[i]) samples.push([r.markT[i]!, r.markHeapBytes[i]!]);
  for (const g of placeGcs(r)) {
    samples.push([g.startMs, g.beforeBytes], [g.startMs + g.durMs, g.afterBytes]);
    const m: Marker = { name: g.type, kind: 'gc', tMs: rel(g.startMs), durMs: g.durMs, pid, detail: `${g.type}: heap ${formatBytes(g.beforeBytes)} → ${formatBytes(g.afterBytes)}` };
    if (g.windowMs !== undefined) m.detail += ` (time estimated: the GC ran within a ${g.windowMs.toFixed(1)} ms window)`;
    markers.push(m);
  }
  if (r.exit?.heapBytes) samples.push([r.exit.tMs, r.exit.heapBytes]);
  samples.sort((a, b) => a[0] - b[0]);
  const heap = new SeriesBuilder(Math.max(16, samples.length));
  for (const [t, b] of samples) heap.push(rel(t), b);
  let id = `js-heap:${pid}`;
  for (let n = 2; seriesIds.has(id); n++) id = `js-heap:${pid}-${n}`;
  seriesIds.add(id);
  const series = heap.length ? [heap.build({ id, name: `V8 heap of ${label} (pid ${pid})`, kind: 'js-heap', source: SOURCE, pid })] : [];

  if (h.tsc?.addedArgs.length) warnings.push(flagAddedWarning(`tsc (pid ${pid})`, h.tsc.addedArgs));
  if (r.markT.length) {
    const tsc = tscPhases(r, rel, rel(endEpochMs));
    phases.push(...tsc.phases);
    markers.push(...tsc.markers);
    warnings.push(...tsc.warnings.map((w) => ({ ...w, message: `tsc (pid ${pid}): ${w.message}`, file: r.file })));
  }
  appendPhases(phases, measurePhases(r, rel));
  for (const m of r.perfMarks) markers.push({ name: m.name, kind: 'mark', tMs: rel(m.tMs), pid });

  const proc: Partial<ProcessInfo> & { pid: number } = { pid, ppid: h.ppid, label, role: 'build', argv: [h.argv0 ?? h.argv[0] ?? 'node', ...h.execArgv, ...h.argv.slice(1)] };
  if (!ctx.processes.some((p) => p.pid === pid)) {
    // The sampler missed it (too short-lived): the preload knows when it started and ended.
    proc.startMs = rel(h.timeOriginMs);
    proc.endMs = r.exit ? rel(r.exit.tMs) : null;
  }
  if (r.exit?.code !== undefined) proc.exitCode = r.exit.code;
  const arenas = arenaLanes(r, phases, rel, warnings);
  return { phases, series, markers, arenas, process: proc, warnings };
}

const ARENA_CREATE = 0;
const ARENA_BYTES = 1;
const ARENA_USE = 2;
const ARENA_FREE = 3;

/**
 * The arena API's calls of one process → one Arena per handle: bytes over time (0 at creation and
 * after the free), uses with their phase (the one the program named, else the path of the innermost
 * phase of this process open at that time, else none), endMs null when never freed.
 */
function arenaLanes(r: ProcessRecords, phases: Phase[], rel: (epochMs: number) => number, warnings: Warning[]): Arena[] {
  if (!r.arenaT.length) return [];
  const pid = r.header.pid;
  interface Lane {
    arena: Arena;
    bytes: SeriesBuilder;
    freed: boolean;
  }
  const lanes = new Map<number, Lane>();
  let useAfterFree = 0;
  let unknown = 0;
  const phaseAt = innermostPhasePath(phases);
  const lane = (id: number, tMs: number): Lane => {
    let l = lanes.get(id);
    if (!l) {
      const info = r.arenaInfo.get(id);
      if (!info) unknown++;
      l = {
        arena: { id: `${pid}:${id}`, name: info?.name ?? `arena ${id}`, category: info?.category ?? 'arena', pid, startMs: tMs, endMs: null, tMs: new Float64Array(0), bytes: new Float64Array(0), uses: [] },
        bytes: new SeriesBuilder(8),
        freed: false,
      };
      l.bytes.push(tMs, 0);
      lanes.set(id, l);
    }
    return l;
  };
  for (let i = 0; i < r.arenaT.length; i++) {
    const tMs = rel(r.arenaT[i]!);
    const id = r.arenaId[i]!;
    const kind = r.arenaKind[i];
    if (kind === ARENA_CREATE) {
      lane(id, tMs);
      continue;
    }
    const l = lane(id, tMs);
    if (kind === ARENA_BYTES) {
      if (!l.freed) l.bytes.push(tMs, r.arenaValue[i]!);
    } else if (kind === ARENA_USE) {
      if (l.freed) useAfterFree++;
      const named = r.arenaPhaseNames[r.arenaValue[i]!];
      const phase = named ?? phaseAt(tMs);
      l.arena.uses.push(phase === undefined ? { tMs } : { tMs, phase });
    } else if (kind === ARENA_FREE && !l.freed) {
      l.freed = true;
      l.arena.endMs = tMs;
      l.bytes.push(tMs, 0);
    }
  }
  if (useAfterFree) warnings.push({ code: 'arena-use-after-free', message: `pid ${pid}: ${useAfterFree} arena use(s) after the arena was freed`, file: r.file });
  if (unknown) warnings.push({ code: 'arena-unknown', message: `pid ${pid}: ${unknown} arena(s) used without a creation record (the file is damaged): named by their id`, file: r.file });
  const out: Arena[] = [];
  for (const l of lanes.values()) {
    const s = l.bytes.build({ id: l.arena.id, name: l.arena.name, kind: 'compiler-reported', source: SOURCE });
    l.arena.tMs = s.tMs;
    l.arena.bytes = s.bytes;
    out.push(l.arena);
  }
  return out;
}

/** The path ("generate › instantiate_chunks") of the innermost of `phases` (parents local to it) open at a time. */
function innermostPhasePath(phases: Phase[]): (tMs: number) => string | undefined {
  const depth: number[] = [];
  const paths: string[] = [];
  phases.forEach((p, i) => {
    depth[i] = p.parent === null ? 0 : depth[p.parent]! + 1;
    paths[i] = p.parent === null ? p.name : `${paths[p.parent]!} › ${p.name}`;
  });
  return (tMs) => {
    let best = -1;
    for (let i = 0; i < phases.length; i++) {
      const p = phases[i]!;
      if (p.startMs <= tMs && tMs <= p.endMs && (best < 0 || depth[i]! > depth[best]!)) best = i;
    }
    return best < 0 ? undefined : paths[best];
  };
}

function flagAddedWarning(who: string, args: string[]): Warning {
  return {
    code: 'tsc-flag-added',
    message: `${who}: ${args.join(' ')} was added to its arguments so that its phases could be measured: its statistics table is in the build's output`,
  };
}

function processLabel(h: HeaderRecord): string {
  if (h.tsc) return h.tsc.hooked ? 'tsc' : 'tsc launcher';
  const script = h.argv[1];
  if (!script) return 'node';
  const base = path.basename(script).replace(/\.[cm]?js$/, '');
  if (base === 'npm-cli') return 'npm';
  if (base === 'npx-cli') return 'npx';
  return base;
}

interface PlacedGc {
  startMs: number;
  durMs: number;
  type: string;
  beforeBytes: number;
  afterBytes: number;
  /** Set when the time is estimated: the width of the window the GC is known to lie in. */
  windowMs?: number;
}

/**
 * Gives every GC of v8.GCProfiler a time. The profiler has heap before/after but no timestamps; the
 * preload drains it at every heap read, so each GC lies within a known window. Where a
 * PerformanceObserver 'gc' entry (exact time, but only delivered while the event loop turns) matches
 * in time and duration, its time is used; otherwise the GCs of a window are spread evenly across it.
 */
function placeGcs(r: ProcessRecords): PlacedGc[] {
  const out: PlacedGc[] = [];
  const entries = r.gcEntries;
  let j = 0;
  for (let i = 0; i < r.gc.length; ) {
    // The GCs of one window.
    let k = i;
    while (k < r.gc.length && r.gc[k]!.winStartMs === r.gc[i]!.winStartMs && r.gc[k]!.winEndMs === r.gc[i]!.winEndMs) k++;
    const slotMs = (r.gc[i]!.winEndMs - r.gc[i]!.winStartMs) / (k - i);
    for (let n = i; n < k; n++) {
      const g = r.gc[n]!;
      while (j < entries.length && entries[j]!.startMs < g.winStartMs - 1) j++;
      const e = entries[j];
      const placed: PlacedGc = { startMs: 0, durMs: g.durMs, type: g.type, beforeBytes: g.beforeBytes, afterBytes: g.afterBytes };
      if (e && e.startMs <= g.winEndMs + 1 && Math.abs(e.durMs - g.durMs) <= Math.max(0.5, 0.2 * g.durMs) && (GC_KIND[g.type] === undefined || e.kind === GC_KIND[g.type])) {
        placed.startMs = e.startMs;
        j++;
      } else {
        placed.startMs = g.winStartMs + (n - i) * slotMs + Math.max(0, (slotMs - g.durMs) / 2);
        placed.windowMs = g.winEndMs - g.winStartMs;
      }
      out.push(placed);
    }
    i = k;
  }
  return out;
}

/**
 * tsc's marks → nested phases, by a stack of before<X>/after<X> pairs. The spans the preload summed
 * (commentTime, Source Map) go to the args of the phase that was innermost while they ran:
 * "commentTime ms", "commentTime spans".
 */
function tscPhases(r: ProcessRecords, rel: (epochMs: number) => number, endMs: number): { phases: Phase[]; markers: Marker[]; warnings: Warning[] } {
  const pid = r.header.pid;
  const kinds = r.markNames.map(classifyMark);
  const phases: Phase[] = [];
  const markers: Marker[] = [];
  const warnings: Warning[] = [];
  const stack: { key: string; index: number }[] = [];
  let strayEnds = 0;
  let misnested = 0;
  const close = (index: number, tMs: number, heapBytes: number) => {
    const p = phases[index]!;
    p.endMs = tMs;
    if (heapBytes) {
      p.memEndBytes = heapBytes;
      p.memKind = 'js-heap';
    }
  };
  let nextFold = 0;
  const addFolded = (beforeMark: number) => {
    for (; nextFold < r.folded.length && r.folded[nextFold]!.atMark <= beforeMark; nextFold++) {
      const f = r.folded[nextFold]!;
      const open = stack[stack.length - 1];
      if (!open) continue;
      const measure = TSC_MEASURE_NAMES[f.key] ?? f.key;
      const args = (phases[open.index]!.args ??= {});
      args[`${measure} ms`] = Math.round(((Number(args[`${measure} ms`]) || 0) + f.ms) * 1000) / 1000;
      args[`${measure} spans`] = (Number(args[`${measure} spans`]) || 0) + f.spans;
    }
  };

  for (let i = 0; i < r.markT.length; i++) {
    addFolded(i);
    const k = kinds[r.markId[i]!];
    if (!k) continue;
    const tMs = rel(r.markT[i]!);
    const heapBytes = r.markHeapBytes[i] ?? 0;
    if (k.kind === 'instant') {
      markers.push({ name: k.measure, kind: 'mark', tMs, pid });
    } else if (k.kind === 'begin') {
      const p: Phase = { name: k.measure, parent: stack.length ? stack[stack.length - 1]!.index : null, startMs: tMs, endMs: tMs, pid, category: 'tsc' };
      if (heapBytes) {
        p.memStartBytes = heapBytes;
        p.memKind = 'js-heap';
      }
      stack.push({ key: k.key, index: phases.push(p) - 1 });
    } else {
      let j = stack.length - 1;
      while (j >= 0 && stack[j]!.key !== k.key) j--;
      if (j < 0) {
        strayEnds++;
        continue;
      }
      while (stack.length - 1 > j) {
        misnested++;
        close(stack.pop()!.index, tMs, 0);
      }
      close(stack.pop()!.index, tMs, heapBytes);
    }
  }
  addFolded(Infinity);
  if (stack.length) {
    warnings.push({ code: 'unclosed-phase', message: `${stack.length} phase(s) never ended (${stack.map((s) => phases[s.index]!.name).join(' › ')}): closed where the process's records end` });
    while (stack.length) close(stack.pop()!.index, endMs, 0);
  }
  if (strayEnds) warnings.push({ code: 'tsc-marks-unpaired', message: `${strayEnds} end mark(s) without a begin mark: ignored` });
  if (misnested) warnings.push({ code: 'tsc-marks-unpaired', message: `${misnested} phase(s) ended outside their parent: closed with the parent` });
  return { phases, markers, warnings };
}

interface MarkKind {
  kind: 'begin' | 'end' | 'instant';
  /** Ties a begin mark to its end mark. */
  key: string;
  /** tsc's measure name (or the mark's name for an instant). */
  measure: string;
}

function classifyMark(name: string): MarkKind {
  const m = /^(SolutionBuilder::)?(before|after|begin|end)(.+)$/.exec(name);
  if (!m) return { kind: 'instant', key: name, measure: name.replace(/^SolutionBuilder::/, '') };
  const key = (m[1] ?? '') + m[3];
  return { kind: m[2] === 'before' || m[2] === 'begin' ? 'begin' : 'end', key, measure: TSC_MEASURE_NAMES[key] ?? m[3]! };
}

/** The program's performance.measure() entries → phases, nested where one contains another. */
function measurePhases(r: ProcessRecords, rel: (epochMs: number) => number): Phase[] {
  const sorted = [...r.measures].sort((a, b) => a.startMs - b.startMs || b.durMs - a.durMs);
  const phases: Phase[] = [];
  const open: { endMs: number; index: number }[] = [];
  for (const m of sorted) {
    const endMs = m.startMs + m.durMs;
    while (open.length && open[open.length - 1]!.endMs < endMs) open.pop();
    const parent = open.length ? open[open.length - 1]!.index : null;
    const index = phases.push({ name: m.name, parent, startMs: rel(m.startMs), endMs: rel(endMs), pid: r.header.pid, category: 'measure' }) - 1;
    open.push({ endMs, index });
  }
  return phases;
}

/** Appends phases whose parent indices are local to `add`. */
function appendPhases(into: Phase[], add: Phase[]): void {
  const base = into.length;
  for (const p of add) into.push({ ...p, parent: p.parent === null ? null : p.parent + base });
}

/** Node processes the sampler saw that left no file: NODE_OPTIONS did not reach them (or they died at once). */
function missingPreloadWarnings(ctx: CollectContext, reported: Set<number>): Warning[] {
  const node = ctx.processes.filter((p) => /^node(js)?(\.exe)?$/i.test(path.basename(p.argv[0] ?? '')) && p.role !== 'instrumentation' && !reported.has(p.pid));
  if (!node.length) return [];
  return [
    {
      code: 'preload-missing',
      message: `${node.length} Node process(es) left no preload records (pids ${node.slice(0, 8).map((p) => p.pid).join(', ')}): NODE_OPTIONS may have been removed from their environment; no V8 heap or phases for them`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The command: is it tsc, and which one?

interface TscCommand {
  /** Index in argv of the tsc script or binary. */
  argIndex: number;
  version: string;
  major: number;
  /** A native executable (TypeScript 7's Go binary), not a script. */
  native: boolean;
}

const LAUNCHERS = new Set(['node', 'nodejs', 'npx', 'pnpx', 'pnpm', 'yarn', 'bunx', 'bun', 'npm', 'exec']);

/** Finds tsc in a command like `tsc -p .`, `npx tsc`, `pnpm exec tsc`, `node node_modules/typescript/bin/tsc`. */
export function findTscCommand(argv: string[], cwd: string, env: Record<string, string | undefined>): TscCommand | undefined {
  const base = (s: string) => path.basename(s).toLowerCase().replace(/\.(cmd|exe|ps1|js)$/, '');
  // Launchers and their flags, then tsc: `npx --yes tsc`, `node --stack-size=4000 .../tsc.js`.
  const limit = Math.min(argv.length, 6);
  let i = 0;
  for (; i < limit; i++) {
    const b = base(argv[i]!);
    if (b === 'tsc' || b === '_tsc' || b === 'tsgo') break;
    if (!LAUNCHERS.has(b) && !argv[i]!.startsWith('-')) return undefined;
  }
  const arg = argv[i];
  if (arg === undefined || i >= limit) return undefined;
  const viaPackageManager = argv.slice(0, i).some((a) => base(a) !== 'node' && base(a) !== 'nodejs' && !a.startsWith('-'));
  let file: string | undefined;
  if (arg.includes('/') || arg.includes('\\')) file = path.resolve(cwd, arg);
  else {
    const dirs: string[] = [];
    if (viaPackageManager) for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
      dirs.push(path.join(d, 'node_modules', '.bin'));
      if (path.dirname(d) === d) break;
    }
    dirs.push(...(env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean));
    file = dirs.map((d) => path.join(d, arg)).find((f) => isFile(f));
  }
  if (!file || !isFile(file)) return undefined;
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const pkg = nearestPackage(real);
  if (!pkg || !(pkg.name === 'typescript' || pkg.name.startsWith('@typescript/'))) return undefined;
  const major = Number(/^(\d+)\./.exec(pkg.version)?.[1] ?? NaN);
  return { argIndex: i, version: pkg.version, major, native: isNativeExecutable(real) };
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

function nearestPackage(file: string): { name: string; version: string } | undefined {
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    const p = path.join(d, 'package.json');
    if (existsSync(p)) {
      try {
        const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (j.name && j.version) return { name: j.name, version: j.version };
      } catch {
        // not a package.json we can read: keep looking up
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** ELF, Mach-O or PE: a compiled binary rather than a script. */
function isNativeExecutable(file: string): boolean {
  const b = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, b, 0, 4, 0);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const magic = b.readUInt32BE(0);
  return magic === 0x7f454c46 || (b[0] === 0x4d && b[1] === 0x5a) || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic);
}


/** The process that ran tsc: the native binary for tsc 7, else a Node process running tsc. */
function tscProcess(processes: ProcessInfo[], native: boolean, endMs: number): ProcessInfo | undefined {
  const isTsc = (a: string | undefined) => !!a && /^(_?tsc|tsgo)(\.js|\.exe)?$/i.test(path.basename(a));
  const candidates = processes.filter((p) => (native ? isTsc(p.argv[0]) : p.argv.slice(0, 3).some(isTsc)));
  return candidates.sort((a, b) => (b.endMs ?? endMs) - (a.endMs ?? endMs))[0];
}

/** Quotes a path for NODE_OPTIONS, which splits on spaces and honours double quotes with backslash escapes. */
export function quoteNodeOption(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

export { tscDiagnosticsFlagToAdd };
