// The one walk up a phase tree. `parent` indices come from files: profile-check.ts refuses
// out-of-range parents and cycles on load, but a profile built in memory (an importer, a collector,
// a test) has not been through it, so the walk itself stops at an index out of range or seen before
// rather than loop at 100 % CPU or read past the array.

import type { Phase } from '../model';

/** The indices of `index`'s ancestors, innermost first (not `index` itself). */
export function ancestorsOf(phases: readonly Phase[], index: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>([index]);
  for (let j = phases[index]?.parent ?? null; isIndex(phases, j) && !seen.has(j); j = phases[j]!.parent) {
    seen.add(j);
    out.push(j);
  }
  return out;
}

/** `index` and its ancestors, innermost first; empty when `index` is not a phase. */
export function selfAndAncestors(phases: readonly Phase[], index: number | null | undefined): number[] {
  return isIndex(phases, index) ? [index, ...ancestorsOf(phases, index)] : [];
}

function isIndex(phases: readonly Phase[], j: number | null | undefined): j is number {
  return typeof j === 'number' && Number.isInteger(j) && j >= 0 && j < phases.length;
}
