// The contract between the sampler's scheduler (process-tree-sampler.ts) and a way of reading the
// process tree: procfs on Linux (procfs-backend.ts), a process-table command elsewhere
// (table-backend.ts). The scheduler decides when a tick runs and sums the tree; a backend decides how
// the tree is read, and holds whatever it needs across ticks for that.
//
// At each tick the scheduler calls query() (asynchronous backends only), then tick(); close() once
// after the last tick.

import type { Ms } from '../../model';
import type { TrackedProcess, TrackedProcesses } from './tracked-processes';

export interface SamplerBackend {
  /** The members of the tree, kept up to date by tick(); the scheduler sums and reports them. */
  readonly processes: TrackedProcesses<TrackedProcess>;
  /**
   * Reads what the next tick() samples, for a backend that must wait for it (a command's output).
   * Never rejects: resolves with why the backend gave up (sampling stops there), else undefined.
   */
  query?(): Promise<string | undefined>;
  /**
   * Samples the tree as tick number `tick`, at `nowMs` since the start: records every member seen,
   * takes up new ones, retires those gone. Synchronous, and cheap: it runs every few ms. May throw
   * (the scheduler reports the first failure and goes on).
   */
  tick(tick: number, nowMs: Ms): void;
  /** Releases what the backend holds (open files). The processes stay as the last tick left them. */
  close(): void;
}
