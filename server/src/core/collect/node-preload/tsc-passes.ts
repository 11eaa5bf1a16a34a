// tsc's spans as its passes: tsc marks Bind and Check once per source file, and its emitter asks the
// checker again for every file it emits (program.emit → getEmitResolver → checkSourceFile, a no-op
// on a file already checked, still marked before/afterCheck). Read mark by mark, a build with
// incremental or build-mode emit has a top-level `Check` after every per-file `Emit`, and the row
// `Check ×N` spans the whole emit stage, peak included. This regroups them as a user reads tsc:
// one Bind and one Check per program, and the checks the emitter triggers inside the Emit they serve.

import type { Phase } from '../../model';
import { ms } from '../../units';

/** The name of the checks the emitter triggers, as children of their Emit. */
export const LAZY_CHECK = 'Check (lazy)';

/** The top-level spans tsc marks once per source file, merged into one phase per run of them. */
const PER_FILE_PASSES = new Set(['Bind', 'Check']);

/** How soon after a pass ends the heap read where the next phase begins still counts as its end. */
const NEXT_READING_MAX_GAP_MS = 1;

interface Node {
  p: Phase;
  kids: Node[];
}

/**
 * Regroups tsc's phases (parents before children, as tscPhases builds them), among the children of
 * every parent (the roots, or `Build` in build mode), one program after another (each `Program`
 * starts one):
 * - a run of consecutive Bind or Check spans before the program's first Emit becomes one phase,
 *   from the first begin to the last end, with `<name> spans` (how many tsc marked) and `<name> ms`
 *   (the sum of their durations: what tsc's own table counts) in its args;
 * - a Check after the program's first Emit began is the emitter's: the Check spans before an Emit
 *   become one child `Check (lazy)` of that Emit (whose start moves back to the first of them), those
 *   after the last Emit of the program a child of that Emit (whose end moves to the last of them);
 *   Check spans tsc marked inside an Emit are merged the same way.
 */
export function groupTscPasses(phases: Phase[]): Phase[] {
  const nodes: Node[] = phases.map((p) => ({ p: { ...p }, kids: [] }));
  const roots: Node[] = [];
  nodes.forEach((n, i) => {
    const parent = phases[i]!.parent;
    (parent === null ? roots : nodes[parent]!.kids).push(n);
  });
  const out: Phase[] = [];
  const flatten = (list: Node[], parent: number | null) => {
    for (const n of regroup(list, false)) {
      const index = out.push({ ...n.p, parent }) - 1;
      flatten(n.kids, index);
    }
  };
  flatten(roots, null);
  return out;
}

/** One parent's children, regrouped (see groupTscPasses); `inEmit`: the parent is an Emit. */
function regroup(kids: Node[], inEmit: boolean): Node[] {
  const out: Node[] = [];
  let emitting = false;
  let lastEmit: Node | undefined;
  let lazy: Node[] = [];
  const lazyAfterLastEmit = () => {
    if (!lazy.length || !lastEmit) return;
    const g = merged(lazy, LAZY_CHECK);
    lastEmit.p.endMs = ms(Math.max(lastEmit.p.endMs, g.p.endMs));
    if (g.p.memEndBytes !== undefined) lastEmit.p.memEndBytes = g.p.memEndBytes;
    lastEmit.kids.push(g);
    lazy = [];
  };
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i]!;
    const name = k.p.name;
    if (inEmit && name === 'Check') {
      let j = i;
      while (j + 1 < kids.length && kids[j + 1]!.p.name === 'Check') j++;
      out.push(merged(kids.slice(i, j + 1), LAZY_CHECK));
      i = j;
      continue;
    }
    if (name === 'Program') {
      lazyAfterLastEmit();
      lazy = [];
      emitting = false;
      lastEmit = undefined;
    } else if (name === 'Check' && emitting) {
      lazy.push(k);
      continue;
    } else if (name === 'Emit') {
      if (lazy.length) {
        const g = merged(lazy, LAZY_CHECK);
        if (g.p.startMs < k.p.startMs) {
          k.p.startMs = g.p.startMs;
          if (g.p.memStartBytes !== undefined) k.p.memStartBytes = g.p.memStartBytes;
        }
        k.kids.unshift(g);
        lazy = [];
      }
      emitting = true;
      lastEmit = k;
    } else if (PER_FILE_PASSES.has(name)) {
      let j = i;
      while (j + 1 < kids.length && kids[j + 1]!.p.name === name) j++;
      out.push(merged(kids.slice(i, j + 1), name));
      i = j;
      continue;
    }
    out.push(k);
  }
  lazyAfterLastEmit();
  for (let i = 0; i + 1 < out.length; i++) {
    // The preload reads the heap where the next top-level phase begins, not where the last file of
    // a pass ends (unless it took an interval): with nothing tsc marks between them, that reading is
    // the heap at the pass's end.
    const p = out[i]!.p;
    const next = out[i + 1]!.p;
    if (
      PER_FILE_PASSES.has(p.name) &&
      p.memEndBytes === undefined &&
      next.memStartBytes !== undefined &&
      next.startMs - p.endMs <= NEXT_READING_MAX_GAP_MS
    )
      p.memEndBytes = next.memStartBytes;
  }
  for (const n of out) {
    n.kids = regroup(n.kids, n.p.name === 'Emit');
    if (n.p.memStartBytes !== undefined || n.p.memEndBytes !== undefined) n.p.memKind ??= 'js-heap';
  }
  return out;
}

/** Consecutive spans of one kind → one node from the first begin to the last end, their count and summed time in args. */
function merged(run: Node[], name: string): Node {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const measure = first.p.name;
  let sum = 0;
  for (const n of run) sum += n.p.endMs - n.p.startMs;
  const p: Phase = { ...first.p, name, endMs: last.p.endMs };
  delete p.memEndBytes;
  if (last.p.memEndBytes !== undefined) p.memEndBytes = last.p.memEndBytes;
  // The spans' own args (the summed commentTime of tscPhases …) add up.
  const args: Record<string, string | number | boolean> = {};
  for (const n of run)
    for (const [key, v] of Object.entries(n.p.args ?? {})) {
      const had = args[key];
      args[key] = typeof v === 'number' && typeof had === 'number' ? Math.round((had + v) * 1000) / 1000 : (had ?? v);
    }
  args[`${measure} spans`] = run.length;
  args[`${measure} ms`] = Math.round(sum * 1000) / 1000;
  p.args = args;
  return { p, kids: run.flatMap((n) => n.kids) };
}
