// A valgrind massif file as parsed: its header, its snapshots and the allocation trees of the detailed
// ones. The massif importer (importers/massif.ts) builds it; arena inference (analysis/arena-rules.ts)
// reads the trees, so the shape lives here, where both import it without importing each other.

import type { Warning } from '../model';
import type { AllocationSite } from './allocation-site';

export interface MassifSnapshot {
  index: number;
  /** In the file's time unit. */
  time: number;
  heapBytes: number;
  heapExtraBytes: number;
  stacksBytes: number;
  tree: 'empty' | 'detailed' | 'peak';
  /** 1-based line of `snapshot=`. */
  line: number;
  /** The allocation tree of a detailed or peak snapshot, in file order (preorder). */
  heapTree?: MassifTreeNode[];
}

/**
 * One node of a snapshot's allocation tree: depth 0 is the root ("(heap allocation functions) …"),
 * depth 1 the frames that called malloc & co., deeper their callers.
 */
export interface MassifTreeNode {
  depth: number;
  bytes: number;
  /** `0xADDR: function (file:line | in module)`, or massif's text for the root and "below threshold" nodes. */
  desc: string;
}

/** "n0: 28448 in 5 places, all below massif's threshold (1.00%)": allocations massif folded into one node. */
export const BELOW_THRESHOLD = /^in \d+ places?, (?:all )?below massif's threshold/;

export interface ParsedMassif {
  desc: string;
  cmd: string;
  timeUnit: 'ms' | 'i' | 'B';
  pagesAsHeap: boolean;
  snapshots: MassifSnapshot[];
  /** Index into snapshots of the heap_tree=peak snapshot. */
  peak?: number;
  /** Allocation sites live at the peak (see massif.ts's `sitesOf`), biggest first. */
  peakSites: AllocationSite[];
  warnings: Warning[];
}
