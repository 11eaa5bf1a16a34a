// One invocation's pass tree as profile phases: a root phase for the crate (or "rustc #N") standing
// for its "total" pass, and every other pass below it, placed at the invocation's offset on the
// profile's axis.

import type { Bytes, Ms, Phase } from '../../model';
import { ms } from '../../units';
import type { PassTree } from './nesting';

// ------------------------------------------------------------------------------------------------
// Phases

export interface InvocationPlacement {
  /** Name of the invocation's root phase: the crate, or "rustc #3". */
  name: string;
  /** The root phase's interval, in profile time. */
  startMs: Ms;
  endMs: Ms;
  /** Profile time of the tree's time 0. */
  treeOffsetMs: Ms;
  pid?: number;
  args?: Record<string, string | number | boolean>;
}

/**
 * The phases of one invocation, parents first: a root phase (category `crate`) standing for the
 * whole invocation and for its "total" pass (whose RSS it carries), and every other pass below it
 * (category `rustc-pass`, RSS as `compiler-reported` memory). Parent indices are local to the array.
 */
export function invocationPhases(tree: PassTree, at: InvocationPlacement): Phase[] {
  const { nodes, total } = tree;
  const mem = (start: Bytes | null, end: Bytes | null): Partial<Phase> => {
    if (start === null && end === null) return {};
    return {
      ...(start !== null ? { memStartBytes: start } : {}),
      ...(end !== null ? { memEndBytes: end } : {}),
      memKind: 'compiler-reported',
    };
  };
  const totalNode = total === null ? undefined : nodes[total];
  const root: Phase = {
    name: at.name,
    parent: null,
    startMs: at.startMs,
    endMs: ms(Math.max(at.endMs, at.startMs)),
    category: 'crate',
    ...(at.pid !== undefined ? { pid: at.pid } : {}),
    ...(totalNode ? mem(totalNode.rssStartBytes, totalNode.rssEndBytes) : {}),
    args: {
      ...(totalNode ? { totalMs: round3(totalNode.durationMs) } : {}),
      passes: nodes.length - (totalNode ? 1 : 0),
      ...at.args,
    },
  };
  const phases: Phase[] = [root];
  const children: number[][] = nodes.map(() => []);
  const top: number[] = [];
  for (const [i, node] of nodes.entries()) {
    if (i === total) continue;
    if (node.parent === null || node.parent === total) top.push(i);
    else children[node.parent]!.push(i);
  }
  const byStart = (a: number, b: number) => nodes[a]!.startMs - nodes[b]!.startMs || a - b;
  const emit = (i: number, parentPhase: number) => {
    const node = nodes[i]!;
    const clamp = (t: number): Ms => ms(Math.min(Math.max(t, root.startMs), root.endMs));
    const index = phases.length;
    phases.push({
      name: node.name,
      parent: parentPhase,
      startMs: clamp(at.treeOffsetMs + node.startMs),
      endMs: clamp(at.treeOffsetMs + node.endMs),
      category: 'rustc-pass',
      ...(at.pid !== undefined ? { pid: at.pid } : {}),
      ...mem(node.rssStartBytes, node.rssEndBytes),
      ...(node.offThread ? { args: { thread: 'codegen' } } : {}),
    });
    for (const c of children[i]!.sort(byStart)) emit(c, index);
  };
  for (const t of top.sort(byStart)) emit(t, 0);
  return phases;
}

function round3(ms: Ms): number {
  return Math.round(ms * 1000) / 1000;
}
