// The writer's heap samples: the V8 used heap, read by the timer while the event loop turns, and at
// arena calls while a synchronous compiler blocks it (tsc's marks carry their own reads: tsc-marks.ts).

import * as v8 from 'node:v8';
import { joinColumn } from './record-file';

/** Heap samples kept in memory between flushes. */
export const HEAP_CAPACITY = 2048;

/** The samples of the next heap record, and when the heap was last read outside the timer. */
export interface HeapSamples {
  readonly tMs: Float64Array;
  readonly bytes: Float64Array;
  /** Samples in the arrays (since the last flush). */
  n: number;
  /** performance.now() of the last read at a tsc mark or an arena call: those are rationed to one per interval. */
  lastReadMs: number;
}

export function heapSamples(): HeapSamples {
  return { tMs: new Float64Array(HEAP_CAPACITY), bytes: new Float64Array(HEAP_CAPACITY), n: 0, lastReadMs: -Infinity };
}

export function usedHeapBytes(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/** Reads the heap now (`tMs`: performance.now()); the caller flushes when the buffer is full. */
export function sampleHeap(heap: HeapSamples, tMs: number): void {
  heap.tMs[heap.n] = tMs;
  heap.bytes[heap.n] = usedHeapBytes();
  heap.n++;
}

/** The heap record of the samples taken since the last flush ('' if none), and empties the buffer. */
export function takeHeapRecord(heap: HeapSamples, epoch: (tPerfMs: number) => string): string {
  if (!heap.n) return '';
  const tMs = joinColumn(heap.tMs, heap.n, epoch);
  const out = `{"t":"heap","tMs":[${tMs}],"bytes":[${joinColumn(heap.bytes, heap.n, String)}]}\n`;
  heap.n = 0;
  return out;
}
