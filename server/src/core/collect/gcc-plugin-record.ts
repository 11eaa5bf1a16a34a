// The record of the GCC plugin (native/cmi-gcc-plugin.cc → dist/cmi_gcc.so): one `<f>.passes` file
// per cc1/cc1plus process, a few hundred lines whatever the size of the file compiled. The format is
// described in native/README.md; in short, one record per line, the name last (it may hold spaces):
//
//   # cmi-gcc-plugin 1 pid=P built-for=12.2.0 clock=realtime-us ggc=allocated-bytes
//   # mismatch gcc=13.1.0                  (the plugin was loaded into another gcc: nothing else follows)
//   S <epoch us> <ggc>                     the plugin's first stamp (its init)
//   B <epoch us> <ggc> stage|pass <name>   a timed phase begins, inside the innermost open one
//   R <us> <runs> <ggc> <name>             per-pass total of the innermost open phase (before its E)
//   I <key>=<n>                            a count for the innermost open phase (or the unit, at the end)
//   E <epoch us> <ggc>                     the innermost open phase ends
//   F <epoch us> <ggc>                     PLUGIN_FINISH: the last stamp
//   X                                      gcc exited before PLUGIN_FINISH (an error, a crash)
//
// <ggc> is gcc's running count of bytes allocated in its garbage-collected heap (never decreasing):
// a phase's GGC allocation is its end figure minus its start figure. Pure: text in, values out.

import type { Bytes, EpochMs, Ms } from '../model';
import { bytes, epochMs, ms } from '../units';

export interface GccPluginRow {
  name: string;
  ms: Ms;
  runs: number;
  ggcAllocatedBytes: Bytes;
}

export interface GccPluginPhase {
  name: string;
  kind: 'stage' | 'pass';
  /** Index in `phases` of the enclosing phase, or null for a stage. */
  parent: number | null;
  startEpochMs: EpochMs;
  /** Absent when the record ends before the phase did (gcc stopped or crashed). */
  endEpochMs?: EpochMs;
  ggcStartBytes: Bytes;
  ggcEndBytes?: Bytes;
  rows: GccPluginRow[];
  counts: Record<string, number>;
}

export interface GccPluginRecord {
  builtFor?: string;
  /** The gcc the plugin was loaded into, when it was not the one it was built for (then nothing was recorded). */
  mismatch?: string;
  firstEpochMs?: EpochMs;
  /** PLUGIN_FINISH's stamp; absent when gcc ended before it. */
  finishEpochMs?: EpochMs;
  /** The last stamp of the record, whatever it was. */
  lastEpochMs?: EpochMs;
  ggcTotalBytes?: Bytes;
  /** gcc exited (through exit()) before PLUGIN_FINISH. */
  exitedEarly: boolean;
  phases: GccPluginPhase[];
  counts: Record<string, number>;
  /** Lines that were not understood (a damaged record); the rest is kept. */
  badLines: number;
}

const HEADER = /^# cmi-gcc-plugin 1\b(.*)$/;
const NUM = /^\d+$/;

/** Whether `text` is a record of the plugin (its header line). */
export function isGccPluginRecord(text: string): boolean {
  return HEADER.test(text.slice(0, text.indexOf('\n') >>> 0));
}

export function parseGccPluginRecord(text: string): GccPluginRecord {
  const rec: GccPluginRecord = { exitedEarly: false, phases: [], counts: {}, badLines: 0 };
  const open: number[] = [];
  const stamp = (us: string) => epochMs(Number(us) / 1000);
  const lines = text.split('\n');
  // A last line without its newline was cut while being written: not to be trusted.
  if (lines[lines.length - 1] !== '') lines[lines.length - 1] = '';
  for (const line of lines) {
    if (!line) continue;
    const h = HEADER.exec(line);
    if (h) {
      const b = /\bbuilt-for=(\S+)/.exec(h[1]!);
      if (b) rec.builtFor = b[1]!;
      continue;
    }
    const m = /^# mismatch gcc=(\S*)/.exec(line);
    if (m) {
      rec.mismatch = m[1]!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const f = line.split(' ');
    const tag = f[0];
    if ((tag === 'S' || tag === 'E' || tag === 'F' || tag === 'B') && NUM.test(f[1] ?? '') && NUM.test(f[2] ?? '')) {
      const t = stamp(f[1]!);
      const ggc = bytes(Number(f[2]!));
      rec.lastEpochMs = t;
      rec.ggcTotalBytes = ggc;
      if (tag === 'S') rec.firstEpochMs = t;
      else if (tag === 'F') rec.finishEpochMs = t;
      else if (tag === 'E') {
        const i = open.pop();
        if (i === undefined) rec.badLines++;
        else {
          rec.phases[i]!.endEpochMs = t;
          rec.phases[i]!.ggcEndBytes = ggc;
        }
      } else if ((f[3] === 'stage' || f[3] === 'pass') && f.length > 4) {
        open.push(rec.phases.length);
        rec.phases.push({
          name: f.slice(4).join(' '),
          kind: f[3],
          parent: open.length > 1 ? open[open.length - 2]! : null,
          startEpochMs: t,
          ggcStartBytes: ggc,
          rows: [],
          counts: {},
        });
        rec.firstEpochMs ??= t;
      } else rec.badLines++;
      continue;
    }
    if (tag === 'R' && f.length > 4 && NUM.test(f[1]!) && NUM.test(f[2]!) && NUM.test(f[3]!)) {
      const i = open[open.length - 1];
      if (i === undefined) rec.badLines++;
      else
        rec.phases[i]!.rows.push({
          name: f.slice(4).join(' '),
          ms: ms(Number(f[1]!) / 1000),
          runs: Number(f[2]!),
          ggcAllocatedBytes: bytes(Number(f[3]!)),
        });
      continue;
    }
    const kv = tag === 'I' ? /^I (\w+)=(\d+)$/.exec(line) : null;
    if (kv) {
      const i = open[open.length - 1];
      (i === undefined ? rec.counts : rec.phases[i]!.counts)[kv[1]!] = Number(kv[2]!);
      continue;
    }
    if (line === 'X') {
      rec.exitedEarly = true;
      continue;
    }
    rec.badLines++;
  }
  return rec;
}
