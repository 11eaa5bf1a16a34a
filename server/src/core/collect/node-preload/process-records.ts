// What one process recorded, read back from its node-<pid>.ndjson (the records of ./records.ts)
// into columns; reader.ts makes profile parts of them.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Warning } from '../../model';
import type { HeaderRecord } from './records';

/** Everything one process recorded; times are epoch ms. */
export interface ProcessRecords {
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
  gc: {
    winStartMs: number;
    winEndMs: number;
    durMs: number;
    type: string;
    beforeBytes: number;
    afterBytes: number;
    /** External memory (ArrayBuffers, Buffers) after it; 0 where not recorded. */
    afterExternalBytes: number;
    /** Forced by the preload at a phase boundary (precise heap mode). */
    forced: boolean;
  }[];
  gcEntries: { startMs: number; durMs: number; kind: number }[];
  perfMarks: { name: string; tMs: number }[];
  measures: { name: string; startMs: number; durMs: number }[];
  /** Arenas the program created through the arena API, by their id in the process. */
  arenaInfo: Map<number, { name: string; category: string }>;
  /** The phase names of arena uses, indexed by the `value` of use events. */
  arenaPhaseNames: string[];
  /** Arena API calls in order: epoch ms, kind (ARENA_CREATE … ARENA_FREE of ./records.ts), arena id, value. */
  arenaT: number[];
  arenaKind: number[];
  arenaId: number[];
  arenaValue: number[];
  exit?: { tMs: number; code?: number; signal?: string; heapBytes?: number; preciseSkipped?: number };
  /** The latest time seen in the file. */
  lastMs: number;
}

/** Reads one node-<pid>.ndjson; a damaged line (typically the last one of a killed process) is skipped with a warning. */
export function readPreloadFile(file: string, warnings: Warning[]): ProcessRecords | undefined {
  const name = path.basename(file);
  // Warnings name the process, not the records file (an internal name the user never sees elsewhere).
  const pid = /^node-(\d+)/.exec(name)?.[1];
  const who = pid ? `the Node process of pid ${pid}` : 'a Node process';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    warnings.push({ code: 'preload-unreadable', message: `${who}: ${(e as Error).message}`, file: name });
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
          ? `${who}: line ${i + 1} is incomplete (the process was probably killed): kept the ${i} line(s) before it`
          : `${who}: line ${i + 1} is not valid JSON: skipped`,
        file: name,
        line: i + 1,
      });
      continue;
    }
    if (rec.t === 'header') {
      if (r) {
        warnings.push({
          code: 'preload-bad-line',
          message: `${who}: line ${i + 1}: a second header: skipped`,
          file: name,
          line: i + 1,
        });
        continue;
      }
      const h = rec as unknown as HeaderRecord & { tsc?: { hooked?: boolean } };
      if (h.tsc) h.tsc.hooked ??= true;
      r = {
        file: name,
        header: h,
        heapT: [],
        heapBytes: [],
        markNames: [],
        markT: [],
        markId: [],
        markHeapBytes: [],
        folded: [],
        gc: [],
        gcEntries: [],
        perfMarks: [],
        measures: [],
        arenaInfo: new Map(),
        arenaPhaseNames: [],
        arenaT: [],
        arenaKind: [],
        arenaId: [],
        arenaValue: [],
        lastMs: h.timeOriginMs,
      };
      continue;
    }
    if (!r) {
      warnings.push({
        code: 'preload-bad-file',
        message: `${who}: no header before line ${i + 1}: file skipped`,
        file: name,
        line: i + 1,
      });
      return undefined;
    }
    addRecord(r, rec);
  }
  if (!r)
    warnings.push({
      code: 'preload-bad-file',
      message: `${who}: empty (the process ended before the preload wrote anything)`,
      file: name,
    });
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
          r.folded.push({
            atMark: Number(f.atMark![i]),
            key: String(f.key?.[i]),
            spans: Number(f.spans?.[i]),
            ms: Number(f.ms?.[i]),
          });
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
      const forced = nums('forced');
      const external = nums('afterExternalBytes');
      for (let i = 0; i < ws.length; i++)
        r.gc.push({
          winStartMs: ws[i]!,
          winEndMs: we[i]!,
          durMs: dur[i]!,
          type: type[i]!,
          beforeBytes: before[i]!,
          afterBytes: after[i]!,
          afterExternalBytes: external[i] ?? 0,
          forced: forced[i] === 1,
        });
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
        r.arenaInfo.set(Number(created!.id![i]), {
          name: String(created!.name?.[i] ?? `arena ${String(created!.id![i])}`),
          category: String(created!.category?.[i] ?? 'arena'),
        });
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
