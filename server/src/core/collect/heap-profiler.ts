// Opt-in heap profilers: the build runs under valgrind massif, valgrind DHAT or heaptrack, and every
// file they write is imported after the run and attached to the process it describes.
//
//   massif     valgrind --tool=massif --time-unit=ms --trace-children=yes
//              --massif-out-file=<workDir>/massif.out.%p   → one file per process of the tree
//   dhat       valgrind --tool=dhat --trace-children=yes --dhat-out-file=<workDir>/dhat.out.%p
//   heaptrack  heaptrack -o <workDir>/heaptrack.%p         → heaptrack.<pid>.zst (or .gz), the root
//              command only: heaptrack's LD_PRELOAD library unsets itself, children are not traced
//
// Pids: valgrind runs the tool inside the profiled process (same pid, also for the children it
// follows); heaptrack runs the program as a child of its own script: %p is the program's pid in its
// documentation, but heaptrack 1.4 leaves it as is (`heaptrack.%p.zst`), so that file is attributed to
// the child of heaptrack's script that runs the user's command, as the sampler saw it.
// Clock: massif's and heaptrack's times are ms since their process started: they are placed at that
// process's start as the sampler saw it (the root's spawn, or first sight, up to a tick late). DHAT
// counts instructions: the importer's axis is then not wall time, and it is stretched over the
// process's life as the sampler saw it (a warning says so).
// The profiler's own memory is inside the profiled process: its RSS series includes valgrind's or
// heaptrack's overhead (a warning says so); the allocator-heap series do not.

import type { ArenaRule } from '../analysis/arena-rules';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contribution, Marker, MemorySeries, Ms, Phase, ProcessInfo, Warning } from '../model';
import { epochToProfileMs, ms } from '../units';
import { importAs } from './cc';
import type { CollectContext, InstrumentContext, Instrumentation } from './instrumentation';

export type HeapProfilerKind = 'massif' | 'heaptrack' | 'dhat';

export const HEAP_PROFILER_KINDS: readonly HeapProfilerKind[] = ['massif', 'heaptrack', 'dhat'];

export function heapProfilerInstrumentation(
  kind: HeapProfilerKind,
  arenaRules?: readonly ArenaRule[],
): Instrumentation {
  return new HeapProfilerInstrumentation(kind, arenaRules);
}

/** The argv that runs `argv` under the profiler, writing into `outDir`. */
export function heapProfilerArgv(kind: HeapProfilerKind, argv: readonly string[], outDir: string): string[] {
  switch (kind) {
    case 'massif':
      return [
        'valgrind',
        '--tool=massif',
        '--time-unit=ms',
        '--trace-children=yes',
        `--massif-out-file=${path.join(outDir, 'massif.out.%p')}`,
        ...argv,
      ];
    case 'dhat':
      return [
        'valgrind',
        '--tool=dhat',
        '--trace-children=yes',
        `--dhat-out-file=${path.join(outDir, 'dhat.out.%p')}`,
        ...argv,
      ];
    case 'heaptrack':
      return ['heaptrack', '-o', path.join(outDir, 'heaptrack.%p'), ...argv];
  }
}

/** The pid in an output file's name: massif.out.123, dhat.out.123, heaptrack.123.zst. */
export function heapProfilerFilePid(kind: HeapProfilerKind, fileName: string): number | undefined {
  const re =
    kind === 'heaptrack'
      ? /^heaptrack\.(\d+)(?:\.(?:zst|gz))?$/
      : kind === 'massif'
        ? /^massif\.out\.(\d+)$/
        : /^dhat\.out\.(\d+)$/;
  const m = re.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

/** heaptrack 1.4 does not replace %p in -o: such a file is the traced command's, found in the tree. */
function isUnsubstitutedHeaptrackFile(fileName: string): boolean {
  return /^heaptrack\.%p(?:\.(?:zst|gz))?$/.test(fileName);
}

function onPath(cmd: string, pathVar: string | undefined): boolean {
  return (pathVar ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d || '.', cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const TOOL_NAMES: Record<HeapProfilerKind, string> = {
  massif: 'valgrind massif',
  dhat: 'valgrind DHAT',
  heaptrack: 'heaptrack',
};

class HeapProfilerInstrumentation implements Instrumentation {
  readonly name: string;
  private active = false;
  private outDir = '';
  private readonly warnings: Warning[] = [];
  private userArgv: string[] = [];

  constructor(
    private readonly kind: HeapProfilerKind,
    /** Arena rules for inference; the registry's defaults when absent. */
    private readonly arenaRules?: readonly ArenaRule[],
  ) {
    this.name = `heap-profiler:${kind}`;
  }

  prepare(ctx: InstrumentContext): void {
    const exe = this.kind === 'heaptrack' ? 'heaptrack' : 'valgrind';
    if (process.platform !== 'linux' && this.kind === 'heaptrack') {
      this.warnings.push({
        code: 'heap-profiler-unsupported',
        message: 'heaptrack runs on Linux only: the build ran without it',
      });
      return;
    }
    if (!onPath(exe, ctx.env.PATH)) {
      this.warnings.push({
        code: 'heap-profiler-missing',
        message: `\`${exe}\` is not on PATH: the build ran without ${TOOL_NAMES[this.kind]} (on Debian: apt-get install ${exe})`,
      });
      return;
    }
    this.outDir = path.join(ctx.workDir, `heap-${this.kind}`);
    fs.mkdirSync(this.outDir, { recursive: true });
    this.userArgv = [...ctx.argv];
    ctx.argv = heapProfilerArgv(this.kind, ctx.argv, this.outDir);
    this.active = true;
  }

  async collect(ctx: CollectContext): Promise<Contribution> {
    const warnings = [...this.warnings];
    if (!this.active) return { warnings };
    const tool = TOOL_NAMES[this.kind];
    warnings.push({
      code: 'heap-profiler-overhead',
      message:
        `the build ran under ${tool}: the profiler lives inside each profiled process, so their RSS includes its overhead ` +
        `(${this.kind === 'heaptrack' ? "heaptrack's buffers" : "valgrind's JIT and shadow memory, several times the program's own"}) and they ran slower; ` +
        "the allocator-heap series count the program's heap alone",
    });
    if (this.kind === 'heaptrack') {
      warnings.push({
        code: 'heaptrack-root-only',
        message:
          'heaptrack traces the command it runs, not the processes that command starts (make, a compiler driver): use massif to follow children',
      });
    }

    const helpers: (Partial<ProcessInfo> & { pid: number })[] = [];
    // The profiler's own helper processes are not part of the build.
    for (const p of ctx.processes) {
      const exe = path.basename(p.argv[0] ?? '');
      const script = p.argv.slice(0, 2).some((a) => path.basename(a) === 'heaptrack');
      // The interpreter wherever it stands in the argv (e.g. run through a shell of heaptrack's pipeline).
      const interpreter = p.argv.some((a) => path.basename(a) === 'heaptrack_interpret');
      if (
        this.kind === 'heaptrack' &&
        (script ||
          interpreter ||
          ((exe === 'zstd' || exe === 'gzip') &&
            p.ppid !== null &&
            ctx.processes.some(
              (q) => q.pid === p.ppid && q.argv.slice(0, 2).some((a) => path.basename(a) === 'heaptrack'),
            )))
      ) {
        helpers.push({ pid: p.pid, role: 'instrumentation', label: interpreter ? 'heaptrack_interpret' : 'heaptrack' });
      }
    }
    let names: string[] = [];
    try {
      names = fs
        .readdirSync(this.outDir)
        .filter(
          (n) =>
            heapProfilerFilePid(this.kind, n) !== undefined ||
            (this.kind === 'heaptrack' && isUnsubstitutedHeaptrackFile(n)),
        )
        .sort();
    } catch {
      // reported below
    }
    if (!names.length) {
      warnings.push({
        code: 'heap-profiler-no-output',
        message: `${tool} wrote no file (the build failed to start under it, or was stopped before any process exited)`,
      });
      return { warnings, processes: helpers, sources: [this.kind] };
    }

    const series: MemorySeries[] = [];
    const phases: Phase[] = [];
    const markers: Marker[] = [];
    const processes: (Partial<ProcessInfo> & { pid: number })[] = [...helpers];
    const sources = new Set<string>();
    const tools: Record<string, string> = {};
    let stretched = 0;
    for (const name of names) {
      const pid = heapProfilerFilePid(this.kind, name) ?? this.tracedPid(ctx);
      if (pid === undefined) {
        warnings.push({
          code: 'heap-profiler-unattributed',
          message: `${name}: the process heaptrack traced was not seen by the sampler; its file was not imported`,
          file: name,
        });
        continue;
      }
      const file = path.join(this.outDir, name);
      let r;
      try {
        r = await importAs(file, this.kind, this.arenaRules ? { arenaRules: this.arenaRules } : {});
      } catch (e) {
        warnings.push({
          code: 'heap-profiler-unreadable',
          message: `${tool} output of pid ${pid} could not be read: ${(e as Error).message}`,
          file: name,
        });
        continue;
      }
      for (const s of r.sources ?? [this.kind]) sources.add(s);
      Object.assign(tools, r.tools ?? {});
      for (const w of r.warnings ?? []) warnings.push({ ...w, file: w.file ? path.basename(w.file) : name });

      const proc = firstProcess(ctx.processes, pid);
      const own = r.processes?.find((p) => p.pid === pid) ?? r.processes?.[0];
      // The file's time 0 is its process's start.
      let toProfile = (t: Ms): Ms => ms((proc?.startMs ?? 0) + t);
      if (r.originEpochMs !== undefined) {
        const origin = epochToProfileMs(r.originEpochMs, ctx.startEpochMs);
        toProfile = (t) => ms(origin + t);
      } else if (this.kind === 'dhat' && proc) {
        // Instructions, not ms: stretch the file's axis over the process's life.
        const fileEnd = Math.max(1e-9, lastTime(r.series, r.phases, r.markers));
        const life = (proc.endMs ?? ctx.endMs) - proc.startMs;
        const k = life / fileEnd;
        toProfile = (t) => ms(proc.startMs + t * k);
        stretched++;
      }
      for (const s of r.series ?? []) {
        series.push({
          ...s,
          id: s.id.includes(String(pid)) ? s.id : `${s.id}:${pid}`,
          pid,
          tMs: s.tMs.map((t) => toProfile(ms(t))),
        });
      }
      const offset = phases.length;
      for (const p of r.phases ?? [])
        phases.push({
          ...p,
          parent: p.parent === null ? null : p.parent + offset,
          pid,
          startMs: toProfile(p.startMs),
          endMs: toProfile(p.endMs),
        });
      for (const m of r.markers ?? []) markers.push({ ...m, pid, tMs: toProfile(m.tMs) });
      if (proc) {
        if (own?.label && !proc.label) processes.push({ pid, label: own.label });
      } else {
        // Not seen by the sampler (shorter than a tick): known from the file.
        processes.push({
          pid,
          ppid: null,
          argv: own?.argv ?? [],
          startMs: toProfile(ms(0)),
          endMs: own?.endMs != null ? toProfile(own.endMs) : null,
          peakRssBytes: null,
          role: 'build',
          ...(own?.label ? { label: own.label } : {}),
        });
      }
    }
    if (stretched) {
      warnings.push({
        code: 'dhat-time-stretched',
        message: `DHAT measures time in instructions: the axis of ${stretched} file(s) was stretched over each process's life as the sampler saw it (approximate)`,
      });
    }
    return { warnings, series, phases, markers, processes, sources: [...sources], tools };
  }

  /** The process heaptrack's script ran the user's command in: its child with the user's argv. */
  private tracedPid(ctx: CollectContext): number | undefined {
    const root = ctx.processes[0];
    if (!root) return undefined;
    const children = ctx.processes.filter((p) => p.ppid === root.pid && p.role !== 'instrumentation');
    const want = this.userArgv.join('\0');
    const exe = path.basename(this.userArgv[0] ?? '');
    return (
      children.find((p) => p.argv.join('\0') === want) ?? children.find((p) => path.basename(p.argv[0] ?? '') === exe)
    )?.pid;
  }
}

function firstProcess(processes: readonly ProcessInfo[], pid: number): ProcessInfo | undefined {
  return processes.filter((p) => p.pid === pid).sort((a, b) => a.startMs - b.startMs)[0];
}

function lastTime(series?: MemorySeries[], phases?: Phase[], markers?: Marker[]): Ms {
  let t = 0;
  for (const s of series ?? []) if (s.tMs.length) t = Math.max(t, s.tMs[s.tMs.length - 1]!);
  for (const p of phases ?? []) t = Math.max(t, p.endMs);
  for (const m of markers ?? []) t = Math.max(t, m.tMs);
  return ms(t);
}
