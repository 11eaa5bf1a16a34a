// How rustc's passes nest, and when they ran. rustc prints a pass when it ENDS, children before
// their parents, with no start times: a pass is the parent of the preceding passes that ran within
// its interval. With time stamps (our wrapper's) the intervals are known up to the stamps' lag
// (STAMP_LAG_MS; the nesting trusts them only beyond a stall of the filter, STAMP_STALL_MS); without
// them a timeline is reconstructed from end order, durations and RSS continuity, and the tree says so.

import type { Bytes, Ms } from '../../model';
import { ms } from '../../units';
import { MB, OFF_THREAD, type TimePass } from './parse';

// ------------------------------------------------------------------------------------------------
// Nesting

export interface PassNode extends TimePass {
  /** Index of the parent pass in `PassTree.nodes`, or null for a top-level pass. */
  parent: number | null;
  /** From the tree's origin (see PassTree). Children lie within their parent. */
  startMs: Ms;
  endMs: Ms;
  /** Ran on a codegen thread (LLVM_*): overlaps main-thread passes; its parent is "total". */
  offThread: boolean;
}

export interface PassTree {
  /** The passes in their input (end) order, with parents and times. */
  nodes: PassNode[];
  /** `stamped`: times from the wrapper's stamps; `reconstructed`: from end order and durations only. */
  timeline: 'stamped' | 'reconstructed';
  /** Epoch ms of time 0 when stamped (the earliest pass start); absent when reconstructed (0 = the first pass start). */
  originEpochMs?: number;
  /** Index of the "total" pass, or null. */
  total: number | null;
}

/**
 * How late the wrapper's stamp of a line can be (ms). The filter reads a line within ~0.05 ms when
 * it is running, but it starts ~2 ms after rustc and, on a saturated machine, waits for a CPU for a
 * few ms now and then (measured: p90 1-4 ms, p99 2-11 ms under `cargo build -j2` on 2 cores).
 */
export const STAMP_LAG_MS = 5;

/**
 * How long the filter can stall between two lines (ms): descheduled on a saturated machine, it reads
 * the next lines late, together. The stamps decide a nesting only by more than this: a pass is kept
 * out of a later pass when its end is this long before that pass's start (a fresh-clone CI run saw a
 * stall > 7 ms put `link_binary` after its own children), and put into it when its start is this long
 * after; closer than that, the durations and the RSS at the boundaries choose.
 */
export const STAMP_STALL_MS = 50;

export interface NestingOptions {
  /** Bound on the lag of a stamp behind the pass's real end; default STAMP_LAG_MS. */
  stampLagMs?: Ms;
  /** Bound on a stall of the filter, for keeping a pass out of a later one; default STAMP_STALL_MS. */
  stampStallMs?: Ms;
}

/**
 * Infers how the passes of ONE invocation nest. A pass is the parent of the preceding passes that
 * ran within its [end - duration, end] interval. Main-thread passes nest like a call stack and print
 * in post-order, so each pass adopts a run of the most recent still-parentless passes (possibly none):
 *   * with stamps (upper bounds of the ends, late by `stampLagMs` as a rule but by up to
 *     `stampStallMs` when the filter stalls), the passes that started `stampStallMs` after it must be
 *     adopted and those that ended `stampStallMs` before it started must not; only the ones in
 *     between are a choice;
 *   * without stamps, any run whose durations fit in its own is possible.
 * The choice is the run that keeps the RSS curve most continuous (the RSS at consecutive pass
 * boundaries changes least), then, when that is a tie, one that covers the parent's duration
 * (a wrapping timer), else the fewest. "total" adopts everything; LLVM_* passes (codegen threads)
 * are children of "total" and never parents. Stamped times are then pulled back to the latest times
 * consistent with the tree (a child ends before its parent, siblings do not overlap, lines print in
 * end order), which removes most of the lag.
 */
export function inferNesting(passes: readonly TimePass[], options: NestingOptions = {}): PassTree {
  const n = passes.length;
  const stamped = n > 0 && passes.every((p) => p.endEpochMs !== undefined);
  // The text format rounds durations to the millisecond and RSS to the megabyte.
  const coarse = n > 0 && passes.every((p) => Number.isInteger(p.durationMs));
  const durationSlackMs = (k: number) => (coarse ? 0.5 * (k + 1) : 0.001);
  const lagMs = (options.stampLagMs ?? STAMP_LAG_MS) + (coarse ? 0.5 : 0);
  const stallMs = Math.max(lagMs, (options.stampStallMs ?? STAMP_STALL_MS) + (coarse ? 0.5 : 0));

  const offThread = passes.map((p) => OFF_THREAD.test(p.name));
  const parent: (number | null)[] = new Array<number | null>(n).fill(null);
  const totalIdx = n > 0 && passes[n - 1]!.name === 'total' ? n - 1 : null;
  const end = (i: number) => passes[i]!.endEpochMs!;
  const start = (i: number) => end(i) - passes[i]!.durationMs;

  const stack: number[] = []; // parentless main-thread passes so far, in order
  for (let i = 0; i < n; i++) {
    if (offThread[i]) continue;
    const p = passes[i]!;
    const m = stack.length;
    // durationTopMs[j]: summed durations of the j most recent parentless passes.
    const durationTopMs = [0];
    for (let j = 1; j <= m; j++) durationTopMs.push(durationTopMs[j - 1]! + passes[stack[m - j]!]!.durationMs);
    let k: number;
    if (i === totalIdx) {
      k = m;
    } else {
      let kMax = 0;
      while (kMax < m && durationTopMs[kMax + 1]! <= p.durationMs + durationSlackMs(kMax + 1)) kMax++;
      const kMaxByDuration = kMax;
      let kMin = 0;
      if (stamped) {
        const pStart = start(i);
        let kNotBefore = 0;
        while (kNotBefore < m && end(stack[m - 1 - kNotBefore]!) > pStart - stallMs) kNotBefore++;
        while (kMin < m && start(stack[m - 1 - kMin]!) >= pStart + stallMs) kMin++;
        kMax = Math.min(kMax, kNotBefore);
        kMin = Math.min(kMin, kMax);
      }
      const candidates = knownAdoptions(passes, stack, p, kMin, kMax, kMaxByDuration);
      k =
        candidates.length === 1 ? candidates[0]! : chooseAdoption(passes, stack, p, candidates, durationTopMs, coarse);
    }
    for (let j = m - k; j < m; j++) parent[stack[j]!] = i;
    stack.length = m - k;
    stack.push(i);
  }
  for (let i = 0; i < n; i++) if (offThread[i] && totalIdx !== null) parent[i] = totalIdx;

  const nodes: PassNode[] = passes.map((p, i) => ({
    ...p,
    parent: parent[i]!,
    startMs: ms(0),
    endMs: ms(0),
    offThread: offThread[i]!,
  }));
  if (stamped) {
    const endsEpochMs = pullBackStamps(nodes);
    const origin = Math.min(...nodes.map((node, i) => endsEpochMs[i]! - node.durationMs));
    for (const [i, node] of nodes.entries()) {
      node.endMs = ms(endsEpochMs[i]! - origin);
      node.startMs = ms(node.endMs - node.durationMs);
    }
    clampIntoParents(nodes);
    return { nodes, timeline: 'stamped', originEpochMs: origin, total: totalIdx };
  }
  reconstructTimeline(nodes, coarse);
  return { nodes, timeline: 'reconstructed', total: totalIdx };
}

/**
 * Where rustc's passes run: the pass (or passes) each one is timed inside, from rustc's own source as
 * observed on rustc 1.95 (exact end times of every line under strace, so exact intervals) in debug,
 * release, check and test builds of libraries, binaries and build scripts. rustc times a pass always
 * from the same call site, so a pass's parent is a fact of the compiler, not of the run; the stamps
 * and durations alone leave it open for passes of a few microseconds (anything fits in a parent's
 * slack, and the stamps lag by more than such a pass lasts), and the RSS at their boundaries is noise:
 * an inference from them nests such passes differently from one run of the same build to the next.
 * Passes missing here (another rustc version) are nested by the inference alone.
 */
export const RUSTC_PASS_PARENTS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(
    [
      'parse_crate',
      'incr_comp_prepare_session_directory',
      'incr_comp_garbage_collect_session_directories',
      'crate_injection',
      'macro_expand_crate',
      'maybe_building_test_harness',
      'AST_validation',
      'maybe_create_a_macro_crate',
      'resolve_crate',
      'write_dep_info',
      'complete_gated_feature_checking',
      'drop_ast',
      'misc_checking_1',
      'type_check_crate',
      'MIR_borrow_checking',
      'layout_testing',
      'abi_testing',
      'misc_checking_3',
      'codegen_crate',
      'generate_crate_metadata',
      'serialize_dep_graph',
      'finish_ongoing_codegen',
      'link',
    ].map((name) => [name, ['total']]),
  ),
  expand_crate: ['macro_expand_crate'],
  check_unused_macros: ['macro_expand_crate'],
  finalize_imports: ['resolve_crate'],
  compute_effective_visibilities: ['resolve_crate'],
  lint_reexports: ['resolve_crate'],
  finalize_macro_resolutions: ['resolve_crate'],
  late_resolve_crate: ['resolve_crate'],
  resolve_main: ['resolve_crate'],
  resolve_check_unused: ['resolve_crate'],
  resolve_report_errors: ['resolve_crate'],
  resolve_postprocess: ['resolve_crate'],
  looking_for_entry_point: ['misc_checking_1'],
  check_externally_implementable_items: ['misc_checking_1'],
  looking_for_derive_registrar: ['misc_checking_1'],
  unused_lib_feature_checking: ['misc_checking_1'],
  coherence_checking: ['type_check_crate'],
  emit_ast_lowering_delayed_lints: ['type_check_crate'],
  crate_lints: ['lint_checking'],
  module_lints: ['lint_checking'],
  lint_checking: ['misc_checking_3'],
  privacy_checking_modules: ['misc_checking_3'],
  check_lint_expectations: ['misc_checking_3'],
  monomorphization_collector_root_collections: ['codegen_crate', 'generate_crate_metadata'],
  monomorphization_collector_graph_walk: ['codegen_crate', 'generate_crate_metadata'],
  partition_and_assert_distinct_symbols: ['codegen_crate', 'generate_crate_metadata'],
  write_allocator_module: ['codegen_crate'],
  find_cgu_reuse: ['codegen_crate'],
  codegen_to_LLVM_IR: ['codegen_crate'],
  assert_dep_graph: ['serialize_dep_graph'],
  check_clean: ['serialize_dep_graph'],
  incr_comp_persist_dep_graph: ['serialize_dep_graph'],
  encode_query_results: ['incr_comp_serialize_result_cache'],
  incr_comp_serialize_result_cache: ['incr_comp_persist_result_cache'],
  incr_comp_persist_result_cache: ['serialize_dep_graph'],
  join_worker_thread: ['finish_ongoing_codegen'],
  copy_all_cgu_workproducts_to_incr_comp_cache_dir: ['finish_ongoing_codegen'],
  serialize_work_products: ['link'],
  incr_comp_finalize_session_directory: ['link'],
  link_binary_check_files_are_writeable: ['link_binary', 'link_crate'],
  run_linker: ['link_binary'],
  link_binary_remove_temps: ['link_binary'],
  link_rlib: ['link_binary'],
  link_binary: ['link_crate'],
  link_crate: ['link'],
};
/**
 * The adoptions (how many of the stack's top passes `p` adopts) that agree best with
 * RUSTC_PASS_PARENTS: each adopted pass known to run inside `p` counts +1, each known to run elsewhere
 * -1 (the top-level passes are known to run inside "total" only); passes of names unknown here count
 * 0. The inference chooses among the best.
 */
function knownAdoptions(
  passes: readonly TimePass[],
  stack: number[],
  p: TimePass,
  kMin: number,
  kMax: number,
  kMaxByDuration: number,
): number[] {
  const m = stack.length;
  // Scores of every adoption the durations allow (exact: rustc's own clock). The stamps narrow that to
  // kMin..kMax unless the filter stalled longer than STAMP_STALL_MS (a loaded machine): a known
  // nesting outside that range wins over the stamps, never over the durations.
  const scores = [0];
  for (let k = 1; k <= kMaxByDuration; k++)
    scores.push(scores[k - 1]! + agreement(passes[stack[m - k]!]!.name, p.name));
  const bestOf = (lo: number, hi: number) => {
    const top = Math.max(...scores.slice(lo, hi + 1));
    return scores.map((s, k) => (k >= lo && k <= hi && s === top ? k : -1)).filter((k) => k >= 0);
  };
  const inRange = bestOf(kMin, kMax);
  const overall = bestOf(0, kMaxByDuration);
  return scores[overall[0]!]! > scores[inRange[0]!]! ? overall : inRange;
}

function agreement(child: string, parent: string): number {
  const known = Object.hasOwn(RUSTC_PASS_PARENTS, child) ? RUSTC_PASS_PARENTS[child] : undefined;
  return known === undefined ? 0 : known.includes(parent) ? 1 : -1;
}

/**
 * How many of the most recent parentless passes (`stack`'s top) pass `p` adopts, among `candidates`. Each choice implies an order of pass boundaries (p's start, its children's starts and ends,
 * p's end); the RSS readings along that order should change as little as possible, since RSS moves
 * only while time passes. Near-ties (within the RSS noise): a run that fills >= 90 % of a pass of a
 * few ms or more is a wrapping timer; otherwise the fewest.
 */
function chooseAdoption(
  passes: readonly TimePass[],
  stack: number[],
  p: TimePass,
  candidates: readonly number[],
  durationTopMs: number[],
  coarse: boolean,
): number {
  const m = stack.length;
  const at = (j: number) => passes[stack[j]!]!;
  const dist = (a: Bytes | null, b: Bytes | null) => (a === null || b === null ? 0 : Math.abs(a - b));
  const cost = (k: number): number => {
    if (k === 0) return (m ? dist(at(m - 1).rssEndBytes, p.rssStartBytes) : 0) + dist(p.rssStartBytes, p.rssEndBytes);
    const first = at(m - k);
    const prev = m - k - 1 >= 0 ? at(m - k - 1) : undefined;
    // The boundary prev.end -> first.start becomes prev.end -> p.start -> first.start.
    const join = prev
      ? dist(prev.rssEndBytes, p.rssStartBytes) +
        dist(p.rssStartBytes, first.rssStartBytes) -
        dist(prev.rssEndBytes, first.rssStartBytes)
      : dist(p.rssStartBytes, first.rssStartBytes);
    return join + dist(at(m - 1).rssEndBytes, p.rssEndBytes);
  };
  const options: { k: number; cost: number; wraps: boolean }[] = [];
  // Text durations are rounded to 0.5 ms each way: a wrapper is at least as long as what it wraps
  // within one rounding, and fills >= 90 % of itself within the rounding of every term.
  const oneRoundingMs = coarse ? 0.5 : 0.001;
  for (const k of candidates) {
    const sumMs = durationTopMs[k]!;
    const wraps =
      k > 0 &&
      p.durationMs >= (coarse ? 3 : 1) &&
      sumMs <= p.durationMs + oneRoundingMs &&
      sumMs + (coarse ? 0.5 * (k + 1) : 0) >= 0.9 * p.durationMs;
    options.push({ k, cost: cost(k), wraps });
  }
  const best = Math.min(...options.map((o) => o.cost));
  const rssNoiseBytes = coarse ? 1.5 * MB : 64 * 1024;
  const ties = options.filter((o) => o.cost <= best + rssNoiseBytes);
  const wrapping = ties.filter((o) => o.wraps);
  if (wrapping.length) return wrapping[0]!.k;
  return ties[0]!.k;
}

/**
 * The latest end times (epoch ms) that are at most the stamps and consistent with the tree: the
 * stamps are upper bounds, and the tree gives difference constraints between ends, all of the form
 * end[x] <= end[y] + c: print order is end order; a child ends before its parent, which starts before
 * it; a pass ends before its next sibling starts. Relaxed to a fixpoint (a few sweeps: most bounds run
 * from a later line to an earlier one).
 */
function pullBackStamps(nodes: readonly PassNode[]): number[] {
  const n = nodes.length;
  const e = nodes.map((node) => node.endEpochMs!);
  const constraints: [x: number, y: number, c: number][] = [];
  const lastChild = new Map<number, number>();
  for (let i = 0; i + 1 < n; i++) constraints.push([i, i + 1, 0]);
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (node.parent === null || node.offThread) continue;
    const par = nodes[node.parent]!;
    constraints.push([node.parent, i, par.durationMs - node.durationMs]); // the parent starts first
    const previous = lastChild.get(node.parent);
    if (previous !== undefined) constraints.push([previous, i, -node.durationMs]); // siblings in sequence
    lastChild.set(node.parent, i);
  }
  for (let sweep = 0; sweep < 8; sweep++) {
    let changed = false;
    for (let k = constraints.length - 1; k >= 0; k--) {
      const [x, y, c] = constraints[k]!;
      if (e[y]! + c < e[x]! - 1e-9) {
        e[x] = e[y]! + c;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return e;
}

/** Parents print after their children, so walking backwards visits every parent first. */
function clampIntoParents(nodes: PassNode[]): void {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.parent === null) continue;
    const par = nodes[node.parent]!;
    node.startMs = ms(Math.min(Math.max(node.startMs, par.startMs), par.endMs));
    node.endMs = ms(Math.max(Math.min(node.endMs, par.endMs), node.startMs));
  }
}

/**
 * Times without stamps: top-level passes one after the other from 0 (or "total" from 0); within a
 * parent, its children one after the other, aligned to the parent's end (a parent usually ends right
 * after its last child), or to its start when the RSS says so (the parent and its first child read
 * the same RSS at their starts, but not the last child and the parent at their ends); codegen-thread
 * passes end where the main-thread pass printed just before them ended.
 */
function reconstructTimeline(nodes: PassNode[], coarse: boolean): void {
  const rssNoiseBytes = coarse ? 1.5 * MB : 64 * 1024;
  const near = (a: Bytes | null, b: Bytes | null) => a !== null && b !== null && Math.abs(a - b) <= rssNoiseBytes;
  const children: number[][] = nodes.map(() => []);
  const roots: number[] = [];
  for (const [i, node] of nodes.entries()) {
    if (node.offThread) continue;
    if (node.parent === null) roots.push(i);
    else children[node.parent]!.push(i);
  }
  let cursor = ms(0);
  for (const r of roots) {
    nodes[r]!.startMs = cursor;
    nodes[r]!.endMs = ms(cursor + nodes[r]!.durationMs);
    cursor = nodes[r]!.endMs;
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.offThread) continue;
    const kids = children[i]!.map((c) => nodes[c]!);
    if (!kids.length) continue;
    const startAligned =
      near(kids[0]!.rssStartBytes, node.rssStartBytes) && !near(kids[kids.length - 1]!.rssEndBytes, node.rssEndBytes);
    if (startAligned) {
      let at = node.startMs;
      for (const child of kids) {
        child.startMs = ms(Math.min(at, node.endMs));
        child.endMs = ms(Math.min(child.startMs + child.durationMs, node.endMs));
        at = child.endMs;
      }
    } else {
      let at = node.endMs;
      for (let c = kids.length - 1; c >= 0; c--) {
        const child = kids[c]!;
        child.endMs = ms(Math.max(at, node.startMs));
        child.startMs = ms(Math.max(child.endMs - child.durationMs, node.startMs));
        at = child.startMs;
      }
    }
  }
  let lastMainEndMs = ms(0);
  for (const node of nodes) {
    if (!node.offThread) {
      lastMainEndMs = ms(Math.max(lastMainEndMs, node.endMs));
      continue;
    }
    const par = node.parent === null ? undefined : nodes[node.parent];
    node.endMs = par ? ms(Math.min(Math.max(lastMainEndMs, par.startMs), par.endMs)) : lastMainEndMs;
    node.startMs = ms(Math.max(node.endMs - node.durationMs, par ? par.startMs : 0));
  }
}
