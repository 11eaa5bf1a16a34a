// The trace protocol: any compiler can report its own phases, arenas and heap counters by writing a
// Trace Event JSON file (Chrome/Perfetto format) to where the profiler tells it, through the
// environment:
//
//   CMI_TRACE_FILE  a file path in the run's private directory: one writer (the compiler of a
//                   single-process build) writes one Trace Event file there, object form
//                   `{ "traceEvents": [...], "beginningOfTime": <epoch µs> }` or a bare array.
//   CMI_TRACE_DIR   a directory: each process writes its own `<anything>.json` (or `.json.gz`) there,
//                   e.g. `<pid>.json`, so that parallel processes never share a file.
//
// After the run, every file is imported with the chrome-trace importer. Events are attached to the
// process named by their `pid` when that is a real process of the build (as the sampler saw it); else
// to the pid in the file's name (`1234.json`, `trace-1234.json`) when that is one; else to the root
// process of the build, with a warning.
// Clock: with `beginningOfTime` (epoch µs) the file is placed on the run's clock exactly (to the
// writer's clock reading; same machine, same CLOCK_REALTIME). Without it, the file's first event is
// aligned to the start of the process that wrote it, as the sampler saw it (or its last event to the
// process's end, when the file's span would otherwise outlast the process), with a warning giving the
// error bound.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Arena, Contribution, Marker, MemorySeries, Ms, Phase, ProcessInfo, Warning } from '../model';
import { epochToProfileMs, ms } from '../units';
import { importAs } from './cc';
import { tickSlackMs, type CollectContext, type InstrumentContext, type Instrumentation } from './instrumentation';

export const TRACE_FILE_ENV = 'CMI_TRACE_FILE';
export const TRACE_DIR_ENV = 'CMI_TRACE_DIR';

export function traceFileInstrumentation(): Instrumentation {
  return new TraceFileInstrumentation();
}

class TraceFileInstrumentation implements Instrumentation {
  readonly name = 'trace-file';
  private file = '';
  private dir = '';

  prepare(ctx: InstrumentContext): void {
    const base = path.join(ctx.workDir, 'trace');
    this.file = path.join(base, 'trace.json');
    this.dir = path.join(base, 'per-process');
    fs.mkdirSync(this.dir, { recursive: true });
    ctx.env[TRACE_FILE_ENV] = this.file;
    ctx.env[TRACE_DIR_ENV] = this.dir;
  }

  async collect(ctx: CollectContext): Promise<Contribution> {
    const files: string[] = [];
    if (fs.existsSync(this.file)) files.push(this.file);
    try {
      for (const n of fs.readdirSync(this.dir).sort()) if (/\.json(\.gz)?$/.test(n)) files.push(path.join(this.dir, n));
    } catch {
      // the build removed it: nothing to read
    }
    if (!files.length) return {};

    const warnings: Warning[] = [];
    const out = {
      phases: [] as Phase[],
      series: [] as MemorySeries[],
      markers: [] as Marker[],
      arenas: [] as Arena[],
      processes: [] as (Partial<ProcessInfo> & { pid: number })[],
    };
    const sources = new Set<string>();
    const tools: Record<string, string> = {};
    const seriesIds = new Set<string>();
    const real = new Set(ctx.processes.map((p) => p.pid));
    const root = ctx.processes[0];

    for (const file of files) {
      const shown = path.relative(path.dirname(this.file), file);
      let r;
      try {
        r = await importAs(file, 'chrome-trace');
      } catch (e) {
        warnings.push({ code: 'trace-file-unreadable', message: `${shown}: ${(e as Error).message}`, file: shown });
        continue;
      }
      for (const s of r.sources ?? ['chrome-trace']) sources.add(s);
      Object.assign(tools, r.tools ?? {});
      for (const w of r.warnings ?? []) warnings.push({ ...w, file: shown });

      // Which real process each pid of the file is.
      const namePid = Number(/(\d+)\.json(?:\.gz)?$/.exec(path.basename(file))?.[1] ?? NaN);
      const fallback = real.has(namePid) ? namePid : root?.pid;
      const filePids = new Set<number>();
      for (const p of r.phases ?? []) if (p.pid !== undefined) filePids.add(p.pid);
      for (const s of r.series ?? []) if (s.pid !== undefined) filePids.add(s.pid);
      for (const m of r.markers ?? []) if (m.pid !== undefined) filePids.add(m.pid);
      for (const a of r.arenas ?? []) if (a.pid !== undefined) filePids.add(a.pid);
      const mapPid = new Map<number, number | undefined>();
      const unmatched: number[] = [];
      for (const pid of filePids) {
        if (real.has(pid)) mapPid.set(pid, pid);
        else {
          mapPid.set(pid, fallback);
          unmatched.push(pid);
        }
      }
      if (unmatched.length) {
        warnings.push({
          code: 'trace-pid-unknown',
          message: `${shown}: pid(s) ${unmatched.slice(0, 5).join(', ')} are no process of the build: their events are attached to ${fallback === namePid ? `pid ${namePid} (named by the file)` : `the root process${fallback !== undefined ? ` (pid ${fallback})` : ''}`}`,
          file: shown,
        });
      }
      const pidOf = (pid: number | undefined) => (pid === undefined ? fallback : mapPid.get(pid));

      // The clock.
      let shiftMs: Ms;
      if (r.originEpochMs !== undefined) shiftMs = epochToProfileMs(r.originEpochMs, ctx.startEpochMs);
      else {
        const span = spanOf(r.phases, r.series, r.markers, r.arenas);
        const writerPid = pidOf([...filePids][0]);
        const writer = ctx.processes.find((p) => p.pid === writerPid) ?? root;
        const startMs = writer?.startMs ?? ms(0);
        const endMs = writer?.endMs ?? ctx.endMs;
        shiftMs = ms(startMs - span.first);
        if (span.last + shiftMs > endMs) shiftMs = ms(Math.max(endMs - span.last, -span.first));
        const slackMs = Math.max(0, endMs - startMs - (span.last - span.first));
        warnings.push({
          code: 'trace-clock-aligned',
          message: `${shown} has no beginningOfTime: its events were aligned to the life of pid ${writer?.pid ?? '?'} as the process sampler saw it (error up to ${(slackMs + tickSlackMs(ctx)).toFixed(0)} ms); write "beginningOfTime" (epoch µs) to place them exactly`,
          file: shown,
        });
      }

      const shift = (t: Ms): Ms => ms(t + shiftMs);
      const offset = out.phases.length;
      for (const p of r.phases ?? []) {
        const pid = pidOf(p.pid);
        out.phases.push({
          ...p,
          parent: p.parent === null ? null : p.parent + offset,
          startMs: shift(p.startMs),
          endMs: shift(p.endMs),
          ...(pid !== undefined ? { pid } : {}),
        });
      }
      for (const s of r.series ?? []) {
        const pid = pidOf(s.pid);
        let id = s.id;
        for (let n = 2; seriesIds.has(id); n++) id = `${s.id}#${n}`;
        seriesIds.add(id);
        out.series.push({ ...s, id, tMs: s.tMs.map((t) => t + shiftMs), ...(pid !== undefined ? { pid } : {}) });
      }
      for (const m of r.markers ?? []) {
        const pid = pidOf(m.pid);
        out.markers.push({ ...m, tMs: shift(m.tMs), ...(pid !== undefined ? { pid } : {}) });
      }
      for (const a of r.arenas ?? []) {
        const pid = pidOf(a.pid);
        out.arenas.push({
          ...a,
          startMs: shift(a.startMs),
          endMs: a.endMs === null ? null : shift(a.endMs),
          tMs: a.tMs.map((t) => t + shiftMs),
          uses: a.uses.map((u) => ({ ...u, tMs: shift(u.tMs) })),
          ...(pid !== undefined ? { pid } : {}),
        });
      }
      // Labels from process_name metadata, for real processes only (the sampler owns their times).
      for (const p of r.processes ?? []) {
        if (real.has(p.pid) && p.label) out.processes.push({ pid: p.pid, label: p.label });
      }
    }
    return { ...out, warnings, sources: [...sources], tools };
  }
}

function spanOf(
  phases?: Phase[],
  series?: MemorySeries[],
  markers?: Marker[],
  arenas?: Arena[],
): { first: Ms; last: Ms } {
  let first = Infinity;
  let last = -Infinity;
  for (const p of phases ?? []) {
    first = Math.min(first, p.startMs);
    last = Math.max(last, p.endMs);
  }
  for (const s of series ?? []) {
    if (!s.tMs.length) continue;
    first = Math.min(first, s.tMs[0]!);
    last = Math.max(last, s.tMs[s.tMs.length - 1]!);
  }
  for (const m of markers ?? []) {
    first = Math.min(first, m.tMs);
    last = Math.max(last, m.tMs + (m.durMs ?? 0));
  }
  for (const a of arenas ?? []) {
    first = Math.min(first, a.startMs);
    last = Math.max(last, a.endMs ?? a.startMs, a.tMs.length ? a.tMs[a.tMs.length - 1]! : a.startMs);
  }
  return Number.isFinite(first) ? { first: ms(first), last: ms(last) } : { first: ms(0), last: ms(0) };
}
