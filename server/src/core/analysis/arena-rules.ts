// Arena inference for compilers that report nothing: heap-profiler data (massif detailed snapshots,
// heaptrack's every alloc/free) grouped by allocation-site rules into arena lanes with bytes over time.
//
// A rule names a lane and matches a frame's function (and optionally its file). An allocation belongs
// to the FIRST rule, in rule order, that matches ANY frame of its stack: so specific rules come before
// general ones (`rustc_arena::DroplessArena` before `rustc_arena`), and an outer frame of a higher
// rule wins over an inner frame of a lower one (clang's `ASTContext::Allocate` over the LLVM
// `BumpPtrAllocator` it calls).
//
// Function names are matched as the profiler gives them, and, for Rust v0 symbols (`_RNv…`, which
// heaptrack leaves mangled), also in a path form: the identifiers joined with `::`, generic arguments
// flattened into the path (`_RNvMs6_C…_11rustc_arenaNtB5_13DroplessArena4grow` →
// `rustc_arena::DroplessArena::grow`). Write rules that match both `<rustc_arena::DroplessArena>::grow`
// (valgrind's demangling) and that path form, as the defaults do.
//
// What the lanes mean:
//  - massif: one sample per detailed snapshot (every 10th by default, plus the peak), of the bytes of the
//    tree nodes whose stack matches; allocations massif folded "below threshold" count for the rule of
//    the path above them. The lane has the resolution of the detailed snapshots (a warning says so).
//  - heaptrack: exact live bytes, replayed from every `+`/`-`, sampled at heaptrack's ticks (~10 ms) and
//    at the heap's peak (so the lane's value at the peak is exact); from the first allocation to the
//    tick after the last free, or alive at the end (endMs null).
//  - no uses: inference can't know when an arena is read (one warning says so).
//
// Pure: imports only the model's helpers and the heap profilers' shapes (heap/), which the importers fill.

import { RE2JS } from 're2js';
import type { Arena, Ms, Warning } from '../model';
import { SeriesBuilder } from '../model';
import { bytes as asBytes, ms } from '../units';
import { VALGRIND_FRAME } from '../heap/allocation-site';
import type { HeaptrackData } from '../heap/heaptrack-data';
import { BELOW_THRESHOLD, type ParsedMassif } from '../heap/parsed-massif';

/**
 * What a rule tests a name with. The built-in rules are our own RegExps; the user's (settings a
 * repository can set, `--arena-rule`) are compiled by RE2 (re2js), whose matching time is linear in
 * the name's length whatever the pattern: `^(a+)+$` can't make it backtrack.
 */
export interface NamePattern {
  test(name: string): boolean;
}

export interface ArenaRule {
  /** The lane's name, e.g. `rustc_arena::DroplessArena`. */
  name: string;
  /** The arena's category, e.g. `arena`. */
  category: string;
  /** Tested on a frame's function name (raw, and the path form of a Rust v0 symbol). */
  match: NamePattern;
  /** When given, the frame's file (or `in module` location) must match too. */
  file?: NamePattern;
}

/** The rules for well-known arena allocators. Order matters: the first matching rule wins. */
export const DEFAULT_ARENA_RULES: readonly ArenaRule[] = [
  // rustc: chunks are allocated in `grow`; `alloc_from_iter` also runs user closures that allocate.
  { name: 'rustc_arena::DroplessArena', category: 'arena', match: /\brustc_arena::DroplessArena>?::grow\b/ },
  { name: 'rustc_arena::TypedArena', category: 'arena', match: /\brustc_arena::TypedArena\b.*::grow\b/ },
  // Everything else allocated under rustc_arena (the chunk lists, collections built in alloc_from_iter).
  { name: 'rustc_arena', category: 'arena', match: /\brustc_arena::/ },
  { name: 'bumpalo::Bump', category: 'arena', match: /\bbumpalo::Bump\b/ },
  // clang's AST allocator is an LLVM BumpPtrAllocator: its rule comes first to claim those slabs.
  { name: 'clang::ASTContext', category: 'arena', match: /\bclang::ASTContext::Allocate\b/ },
  { name: 'llvm::BumpPtrAllocator', category: 'arena', match: /\bllvm::BumpPtrAllocator(?:Impl)?\b/ },
  // GCC's garbage-collected heap. Note: GGC pages come from mmap, which massif (without
  // --pages-as-heap) and heaptrack don't see; what they see is GGC's malloc'd bookkeeping and
  // the allocations that go through ggc_internal_alloc's malloc fallbacks.
  { name: 'gcc GGC', category: 'gc-heap', match: /^(?:ggc_internal_(?:cleared_)?alloc|ggc_alloc\w*|alloc_page)\b/ },
];

export class ArenaRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArenaRuleError';
  }
}

/**
 * What RE2 can't run in linear time, as the pattern says it: a backreference (`\1`, `\k<name>`) or
 * lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) outside a character class; undefined when there is none.
 */
function nonLinearConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) return 'a backreference';
      i++;
    } else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && /^\(\?<?[=!]/.test(source.slice(i, i + 4))) return 'a lookahead or lookbehind';
  }
  return undefined;
}

/**
 * A user's pattern compiled by RE2 (linear-time matching). The syntax is RE2's, which is the
 * JavaScript syntax less backreferences and lookaround (and with repeat counts of at most 1000);
 * those are refused with a message naming the rule. Throws ArenaRuleError.
 */
export function compileUserPattern(source: string, what: string): NamePattern {
  const unsupported = nonLinearConstruct(source);
  if (unsupported)
    throw new ArenaRuleError(
      `${what}: the pattern uses ${unsupported}, which arena rules don't support: they run in RE2, a linear-time engine (so that a pattern from a repository's settings can't hang the tool); write it without`,
    );
  try {
    return RE2JS.compile(source);
  } catch (e) {
    throw new ArenaRuleError(
      `${what}: not a valid regular expression for RE2 (the linear-time engine arena rules run in): ${(e as Error).message}`,
    );
  }
}

/**
 * Parses a rule given on the command line or in settings: `NAME=REGEX`, or `NAME[CATEGORY]=REGEX`
 * (category `arena` when omitted). The regex is in RE2's syntax (JavaScript's without backreferences
 * and lookaround), without slashes. Throws ArenaRuleError saying what is wrong.
 */
export function parseArenaRule(spec: string): ArenaRule {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new ArenaRuleError(`arena rule "${spec}": expected NAME=REGEX (e.g. "my_arena=MyArena::grow")`);
  const head = spec.slice(0, eq).trim();
  const source = spec.slice(eq + 1);
  const m = /^([^[\]]+?)\s*(?:\[([^[\]]+)\])?$/.exec(head);
  if (!m)
    throw new ArenaRuleError(
      `arena rule "${spec}": the name before "=" is empty or malformed (NAME or NAME[CATEGORY])`,
    );
  if (!source) throw new ArenaRuleError(`arena rule "${spec}": the regular expression after "=" is empty`);
  const match = compileUserPattern(source, `arena rule "${m[1]!}"`);
  return { name: m[1]!, category: m[2]?.trim() || 'arena', match };
}

/** The user's rules first (they win over the defaults), then the defaults whose names they don't reuse. */
export function mergeRules(
  user: readonly ArenaRule[],
  defaults: readonly ArenaRule[] = DEFAULT_ARENA_RULES,
): ArenaRule[] {
  const names = new Set(user.map((r) => r.name));
  return [...user, ...defaults.filter((r) => !names.has(r.name))];
}

// --- names -----------------------------------------------------------------------------------------

const isDigit = (c: number) => c >= 48 && c <= 57;
const isBase62 = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * The path form of a Rust v0 symbol (`_R…`): its identifiers joined with `::`, in order, generic
 * arguments flattened in; undefined for other names. Not a demangler: enough to match rules on.
 */
export function rustV0Path(sym: string): string | undefined {
  if (!sym.startsWith('_R')) return undefined;
  const n = sym.length;
  const out: string[] = [];
  let i = 2;
  while (i < n && isDigit(sym.charCodeAt(i))) i++; // encoding version
  // `s<base62>_` (a disambiguator), `B<base62>_` (a back-reference), `G<base62>_` (a binder).
  const skipTo_ = (from: number): number => {
    let j = from;
    while (j < n && isBase62(sym.charCodeAt(j))) j++;
    return j < n && sym[j] === '_' ? j + 1 : -1;
  };
  while (i < n) {
    const c = sym.charCodeAt(i);
    if (isDigit(c)) {
      let len = 0;
      while (i < n && isDigit(sym.charCodeAt(i))) len = len * 10 + sym.charCodeAt(i++) - 48;
      if (sym[i] === '_') i++;
      if (len > n - i) break;
      out.push(sym.slice(i, i + len));
      i += len;
      continue;
    }
    const ch = sym[i]!;
    if (ch === '.') break; // `.llvm.123…` suffixes
    if (ch === 's' || ch === 'B' || ch === 'G') {
      const j = skipTo_(i + 1);
      if (j > 0) {
        i = j;
        continue;
      }
    }
    if (ch === 'u' && isDigit(sym.charCodeAt(i + 1))) {
      i++; // punycode identifier: keep its raw bytes
      continue;
    }
    i++;
  }
  return out.join('::');
}

interface CompiledRules {
  rules: readonly ArenaRule[];
  /** The index of the first rule matching a frame, or -1. */
  ruleOf(fn: string, file?: string): number;
}

function compile(rules: readonly ArenaRule[]): CompiledRules {
  return {
    rules,
    ruleOf(fn, file) {
      if (!fn) return -1;
      const alt = rustV0Path(fn);
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r]!;
        if (!(rule.match.test(fn) || (alt !== undefined && rule.match.test(alt)))) continue;
        if (rule.file && !(file !== undefined && rule.file.test(file))) continue;
        return r;
      }
      return -1;
    },
  };
}

/** The better (lower, not -1) of two rule indices. */
const better = (a: number, b: number) => (a < 0 ? b : b < 0 ? a : Math.min(a, b));

// --- inference -------------------------------------------------------------------------------------

export type InferenceInput =
  | { kind: 'massif'; massif: ParsedMassif; pid?: number; label?: string; file?: string }
  | { kind: 'heaptrack'; heaptrack: HeaptrackData; pid?: number; label?: string; file?: string };

export interface InferenceResult {
  /** One lane per rule that matched anything, in rule order. */
  arenas: Arena[];
  warnings: Warning[];
}

/** Groups the profiler's live bytes by rule into arena lanes. Empty when no rule matched anything. */
export function inferArenas(input: InferenceInput, rules: readonly ArenaRule[] = DEFAULT_ARENA_RULES): InferenceResult {
  if (!rules.length) return { arenas: [], warnings: [] };
  const compiled = compile(rules);
  const folded = { atPeakBytes: 0, peakBytes: 0 };
  const lanes =
    input.kind === 'massif' ? fromMassif(input.massif, compiled, folded) : fromHeaptrack(input.heaptrack, compiled);
  const who = input.pid !== undefined ? String(input.pid) : (input.label ?? input.kind);
  const arenas: Arena[] = [];
  lanes.forEach((lane, r) => {
    if (!lane) return;
    const rule = rules[r]!;
    arenas.push({
      id: `inferred:${rule.name}:${who}`,
      name: rule.name,
      category: rule.category,
      ...(input.pid !== undefined ? { pid: input.pid } : {}),
      startMs: lane.startMs,
      endMs: lane.endMs,
      tMs: lane.tMs,
      bytes: lane.bytes,
      uses: [],
    });
  });
  const warnings: Warning[] = [];
  if (arenas.length) {
    const file = input.file !== undefined ? { file: input.file } : {};
    const how =
      input.kind === 'massif'
        ? ` from massif's ${input.massif.snapshots.filter((s) => s.heapTree).length} detailed snapshots (of ${input.massif.snapshots.length}): the lanes have only their resolution` +
          (folded.atPeakBytes > 0
            ? `, and they miss what massif folded below its threshold (${/--threshold=([\d.]+)/.exec(input.massif.desc)?.[1] ?? '1.0'} % of the heap, --threshold) where no rule matched above it: ${folded.atPeakBytes} B (${((100 * folded.atPeakBytes) / folded.peakBytes).toFixed(1)} % of the heap) at the peak snapshot, so they are lower bounds`
            : '')
        : " from heaptrack's every allocation and free (exact live bytes, sampled at heaptrack's ticks and at the peak)";
    warnings.push({
      code: 'arenas-inferred',
      message: `${arenas.length} arena lane${arenas.length > 1 ? 's' : ''} (${arenas.map((a) => a.name).join(', ')}) inferred by allocation-site rules${how}; inference can't know when an arena is used, so they have no uses (and can't be found held past their last use)`,
      ...file,
    });
  }
  return { arenas, warnings };
}

interface Lane {
  startMs: Ms;
  endMs: Ms | null;
  tMs: Float64Array;
  bytes: Float64Array;
}

function fromMassif(
  m: ParsedMassif,
  rules: CompiledRules,
  folded: { atPeakBytes: number; peakBytes: number },
): (Lane | undefined)[] {
  const R = rules.rules.length;
  const toMs = (time: number): Ms => ms(m.timeUnit === 'ms' ? time : time / 1e6);
  const detailed = m.snapshots.filter((s) => s.heapTree?.length);
  const perSnapshot: Float64Array[] = [];
  const ruleOfDesc = new Map<string, number>();
  for (const s of detailed) {
    const tree = s.heapTree!;
    const sums = new Float64Array(R);
    // Each byte is counted once: at the node where its stack ends in the tree (a node's own bytes less
    // its children's), for the best rule over the whole path from the root.
    const best = new Int32Array(tree.length);
    const childBytes = new Float64Array(tree.length);
    const parentAt: number[] = []; // index of the last node seen at each depth
    for (let i = 0; i < tree.length; i++) {
      const node = tree[i]!;
      const d = node.depth;
      parentAt[d] = i;
      if (d === 0) {
        best[i] = -1;
        continue;
      }
      const parent = parentAt[d - 1]!;
      childBytes[parent] += node.bytes;
      let r = ruleOfDesc.get(node.desc);
      if (r === undefined) {
        const fm = VALGRIND_FRAME.exec(node.desc);
        r = fm ? rules.ruleOf(fm[1]!, fm[2]) : -1;
        ruleOfDesc.set(node.desc, r);
      }
      best[i] = better(best[parent]!, r);
    }
    for (let i = 1; i < tree.length; i++) {
      const r = best[i]!;
      if (r >= 0) sums[r] += tree[i]!.bytes - childBytes[i]!;
      else if (s.tree === 'peak' && BELOW_THRESHOLD.test(tree[i]!.desc)) folded.atPeakBytes += tree[i]!.bytes;
    }
    if (s.tree === 'peak') folded.peakBytes = tree[0]!.bytes;
    perSnapshot.push(sums);
  }
  const lanes: (Lane | undefined)[] = [];
  for (let r = 0; r < R; r++) {
    let first = -1;
    let last = -1;
    for (let k = 0; k < detailed.length; k++) {
      if (perSnapshot[k]![r]! > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) {
      lanes.push(undefined);
      continue;
    }
    const end = last + 1 < detailed.length ? last + 1 : -1; // the first empty snapshot after the last live one
    const b = new SeriesBuilder(detailed.length);
    for (let k = first; k <= (end < 0 ? last : end); k++) b.push(toMs(detailed[k]!.time), asBytes(perSnapshot[k]![r]!));
    const built = b.build({ id: '', name: '', kind: 'allocator-heap', source: 'massif' });
    lanes.push({
      startMs: toMs(detailed[first]!.time),
      endMs: end < 0 ? null : toMs(detailed[end]!.time),
      tMs: built.tMs,
      bytes: built.bytes,
    });
  }
  return lanes;
}

function fromHeaptrack(d: HeaptrackData, rules: CompiledRules): (Lane | undefined)[] {
  const R = rules.rules.length;
  const t = d.tables;
  // Rule of each string (function name), ip (all its frames, inlined ones too), trace (the best
  // over the trace and its parents), allocation info: each computed once.
  const strRule = new Int32Array(t.strings.length).fill(-2);
  const ruleOfString = (s: number, file: number): number => {
    if (s <= 0) return -1;
    if (file > 0) return rules.ruleOf(t.strings[s] ?? '', t.strings[file]);
    let r = strRule[s]!;
    if (r === -2) r = strRule[s] = rules.ruleOf(t.strings[s] ?? '');
    return r;
  };
  const hasFileRules = rules.rules.some((r) => r.file);
  const ipRule = new Int32Array(t.ipFunction.length).fill(-2);
  const ruleOfIp = (ip: number): number => {
    let r = ipRule[ip]!;
    if (r !== -2) return r;
    const fileOf = (f: number) => (hasFileRules ? (f > 0 ? f : t.ipModule[ip]!) : 0);
    r = ruleOfString(t.ipFunction[ip]!, fileOf(t.ipFile[ip]!));
    const inl = t.ipInlined[ip];
    if (inl) for (let k = 0; k < inl.length; k += 2) r = better(r, ruleOfString(inl[k]!, fileOf(inl[k + 1]!)));
    ipRule[ip] = r;
    return r;
  };
  const traceRule = new Int32Array(t.traceIp.length).fill(-2);
  traceRule[0] = -1;
  const pending: number[] = [];
  const ruleOfTrace = (trace: number): number => {
    let x = trace;
    while (traceRule[x] === -2) {
      pending.push(x);
      x = t.traceParent[x]!;
    }
    let r = traceRule[x]!;
    while (pending.length) {
      const y = pending.pop()!;
      r = better(r, ruleOfIp(t.traceIp[y]!));
      traceRule[y] = r;
    }
    return r;
  };
  const infoRule = new Int32Array(t.infoSize.length);
  for (let i = 0; i < infoRule.length; i++) infoRule[i] = ruleOfTrace(t.infoTrace[i]!);

  // Replay.
  const live = new Float64Array(R);
  const atPeak = new Float64Array(R);
  const changed = new Uint8Array(R);
  const startMs = new Float64Array(R).fill(-1);
  const zeroAt = new Float64Array(R).fill(-1); // the tick at which the lane was seen empty again
  const builders: (SeriesBuilder | undefined)[] = new Array(R);
  const ev = d.events;
  let e = 0;
  let nowMs = ms(0);
  const runTo = (stop: number) => {
    for (; e < stop; e++) {
      const x = ev[e]!;
      const info = x >= 0 ? x : ~x;
      const r = infoRule[info]!;
      if (r >= 0) {
        if (x >= 0) {
          if (startMs[r]! < 0) {
            startMs[r] = nowMs;
            (builders[r] = new SeriesBuilder(64)).push(nowMs, asBytes(0));
          }
          live[r] += t.infoSize[info]!;
        } else live[r] -= t.infoSize[info]!;
        changed[r] = 1;
      }
      if (e === d.peakEvent) atPeak.set(live);
    }
  };
  const sample = (atMs: Ms) => {
    for (let r = 0; r < R; r++) {
      if (!changed[r]) continue;
      changed[r] = 0;
      builders[r]!.push(atMs, asBytes(live[r]!));
      zeroAt[r] = live[r] === 0 ? atMs : -1;
    }
  };
  for (let k = 0; k < d.tickEvent.length; k++) {
    runTo(d.tickEvent[k]!);
    nowMs = ms(d.tickMs[k]!);
    sample(nowMs);
  }
  runTo(ev.length);
  if (d.lastTimeMs > nowMs || changed.some((c) => c)) sample(ms(Math.max(nowMs, d.lastTimeMs)));

  const lanes: (Lane | undefined)[] = [];
  for (let r = 0; r < R; r++) {
    const b = builders[r];
    if (!b) {
      lanes.push(undefined);
      continue;
    }
    let { tMs, bytes } = b.build({ id: '', name: '', kind: 'allocator-heap', source: 'heaptrack' });
    // The value at the heap's peak, placed at the tick before it (as the importer's heap series does).
    if (d.peakEvent >= 0 && startMs[r]! <= d.peakTimeMs) {
      let at = 0;
      while (at < tMs.length && tMs[at]! <= d.peakTimeMs) at++;
      const t2 = new Float64Array(tMs.length + 1);
      const b2 = new Float64Array(tMs.length + 1);
      t2.set(tMs.subarray(0, at));
      b2.set(bytes.subarray(0, at));
      t2[at] = d.peakTimeMs;
      b2[at] = atPeak[r]!;
      t2.set(tMs.subarray(at), at + 1);
      b2.set(bytes.subarray(at), at + 1);
      tMs = t2;
      bytes = b2;
    }
    const endMs = live[r]! > 0 ? null : ms(zeroAt[r]! >= 0 ? zeroAt[r]! : d.lastTimeMs);
    lanes.push({ startMs: ms(startMs[r]!), endMs, tMs, bytes });
  }
  return lanes;
}
