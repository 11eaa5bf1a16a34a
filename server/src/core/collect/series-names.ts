// Series follow exec: a process's memory series are named after what the process became, not after
// what the sampler (or a collector) happened to see first. The sampler names `RSS of sh (pid 8264)`
// when it read the pid while it still ran the cc shim (the shim and cc1 share the name "cc1", so no
// exec is seen); the cc collector later labels that pid `cc1 main.c`. Run once every collector has
// contributed (collectAll), so the last word on a process (its last exec seen, or a collector's
// label) names all its series, and compare's pid-free series keys stop depending on sampling luck.

import type { MemorySeries, ProcessInfo, Profile } from '../model';

/** Series whose names read `<measure> of <process label> (pid N)…`, made by the sampler and the collectors. */
const PER_PROCESS_KINDS = new Set<MemorySeries['kind']>(['rss-process', 'allocator-heap', 'js-heap', 'js-live-heap']);

/**
 * Renames, in place, every per-process series after its process's recorded label (else its argv[0]'s
 * base name). A process with several live-heap images (one per exec: `live-heap:P`, `live-heap:P#2`)
 * keeps them apart: the images before the last are named `(pid N, before exec)`.
 */
export function nameSeriesAfterProcesses(profile: Profile): void {
  const byPid = new Map<number, ProcessInfo[]>();
  for (const p of profile.processes) {
    const list = byPid.get(p.pid);
    if (list) list.push(p);
    else byPid.set(p.pid, [p]);
  }
  // Images of one process and kind, in order: all but the last ran before an exec.
  const images = new Map<string, MemorySeries[]>();
  for (const s of profile.series) {
    if (s.pid === undefined || !PER_PROCESS_KINDS.has(s.kind)) continue;
    const proc = processOfSeries(byPid.get(s.pid), s);
    if (!proc) continue;
    const label = proc.label ?? (proc.argv[0] ? proc.argv[0].split('/').pop() : undefined);
    if (label) s.name = withProcessLabel(s.name, s.pid, label);
    const key = `${s.kind}\u0000${profile.processes.indexOf(proc)}`;
    const list = images.get(key);
    if (list) list.push(s);
    else images.set(key, [s]);
  }
  for (const list of images.values()) {
    if (list.length < 2 || list[0]!.kind !== 'allocator-heap') continue;
    list.sort((a, b) => (a.tMs[0] ?? 0) - (b.tMs[0] ?? 0));
    for (const s of list.slice(0, -1)) {
      const pidText = `(pid ${s.pid})`;
      const at = s.name.lastIndexOf(pidText);
      if (at >= 0) s.name = `${s.name.slice(0, at)}(pid ${s.pid}, before exec)${s.name.slice(at + pidText.length)}`;
    }
  }
}

/** `RSS of sh (pid 12)` → `RSS of cc1 main.c (pid 12)`: the words before ` of ` and from ` (pid N` on are kept. */
export function withProcessLabel(name: string, pid: number, label: string): string {
  const of = name.indexOf(' of ');
  if (of < 0) return name;
  const pidAt = name.indexOf(` (pid ${pid}`, of);
  if (pidAt < 0) return name;
  return `${name.slice(0, of + 4)}${label}${name.slice(pidAt)}`;
}

/**
 * The process a series is of: of the processes with its pid (a reused pid has several), the last to
 * start at or before the series' first sample; else the first.
 */
function processOfSeries(procs: ProcessInfo[] | undefined, s: MemorySeries): ProcessInfo | undefined {
  if (!procs?.length) return undefined;
  if (procs.length === 1 || !s.tMs.length) return procs[0];
  const t0 = s.tMs[0]!;
  let best: ProcessInfo | undefined;
  for (const p of procs) if (p.startMs <= t0 && (!best || p.startMs >= best.startMs)) best = p;
  return best ?? procs[0];
}
