// The writer's PerformanceObserver: the program's own performance.mark()s and measure()s, and 'gc'
// entries (exact GC times, but only delivered when the event loop turns: see GcEntriesRecord).

import { PerformanceObserver } from 'node:perf_hooks';

type PerfEntryLike = { entryType: string; name: string; startTime: number; duration: number; detail?: unknown };

/** The columns (JSON texts) of the next gcEntries, marks and measures records, and the observer filling them. */
export interface PerformanceEntries {
  readonly gcEntries: string[][]; // start, dur, kind
  readonly marks: string[][]; // name, t
  readonly measures: string[][]; // name, start, dur
  observer: PerformanceObserver | undefined;
  readonly epoch: (tPerfMs: number) => string;
}

/**
 * Starts observing. `withMarks` false in tsc: its own marks reach perf_hooks only under
 * --generateCpuProfile; they come through onProfilerEvent (tsc-marks.ts).
 */
export function observePerformance(epoch: (tPerfMs: number) => string, withMarks: boolean): PerformanceEntries {
  const p: PerformanceEntries = {
    gcEntries: [[], [], []],
    marks: [[], []],
    measures: [[], [], []],
    observer: undefined,
    epoch,
  };
  try {
    p.observer = new PerformanceObserver((list) => {
      try {
        for (const e of list.getEntries()) addEntry(p, e);
      } catch {
        // ignore
      }
    });
    p.observer.observe({ entryTypes: withMarks ? ['gc', 'mark', 'measure'] : ['gc'] });
  } catch {
    p.observer = undefined;
  }
  return p;
}

function addEntry(p: PerformanceEntries, e: PerfEntryLike): void {
  if (e.entryType === 'gc') {
    p.gcEntries[0]!.push(p.epoch(e.startTime));
    p.gcEntries[1]!.push(e.duration.toFixed(3));
    const detail = e.detail as { kind?: number } | undefined;
    p.gcEntries[2]!.push(String(detail?.kind ?? (e as { kind?: number }).kind ?? 0));
  } else if (e.entryType === 'mark') {
    p.marks[0]!.push(JSON.stringify(e.name));
    p.marks[1]!.push(p.epoch(e.startTime));
  } else if (e.entryType === 'measure') {
    p.measures[0]!.push(JSON.stringify(e.name));
    p.measures[1]!.push(p.epoch(e.startTime));
    p.measures[2]!.push(e.duration.toFixed(3));
  }
}

/** At the end: takes the entries still queued and stops observing. */
export function stopObserving(p: PerformanceEntries): void {
  if (!p.observer) return;
  // tsc ends with a synchronous process.exit(): observer callbacks never ran, take what is queued.
  for (const e of p.observer.takeRecords()) addEntry(p, e);
  p.observer.disconnect();
}

/** The gcEntries, marks and measures records of the entries since the last flush, and empties the columns. */
export function takePerformanceRecords(p: PerformanceEntries): string {
  let out = '';
  if (p.gcEntries[0]!.length) {
    out += `{"t":"gcEntries","startMs":[${p.gcEntries[0]}],"durMs":[${p.gcEntries[1]}],"kind":[${p.gcEntries[2]}]}\n`;
    for (const a of p.gcEntries) a.length = 0;
  }
  if (p.marks[0]!.length) {
    out += `{"t":"marks","name":[${p.marks[0]}],"tMs":[${p.marks[1]}]}\n`;
    for (const a of p.marks) a.length = 0;
  }
  if (p.measures[0]!.length) {
    out += `{"t":"measures","name":[${p.measures[0]}],"startMs":[${p.measures[1]}],"durMs":[${p.measures[2]}]}\n`;
    for (const a of p.measures) a.length = 0;
  }
  return out;
}
