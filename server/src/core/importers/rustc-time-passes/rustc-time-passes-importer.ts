// The importer of `-Z time-passes` files (format `rustc-time-passes`): parses the invocations
// (parse.ts), infers each one's tree (nesting.ts), places the invocations on one axis (by the
// wrapper's stamps when every invocation has them, else by the order of their lines) and turns each
// into phases (phases.ts).

import type { Contribution, Ms, Phase } from '../../model';
import { ms } from '../../units';
import { defineImporter } from '../importer';
import { inferNesting, type PassTree } from './nesting';
import { isRustcTimePasses, parseTimePasses, type RustcInvocation } from './parse';
import { invocationPhases } from './phases';

// ------------------------------------------------------------------------------------------------
// Import

/**
 * Imports a file of time-passes output (a rustc's stderr, a cargo build's stderr, the wrapper's
 * files): one phase per rustc invocation, its passes nested below it. Throws ImportError for input
 * that has no readable time-passes line.
 */
export function importRustcTimePasses(text: string, fileName: string): Contribution {
  const parsed = parseTimePasses(text, fileName);
  const warnings = [...parsed.warnings];
  const trees = parsed.invocations.map((inv) => inferNesting(inv.passes));
  const placed = placeOnOneAxis(parsed.invocations, trees);
  if (trees.some((t) => t.timeline === 'reconstructed' && t.nodes.length > 1)) {
    warnings.push({
      code: 'rustc-timeline-reconstructed',
      message:
        'time-passes lines carry no time stamps: pass start times and nesting were reconstructed from end order, durations and RSS; ' +
        'passes under a millisecond may be placed under the wrong parent. Profiling the build through the profiler gives exact times.',
      file: fileName,
    });
  }
  const phases: Phase[] = [];
  // Invocations in the order they started; "rustc #k" keeps the order of the input.
  const order = parsed.invocations.map((_, k) => k).sort((a, b) => placed[a]!.startMs - placed[b]!.startMs || a - b);
  for (const k of order) {
    const inv = parsed.invocations[k]!;
    const tree = trees[k]!;
    const name =
      inv.crateName ?? (parsed.attribution === 'interleaved' ? `rustc #${k + 1} (unattributed)` : `rustc #${k + 1}`);
    const args: Record<string, string | number | boolean> = {};
    if (inv.packageName) args.package = inv.packageName;
    if (inv.crateName?.startsWith('build_script_')) args.buildScript = true;
    if (!inv.complete) args.incomplete = true;
    const local = invocationPhases(tree, {
      ...placed[k]!,
      name,
      ...(inv.pid !== undefined ? { pid: inv.pid } : {}),
      args,
    });
    const base = phases.length;
    for (const p of local) phases.push({ ...p, parent: p.parent === null ? null : p.parent + base });
  }
  return { phases, warnings, sources: ['rustc-time-passes'] };
}

export const rustcTimePassesImporter = defineImporter({
  format: 'rustc-time-passes',
  description: 'rustc -Z time-passes (text or JSON), also cargo output and the rustc wrapper files',
  sniff: isRustcTimePasses,
  importText: importRustcTimePasses,
});

/**
 * Puts every invocation on one time axis (0 = the earliest start). With stamps, as stamped. Without,
 * consistently with the print order: a line printed after another ended after it.
 */
function placeOnOneAxis(
  invocations: RustcInvocation[],
  trees: PassTree[],
): { startMs: Ms; endMs: Ms; treeOffsetMs: Ms }[] {
  const span = (t: PassTree) => {
    if (t.total !== null) return { s: t.nodes[t.total]!.startMs, e: t.nodes[t.total]!.endMs };
    return { s: Math.min(0, ...t.nodes.map((x) => x.startMs)), e: Math.max(0, ...t.nodes.map((x) => x.endMs)) };
  };
  // An invocation with no pass at all (rustc stopped at once) is anchored by the wrapper's stamps.
  const anchorEpochMs = (k: number) => trees[k]!.originEpochMs ?? invocations[k]!.startEpochMs;
  if (trees.length && trees.every((_, k) => anchorEpochMs(k) !== undefined)) {
    const origin = Math.min(
      ...trees.map((_, k) => Math.min(anchorEpochMs(k)!, invocations[k]!.startEpochMs ?? Infinity)),
    );
    return trees.map((t, k) => {
      const inv = invocations[k]!;
      const offset = ms(anchorEpochMs(k)! - origin);
      const { s, e } = t.nodes.length ? span(t) : { s: 0, e: 0 };
      const startMs = ms(Math.min(inv.startEpochMs !== undefined ? inv.startEpochMs - origin : Infinity, offset + s));
      const endMs = ms(Math.max(inv.endEpochMs !== undefined ? inv.endEpochMs - origin : -Infinity, offset + e));
      return { startMs, endMs, treeOffsetMs: offset };
    });
  }
  const offsets = new Array<number | undefined>(trees.length).fill(undefined);
  const events = trees.flatMap((t, k) => t.nodes.map((node) => ({ k, line: node.line, endMs: node.endMs })));
  events.sort((a, b) => a.line - b.line);
  let clock = 0;
  for (const ev of events) {
    offsets[ev.k] ??= Math.max(0, clock - ev.endMs);
    clock = Math.max(clock, offsets[ev.k]! + ev.endMs);
  }
  return trees.map((t, k) => {
    const offset = offsets[k] ?? 0;
    const { s, e } = span(t);
    return { startMs: ms(offset + s), endMs: ms(offset + e), treeOffsetMs: ms(offset) };
  });
}
