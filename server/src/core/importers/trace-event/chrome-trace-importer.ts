// Importer of the Trace Event Format (Chrome/Perfetto JSON): clang -ftime-trace, tsc --generateTrace,
// rustc -Z llvm-time-trace, the trace protocol compilers speak to this tool, and our own exports.
//
//   array form:  [ {event}, {event}, ... ]            (tsc: written incrementally, the "]" comes last
//                                                      and is missing when tsc is killed)
//   object form: { "traceEvents": [ ... ], "beginningOfTime": <µs epoch>, "otherData": {...}, ... }
//
// The entry of this folder: the sniffer and importChromeTrace, which has trace-reader.ts read the
// file (its IO, its top-level JSON, its damage) into a TraceBuilder (trace-builder.ts: what the
// events mean), then adds the run facts our own exports carry.

import type { RunFacts } from '../../model';
import { bytes, ms } from '../../units';
import type { ImportOptions, ImportResult, Importer } from '../importer';
import { isObject } from './event-fields';
import { FORMAT, TraceBuilder } from './trace-builder';
import { readTraceFile, TraceReader } from './trace-reader';

/** Is this the start of a Trace Event file? */
export function isChromeTrace(head: string): boolean {
  const t = head.trimStart();
  if (t.startsWith('['))
    return /^\[\s*(\{\s*"[^"]*"\s*:[\s\S]*?)?"ph"\s*:\s*"/.test(t.slice(0, 4096)) || /^\[\s*\]\s*$/.test(t);
  if (t.startsWith('{')) return /"traceEvents"\s*:\s*\[/.test(t);
  return false;
}

/** Run facts from our own exports' `otherData` (see export/chrome-trace.ts). */
function runFacts(members: Record<string, unknown>): Partial<RunFacts> | undefined {
  const other = members.otherData;
  if (!isObject(other) || typeof other['cmi.run'] !== 'string') return undefined;
  try {
    const r = JSON.parse(other['cmi.run']) as Partial<RunFacts>;
    const out: Partial<RunFacts> = {};
    if (Array.isArray(r.command)) out.command = r.command.map(String);
    if (typeof r.status === 'string') out.status = r.status;
    if (typeof r.statusReason === 'string') out.statusReason = r.statusReason;
    if (typeof r.exitCode === 'number' || r.exitCode === null) out.exitCode = r.exitCode;
    if (typeof r.signal === 'string' || r.signal === null) out.signal = r.signal;
    if (typeof r.wallMs === 'number') out.wallMs = ms(r.wallMs);
    if (isObject(r.tools)) out.tools = Object.fromEntries(Object.entries(r.tools).map(([k, v]) => [k, String(v)]));
    if (typeof r.cwd === 'string') out.cwd = r.cwd;
    const h = r.host as unknown;
    if (
      isObject(h) &&
      typeof h.platform === 'string' &&
      typeof h.arch === 'string' &&
      typeof h.cpus === 'number' &&
      typeof h.totalMemoryBytes === 'number' &&
      typeof h.node === 'string'
    ) {
      out.host = {
        platform: h.platform,
        arch: h.arch,
        cpus: h.cpus,
        totalMemoryBytes: bytes(h.totalMemoryBytes),
        node: h.node,
      };
    }
    const sf = r.sampler as unknown;
    if (
      isObject(sf) &&
      (sf.kind === 'procfs' || sf.kind === 'ps' || sf.kind === 'powershell' || sf.kind === 'none') &&
      typeof sf.intervalMs === 'number' &&
      typeof sf.ticks === 'number'
    ) {
      const sampler: NonNullable<RunFacts['sampler']> = {
        kind: sf.kind,
        intervalMs: ms(sf.intervalMs),
        ticks: sf.ticks,
      };
      if (typeof sf.requestedIntervalMs === 'number') sampler.requestedIntervalMs = ms(sf.requestedIntervalMs);
      if (typeof sf.maxGapMs === 'number') sampler.maxGapMs = ms(sf.maxGapMs);
      out.sampler = sampler;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Imports a Trace Event file (plain or gzip), streaming. Throws ImportError. */
export async function importChromeTrace(file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const builder = new TraceBuilder(file);
  const reader = new TraceReader(file, builder);
  await readTraceFile(file, reader, opts);
  const result: ImportResult = builder.finish(reader.beginningOfTimeUs());
  const run = runFacts(reader.members);
  if (run) result.run = run;
  return result;
}

export const chromeTraceImporter: Importer = {
  format: FORMAT,
  description:
    'Trace Event Format JSON (Chrome/Perfetto): clang -ftime-trace, tsc --generateTrace, rustc -Z llvm-time-trace, our exports; plain or gzip, any size',
  sniff: (head) => isChromeTrace(head),
  importFile: importChromeTrace,
};
