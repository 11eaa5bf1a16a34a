// Export of a profile to the Trace Event Format (object form), which Perfetto and chrome://tracing open
// and which importers/trace-event/ reads back:
//
//   phases      X events, one track per process (pid = the phase's, or a synthetic one for phases
//               without a process); a phase that cannot nest in what is open on a track goes to the
//               next lane (tid 2, 3, ...), so the X events of every tid are well-formed
//   series      one C counter per series, ONE key ("bytes"), its unit in the name:
//               "RSS of tsc (pid 42) [bytes]"; its kind as the event's cat
//   arenas      the arena protocol (docs/instrumentation.md): b (category, first bytes), n "bytes"
//               (total bytes now), n "use" (args.phase), e (the free; none when alive at the end),
//               cat "arena", id = the arena's id
//   the peak    an instant event (global scope) named with its value and phase path
//   markers     instant events (thread scope), cat = the marker's kind
//   run facts   "otherData" (strings, as Perfetto shows them; "cmi.run" holds the facts as JSON)
//   the clock   ts in µs since run.startEpochMs; "beginningOfTime" = run.startEpochMs in µs
//
// The text is produced in pieces (`chromeTraceChunks`), so writing a big profile never builds it whole.

import { createWriteStream } from 'node:fs';
import { analyze } from '../analysis/analyze';
import { ancestorsOf } from '../analysis/phase-ancestry';
import type { Ms, Phase, Profile } from '../model';
import { formatBytes, ms, msToUs } from '../units';

/** A time on the Trace Event clock (µs), kept to the nanosecond. */
const us = (t: Ms): number => Math.round(msToUs(t) * 1e3) / 1e3;

/** Lanes of one process: each lane is a stack of the end times of the X events open on it. */
function assignLanes(phases: Phase[], indices: number[]): Map<number, number> {
  const depth = new Map<number, number>();
  const depthOf = (i: number): number => {
    const known = depth.get(i);
    if (known !== undefined) return known;
    const d = ancestorsOf(phases, i).length;
    depth.set(i, d);
    return d;
  };
  const order = [...indices].sort(
    (a, b) =>
      phases[a]!.startMs - phases[b]!.startMs ||
      phases[b]!.endMs - phases[a]!.endMs ||
      depthOf(a) - depthOf(b) ||
      a - b,
  );
  const lanes: number[][] = [];
  const laneOf = new Map<number, number>();
  for (const i of order) {
    const p = phases[i]!;
    const fits = (lane: number): boolean => {
      const stack = lanes[lane]!;
      while (stack.length && stack[stack.length - 1]! <= p.startMs) stack.pop();
      return !stack.length || stack[stack.length - 1]! >= p.endMs;
    };
    const preferred = p.parent !== null ? laneOf.get(p.parent) : undefined;
    let lane = preferred !== undefined && fits(preferred) ? preferred : -1;
    for (let l = 0; lane < 0 && l < lanes.length; l++) if (fits(l)) lane = l;
    if (lane < 0) {
      lane = lanes.length;
      lanes.push([]);
    }
    lanes[lane]!.push(p.endMs);
    laneOf.set(i, lane);
  }
  return laneOf;
}

/** The trace as pieces of JSON text, in order; joined they are the whole file. */
export function* chromeTraceChunks(profile: Profile): Generator<string> {
  const knownPids = [
    ...profile.processes.map((p) => p.pid),
    ...profile.phases.map((p) => p.pid ?? 0),
    ...profile.series.map((s) => s.pid ?? 0),
  ];
  const syntheticPid = Math.max(0, ...knownPids) + 1;
  const pidOf = (pid: number | undefined) => pid ?? syntheticPid;
  const run = profile.run;

  const otherData: Record<string, string> = {
    command: run.command.join(' '),
    status: run.status,
    ...(run.statusReason ? { statusReason: run.statusReason } : {}),
    exitCode: String(run.exitCode),
    startedAt: run.startedAt,
    wallMs: String(run.wallMs),
    tools: Object.entries(run.tools)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    sources: run.sources.join(', '),
    'cmi.run': JSON.stringify({
      command: run.command,
      cwd: run.cwd,
      status: run.status,
      statusReason: run.statusReason,
      exitCode: run.exitCode,
      signal: run.signal,
      wallMs: run.wallMs,
      tools: run.tools,
      startedAt: run.startedAt,
      host: run.host,
      sampler: run.sampler,
    }),
  };
  yield `{"displayTimeUnit":"ms",${run.startEpochMs > 0 ? `"beginningOfTime":${Math.round(run.startEpochMs * 1000)},` : ''}"otherData":${JSON.stringify(otherData)},\n"traceEvents":[`;
  let first = true;
  const ev = (e: Record<string, unknown>) => {
    const s = `${first ? '\n' : ',\n'}${JSON.stringify(e)}`;
    first = false;
    return s;
  };

  // Processes and their names.
  const pids = new Set<number>();
  for (const p of profile.phases) pids.add(pidOf(p.pid));
  for (const s of profile.series) pids.add(pidOf(s.pid));
  for (const a of profile.arenas) pids.add(pidOf(a.pid));
  for (const p of profile.processes) pids.add(p.pid);
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const info = profile.processes.find((p) => p.pid === pid);
    const name =
      pid === syntheticPid && !info ? (run.command[0] ?? 'build') : (info?.label ?? info?.argv[0] ?? `pid ${pid}`);
    yield ev({ name: 'process_name', ph: 'M', pid, tid: 1, ts: 0, args: { name } });
  }

  // Phases: X events on lanes.
  const byPid = new Map<number, number[]>();
  profile.phases.forEach((p, i) => {
    const pid = pidOf(p.pid);
    const list = byPid.get(pid) ?? [];
    list.push(i);
    byPid.set(pid, list);
  });
  for (const [pid, indices] of byPid) {
    const laneOf = assignLanes(profile.phases, indices);
    const lanes = Math.max(...laneOf.values()) + 1;
    for (let l = 1; l < lanes; l++)
      yield ev({ name: 'thread_name', ph: 'M', pid, tid: l + 1, ts: 0, args: { name: `lane ${l + 1}` } });
    const order = [...indices].sort(
      (a, b) =>
        profile.phases[a]!.startMs - profile.phases[b]!.startMs ||
        profile.phases[b]!.endMs - profile.phases[a]!.endMs ||
        a - b,
    );
    for (const i of order) {
      const p = profile.phases[i]!;
      const args: Record<string, unknown> = { ...p.args };
      if (p.memStartBytes !== undefined) args.memStartBytes = p.memStartBytes;
      if (p.memEndBytes !== undefined) args.memEndBytes = p.memEndBytes;
      if (p.memKind) args.memKind = p.memKind;
      if (p.source)
        args.source = `${p.source.file}${p.source.line ? `:${p.source.line}` : ''}${p.source.column ? `:${p.source.column}` : ''}`;
      const ts = us(p.startMs);
      yield ev({
        name: p.name,
        ph: 'X',
        pid,
        tid: laneOf.get(i)! + 1,
        ts,
        dur: Math.max(0, us(p.endMs) - ts),
        ...(p.category ? { cat: p.category } : {}),
        ...(Object.keys(args).length ? { args } : {}),
      });
    }
  }

  // Memory series: one counter each, one key, the unit in the name.
  for (const s of profile.series) {
    const pid = pidOf(s.pid);
    const name = `${s.name} [bytes]`;
    for (let i = 0; i < s.tMs.length; i++)
      yield ev({ name, ph: 'C', cat: s.kind, pid, tid: 1, ts: us(ms(s.tMs[i]!)), args: { bytes: s.bytes[i]! } });
  }

  // Arenas: the trace protocol of docs/instrumentation.md (async b, n "bytes" / n "use", e; cat "arena").
  for (const a of profile.arenas) {
    const pid = pidOf(a.pid);
    const base = { cat: 'arena', id: a.id, pid, tid: 1 };
    const n = a.tMs.length;
    // The create carries the first sample when it is at the start; the free's 0 is the e event itself.
    const first = n > 0 && a.tMs[0]! <= a.startMs ? 1 : 0;
    const last = a.endMs !== null && n > first && a.bytes[n - 1] === 0 && a.tMs[n - 1]! >= a.endMs ? n - 1 : n;
    yield ev({
      name: a.name,
      ph: 'b',
      ...base,
      ts: us(a.startMs),
      args: { category: a.category, bytes: first ? a.bytes[0]! : 0 },
    });
    const uses = [...a.uses].sort((x, y) => x.tMs - y.tMs);
    let u = 0;
    for (let i = first; i <= last; i++) {
      const t = i < last ? a.tMs[i]! : Infinity;
      for (; u < uses.length && uses[u]!.tMs < t; u++) {
        const use = uses[u]!;
        yield ev({
          name: 'use',
          ph: 'n',
          ...base,
          ts: us(use.tMs),
          ...(use.phase !== undefined ? { args: { phase: use.phase } } : {}),
        });
      }
      if (i < last) yield ev({ name: 'bytes', ph: 'n', ...base, ts: us(ms(t)), args: { bytes: a.bytes[i]! } });
    }
    if (a.endMs !== null) yield ev({ name: a.name, ph: 'e', ...base, ts: us(ms(Math.max(a.startMs, a.endMs))) });
  }

  // Markers, then the peak.
  for (const m of profile.markers) {
    const args: Record<string, unknown> = {};
    if (m.detail) args.detail = m.detail;
    if (m.durMs !== undefined) args.durMs = m.durMs;
    yield ev({
      name: m.name,
      ph: 'i',
      s: 't',
      cat: m.kind,
      pid: pidOf(m.pid),
      tid: 1,
      ts: us(m.tMs),
      ...(Object.keys(args).length ? { args } : {}),
    });
  }
  const peak = analyze(profile).peak;
  if (peak) {
    const where = peak.phasePath.length ? ` in ${peak.phasePath.join(' › ')}` : '';
    yield ev({
      name: `peak ${formatBytes(peak.bytes)}${where}`,
      ph: 'i',
      s: 'g',
      cat: 'peak',
      pid: pidOf(peak.pid),
      tid: 1,
      ts: us(peak.atMs),
      args: { bytes: peak.bytes, series: peak.seriesName, phasePath: peak.phasePath.join(' › ') },
    });
  }
  yield '\n]}\n';
}

/** The profile as a Trace Event file (object form). */
export function exportChromeTrace(profile: Profile): string {
  return [...chromeTraceChunks(profile)].join('');
}

/** Writes the profile as a Trace Event file, in pieces. */
export async function writeChromeTrace(file: string, profile: Profile): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let pending: string[] = [];
  let size = 0;
  for (const chunk of chromeTraceChunks(profile)) {
    pending.push(chunk);
    size += chunk.length;
    if (size >= 1 << 20) {
      if (!out.write(pending.join(''))) await new Promise<void>((resolve) => out.once('drain', resolve));
      pending = [];
      size = 0;
    }
  }
  out.end(pending.join(''));
  await done;
}
