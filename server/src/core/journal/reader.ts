// The journal's reader: samples.txt (format.ts) back into the sampler's series and processes, as
// the sampler itself would have reported them had the run ended at the last tick written.
//
// A last line without its newline is what a killed writer leaves: it is dropped with a warning.
// Any other line that does not parse is an ImportError naming the file and the line.

import type { Bytes, MemorySeries, Ms, ProcessInfo, Warning } from '../model';
import { bytes, ms } from '../units';
import { ImportError } from '../importers/import-error';
import { processLabel } from '../collect/sampler/process-label';
import { StepRecorder } from '../collect/sampler/step-recorder';
import type { JournalProcess } from './format';

export interface JournalSamples {
  series: MemorySeries[];
  processes: ProcessInfo[];
  warnings: Warning[];
  /** The time of the last tick written (0 when none was). */
  lastMs: Ms;
  ticks: number;
  maxGapMs: Ms;
}

interface ReadProcess {
  j: JournalProcess;
  rss: StepRecorder;
  maxBytes: Bytes;
  /** Its RSS at the last tick written; undefined before its first. */
  lastBytes?: Bytes;
  endMs: Ms | null;
  peak?: { bytes: Bytes; source: 'vmhwm' | 'sampled' };
}

export function readJournalSamples(text: string, file: string, source: string): JournalSamples {
  const warnings: Warning[] = [];
  const lines = text.split('\n');
  const last = lines.pop() ?? ''; // '' when the text ends with a newline
  if (last !== '') {
    warnings.push({
      code: 'journal-truncated',
      message: `the journal's last line was cut (${last.length} characters) when the tool stopped: it was dropped`,
      file,
      line: lines.length + 1,
    });
  }
  const tree = new StepRecorder(4096);
  const procs: ReadProcess[] = [];
  const open = new Set<ReadProcess>();
  let lastMs = ms(0);
  let ticks = 0;
  let maxGapMs = ms(0);

  lines.forEach((line, n) => {
    const bad = (why: string): never => {
      throw new ImportError('broken', `not a journal line (${why}): ${JSON.stringify(line.slice(0, 80))}`, file, n + 1);
    };
    const proc = (i: number): ReadProcess => procs[i] ?? bad(`process ${i} was never started`);
    const num = (s: string | undefined): number => {
      const v = Number(s);
      return s !== undefined && s !== '' && Number.isFinite(v) ? v : bad(`"${s}" is not a number`);
    };
    const json = (): Record<string, unknown> => {
      try {
        const v: unknown = JSON.parse(line.slice(2));
        if (v && typeof v === 'object') return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      return bad('invalid JSON');
    };
    const tag = line.slice(0, 2);
    if (tag === 'T ') {
      const f = line.split(' ');
      const t = ms(num(f[1]));
      if (t < lastMs) bad('time goes back');
      if (ticks && t - lastMs > maxGapMs) maxGapMs = ms(t - lastMs);
      ticks++;
      lastMs = t;
      tree.sample(t, bytes(num(f[2])));
      for (let k = 3; k < f.length; k++) {
        const eq = f[k]!.indexOf('=');
        if (eq < 0) bad(`"${f[k]}" is not <process>=<bytes>`);
        const p = proc(num(f[k]!.slice(0, eq)));
        p.lastBytes = bytes(num(f[k]!.slice(eq + 1)));
        if (p.lastBytes > p.maxBytes) p.maxBytes = p.lastBytes;
      }
      // A tick samples every live process: those not on the line kept their value.
      for (const p of open) if (p.lastBytes !== undefined) p.rss.sample(t, p.lastBytes);
    } else if (tag === 'P ') {
      const j = json() as unknown as JournalProcess;
      if (j.i !== procs.length || !Array.isArray(j.argv) || typeof j.pid !== 'number') bad('not a process');
      const p: ReadProcess = { j, rss: new StepRecorder(64), maxBytes: bytes(0), endMs: null };
      procs.push(p);
      open.add(p);
    } else if (tag === 'A ') {
      const a = json() as Partial<JournalProcess>;
      const p = proc(num(String(a.i)));
      if (!Array.isArray(a.argv)) bad('no argv');
      p.j.argv = a.argv!;
      if (typeof a.comm === 'string') p.j.comm = a.comm;
      if (a.role === 'build' || a.role === 'instrumentation') p.j.role = a.role;
    } else if (tag === 'E ') {
      const f = line.split(' ');
      if (f.length !== 6 || (f[5] !== 'vmhwm' && f[5] !== 'sampled')) bad('not <i> <endMs> <goneMs> <peak> <source>');
      const p = proc(num(f[1]));
      if (!open.delete(p)) bad(`process ${f[1]} ended twice`);
      p.endMs = ms(num(f[2]));
      p.peak = { bytes: bytes(num(f[4])), source: f[5] as 'vmhwm' | 'sampled' };
      p.rss.flush();
      if (p.rss.builder.length) p.rss.builder.push(ms(Math.max(num(f[3]), p.endMs)), bytes(0));
    } else if (tag === 'W ') {
      const w = json();
      if (typeof w.code !== 'string' || typeof w.message !== 'string') bad('not a warning');
      warnings.push({ code: w.code as string, message: w.message as string });
    } else if (line !== '') bad('unknown record');
  });

  tree.flush();
  const series: MemorySeries[] = [
    tree.builder.build({ id: 'rss-tree', name: 'RSS of the process tree', kind: 'rss-tree', source }),
  ];
  const processes: ProcessInfo[] = [];
  for (const p of procs) {
    p.rss.flush();
    const label = processLabel(p.j.argv, p.j.comm);
    series.push(
      p.rss.builder.build({
        id: p.j.seriesId,
        name: `RSS of ${label} (pid ${p.j.pid})`,
        kind: 'rss-process',
        source,
        pid: p.j.pid,
      }),
    );
    const peak = p.peak && p.peak.bytes >= p.maxBytes ? p.peak : { bytes: p.maxBytes, source: 'sampled' as const };
    processes.push({
      pid: p.j.pid,
      ppid: p.j.ppid,
      argv: p.j.argv,
      startMs: p.j.startMs,
      endMs: p.endMs,
      peakRssBytes: peak.bytes,
      peakRssSource: peak.source,
      role: p.j.role,
      label,
    });
  }
  return { series, processes, warnings, lastMs, ticks, maxGapMs };
}
