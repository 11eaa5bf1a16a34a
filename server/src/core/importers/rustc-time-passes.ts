// Importer of rustc's `-Z time-passes` output: the text format and `-Z time-passes-format=json`.
//
//   text: `time:   0.233; rss:   42MB ->   91MB (  +48MB)\texpand_crate`   (seconds, 3 decimals;
//         MB = 10^6 bytes, rounded; variants `; rss start: NMB`, `; rss end: NMB` or no rss part)
//   json: `time: {"pass":"expand_crate","time":0.063172547,"rss_start":42446848,"rss_end":90832896}`
//         (seconds as f64; rss in bytes or null)
//
// rustc prints a line when a pass ENDS, so children come before their parents and nothing says how
// they nest; there are no start times. The lines share stderr with diagnostics and cargo's own lines,
// which are skipped. Under `cargo -jN` the lines of parallel rustc processes interleave with nothing
// to tell them apart; two ways of attributing them are understood:
//   * `[<crate>:<pid>] time: ...`: the prefix of the RUSTC_WRAPPER used for the shared fixtures;
//   * the files of our own wrapper (server/src/collect-scripts/rustc-wrapper.sh): a header
//     `# cmi-rustc-wrapper 1 pid=.. filter=.. crate=.. package=.. start=<epoch s> format=..`, then
//     `<epoch s.us> time: ...` lines stamped with the wall-clock time the line was read (the pass's
//     end), then `# end <epoch s.us>`. Such files concatenated are read as one invocation per header.
// Without any of these, output with several "total" lines is split at each "total" when the
// invocations ran one after the other, and reduced to one unattributed phase per "total" line when
// they interleave.
//
// Nesting (inferNesting): a pass is the parent of the preceding passes that ran within its interval.
// With time stamps the intervals are known up to the stamps' lag (STAMP_LAG_MS; the nesting trusts
// them only beyond a stall of the filter, STAMP_STALL_MS); without them a
// timeline is reconstructed from end order, durations and RSS continuity, and the result says so.

import type { Bytes, Contribution, Ms, Phase, Warning } from '../model';
import { bytes, epochSecondsToMs, ms, secondsToMs } from '../units';
import { ImportError } from './import-error';
import { defineImporter } from './importer';

/** One `time:` line: a finished pass. */
export interface TimePass {
  name: string;
  durationMs: Ms;
  /** RSS of the whole rustc process when the pass started / ended; null when rustc could not tell. */
  rssStartBytes: Bytes | null;
  rssEndBytes: Bytes | null;
  /** 0-based position among its invocation's passes in print order, which is end order. */
  endOrder: number;
  /** Wall-clock epoch ms at which the wrapper read the line: the pass's end, a little late. */
  endEpochMs?: number;
  /** 1-based line in the input. */
  line: number;
}

/** How the lines were attributed to rustc invocations. */
export type Attribution =
  | 'wrapper' // our wrapper's files: one header per invocation
  | 'prefix' // `[crate:pid] ` prefixes
  | 'single' // one invocation
  | 'sequential' // several, one after the other, split at each "total"
  | 'interleaved'; // several, interleaved without prefixes: only their "total" lines are attributed

export interface RustcInvocation {
  crateName?: string;
  /** Cargo package (CARGO_PKG_NAME), from the wrapper: tells whose build script `build_script_build` is. */
  packageName?: string;
  pid?: number;
  /** The wrapper's stderr filter process. */
  filterPid?: number;
  /** Wall-clock epoch ms at which the wrapper started (just before it exec'd rustc). */
  startEpochMs?: number;
  /** Wall-clock epoch ms at which rustc's stderr closed (rustc exited). */
  endEpochMs?: number;
  format: 'text' | 'json';
  passes: TimePass[];
  /** Its "total" line was seen: rustc got to the end. */
  complete: boolean;
  /** 1-based line where the invocation's first record is. */
  firstLine: number;
}

export interface ParsedTimePasses {
  invocations: RustcInvocation[];
  attribution: Attribution;
  warnings: Warning[];
}

// ------------------------------------------------------------------------------------------------
// Line grammar

const STAMP = /^(\d+(?:[.,]\d+)?) /; // our wrapper's `$EPOCHREALTIME ` ('.' or the locale's ',')
const PREFIX = /^\[([^\]\s:]+):(\d+)\] /; // `[crate:pid] `
const TEXT_LINE =
  /^time:\s+(\d+(?:\.\d+)?)(?:; rss: *(\d+)MB -> *(\d+)MB \( *[+-]?\d+MB\)|; rss start: *(\d+)MB|; rss end: *(\d+)MB)?\t(\S.*)$/;
// rustc writes the pass name unescaped: this reads a name JSON.parse would reject.
const JSON_LOOSE = /^\{"pass":"(.*)","time":(-?[\d.]+(?:[eE][-+]?\d+)?),"rss_start":(\d+|null),"rss_end":(\d+|null)\}$/;
const HEADER = /^# cmi-rustc-wrapper \d+((?: [a-z]+=\S*)*)\s*$/;
const END = /^# end(?: (\d+(?:[.,]\d+)?))?\s*$/;
const MB = 1_000_000;

/** Passes that occur once per invocation: two of them in one stretch of unprefixed output mean interleaving. */
const ONCE_PER_INVOCATION = new Set([
  'parse_crate',
  'crate_injection',
  'expand_crate',
  'macro_expand_crate',
  'AST_validation',
  'resolve_crate',
  'late_resolve_crate',
  'misc_checking_1',
  'type_check_crate',
  'MIR_borrow_checking',
  'misc_checking_3',
  'generate_crate_metadata',
  'codegen_crate',
  'total',
]);

/** Passes run by rustc's codegen threads: they overlap main-thread passes and are nobody's parent. */
const OFF_THREAD = /^LLVM_/;

/** A wrapper stamp (`EPOCHREALTIME`, seconds, a decimal comma in some locales) in epoch ms. */
function stampToEpochMs(s: string): number {
  return epochSecondsToMs(parseFloat(s.replace(',', '.')));
}

type Body =
  | { kind: 'json'; pass: Omit<TimePass, 'endOrder' | 'line'> }
  | { kind: 'text'; pass: Omit<TimePass, 'endOrder' | 'line'> }
  | { kind: 'broken' };

/** Parses what follows `time: `. */
function parseBody(body: string): Body {
  if (body.startsWith('time: {')) {
    const json = body.slice(6);
    let pass: unknown;
    let time: unknown;
    let rssStart: unknown;
    let rssEnd: unknown;
    try {
      ({ pass, time, rss_start: rssStart, rss_end: rssEnd } = JSON.parse(json) as Record<string, unknown>);
    } catch {
      const m = JSON_LOOSE.exec(json);
      if (!m) return { kind: 'broken' };
      pass = m[1];
      time = Number(m[2]);
      rssStart = m[3] === 'null' ? null : Number(m[3]);
      rssEnd = m[4] === 'null' ? null : Number(m[4]);
    }
    const bytesOrNull = (v: unknown): Bytes | null | undefined =>
      v === null ? null : typeof v === 'number' && Number.isFinite(v) && v >= 0 ? bytes(v) : undefined;
    const rssStartBytes = bytesOrNull(rssStart);
    const rssEndBytes = bytesOrNull(rssEnd);
    if (
      typeof pass !== 'string' ||
      !pass ||
      typeof time !== 'number' ||
      !Number.isFinite(time) ||
      time < 0 ||
      rssStartBytes === undefined ||
      rssEndBytes === undefined
    ) {
      return { kind: 'broken' };
    }
    return { kind: 'json', pass: { name: pass, durationMs: secondsToMs(time), rssStartBytes, rssEndBytes } };
  }
  const m = TEXT_LINE.exec(body);
  if (!m) return { kind: 'broken' };
  const mb = (s: string | undefined): Bytes | null => (s === undefined ? null : bytes(Number(s) * MB));
  return {
    kind: 'text',
    pass: {
      name: m[6]!.trim(),
      // Integer milliseconds: the text format prints seconds with 3 decimals.
      durationMs: ms(Math.round(secondsToMs(Number(m[1])))),
      rssStartBytes: mb(m[2] ?? m[4]),
      rssEndBytes: mb(m[3] ?? m[5]),
    },
  };
}

/** A quick look: does this text hold rustc time-passes lines (or our wrapper's files)? */
export function isRustcTimePasses(text: string): boolean {
  const head = text.length > 4_000_000 ? text.slice(0, 4_000_000) : text;
  for (const raw of head.split('\n')) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (HEADER.test(line)) return true;
    line = line.replace(STAMP, '').replace(PREFIX, '');
    if (line.startsWith('time: ') && parseBody(line).kind !== 'broken') return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------------
// Parsing

function newInvocation(firstLine: number): RustcInvocation {
  return { format: 'json', passes: [], complete: false, firstLine };
}

/**
 * Reads every `time:` line of `text` and attributes it to a rustc invocation. Lines that are not
 * time-passes lines (diagnostics, cargo's output) are skipped; a broken `time:` line gives a warning
 * with its line number and is skipped. Throws ImportError when nothing in the text is time-passes
 * output ('not-this-format'), or when every `time:` line is unreadable ('broken', at the first one).
 */
export function parseTimePasses(text: string, fileName?: string): ParsedTimePasses {
  const warnings: Warning[] = [];
  const where = (line: number) => ({ ...(fileName !== undefined ? { file: fileName } : {}), line });
  const groups: RustcInvocation[] = [];
  const byPrefix = new Map<string, RustcInvocation>();
  let current: RustcInvocation | undefined; // the invocation of the last wrapper header
  // Time lines with no attribution at all, in order.
  const loose: TimePass[] = [];
  let looseFormat: 'text' | 'json' = 'json';
  let sawHeader = false;
  let sawPrefix = false;
  let brokenCount = 0;
  let firstBrokenLine: number | undefined;

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('# ')) {
      const h = HEADER.exec(line);
      if (h) {
        sawHeader = true;
        const inv = newInvocation(lineNo);
        for (const field of h[1]!.trim().split(' ')) {
          const eq = field.indexOf('=');
          const key = field.slice(0, eq);
          const value = field.slice(eq + 1);
          if (!value) continue;
          if (key === 'pid' && /^\d+$/.test(value)) inv.pid = Number(value);
          else if (key === 'filter' && /^\d+$/.test(value)) inv.filterPid = Number(value);
          else if (key === 'crate') inv.crateName = value;
          else if (key === 'package') inv.packageName = value;
          else if (key === 'start' && /^\d+(?:[.,]\d+)?$/.test(value)) inv.startEpochMs = stampToEpochMs(value);
          else if (key === 'format' && (value === 'text' || value === 'json')) inv.format = value;
        }
        current = inv;
        groups.push(inv);
        continue;
      }
      const e = END.exec(line);
      if (e && current) {
        if (e[1]) current.endEpochMs = stampToEpochMs(e[1]);
        continue;
      }
    }

    let endEpochMs: number | undefined;
    const stamp = STAMP.exec(line);
    if (stamp) {
      const rest = line.slice(stamp[0].length);
      if (rest.startsWith('time: ') || rest.startsWith('[')) {
        endEpochMs = stampToEpochMs(stamp[1]!);
        line = rest;
      }
    } else if (line.startsWith(' time: ')) {
      line = line.slice(1); // stamped by a wrapper whose bash has no $EPOCHREALTIME
    }
    let prefixKey: string | undefined;
    let prefixCrate: string | undefined;
    let prefixPid: number | undefined;
    const prefix = PREFIX.exec(line);
    if (prefix && line.startsWith('time: ', prefix[0].length)) {
      prefixKey = `${prefix[1]}:${prefix[2]}`;
      prefixCrate = prefix[1];
      prefixPid = Number(prefix[2]);
      line = line.slice(prefix[0].length);
    }
    if (!line.startsWith('time: ')) continue; // diagnostics, cargo's lines, anything else

    const body = parseBody(line);
    if (body.kind === 'broken') {
      brokenCount++;
      firstBrokenLine ??= lineNo;
      const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
      warnings.push({
        code: 'rustc-bad-line',
        message: `line ${lineNo}: not a readable time-passes line (truncated or malformed), skipped: ${shown}`,
        ...where(lineNo),
      });
      continue;
    }
    const pass: TimePass = {
      ...body.pass,
      endOrder: 0,
      line: lineNo,
      ...(endEpochMs !== undefined ? { endEpochMs } : {}),
    };

    let inv: RustcInvocation | undefined;
    if (prefixKey !== undefined) {
      sawPrefix = true;
      inv = byPrefix.get(prefixKey);
      if (!inv) {
        inv = newInvocation(lineNo);
        if (prefixCrate !== '?') inv.crateName = prefixCrate;
        inv.pid = prefixPid;
        byPrefix.set(prefixKey, inv);
        groups.push(inv);
      }
    } else {
      inv = current;
    }
    if (!inv) {
      looseFormat = body.kind;
      loose.push(pass);
      continue;
    }
    inv.format = body.kind;
    pass.endOrder = inv.passes.length;
    inv.passes.push(pass);
    if (pass.name === 'total') inv.complete = true;
  }

  const totalPasses = groups.reduce((n, g) => n + g.passes.length, 0) + loose.length;
  if (!sawHeader && totalPasses === 0) {
    const file = fileName ?? '<input>';
    if (brokenCount > 0) {
      throw new ImportError('broken', `${brokenCount} time-passes line(s), none readable`, file, firstBrokenLine);
    }
    throw new ImportError('not-this-format', 'no rustc -Z time-passes line (`time: ...`) in this input', file);
  }

  let attribution: Attribution = sawHeader ? 'wrapper' : sawPrefix ? 'prefix' : 'single';
  const invocations = [...groups];
  if (loose.length) {
    if (groups.length) {
      warnings.push({
        code: 'rustc-unattributed-lines',
        message: `${loose.length} time-passes line(s) without a prefix among prefixed ones: read as separate invocation(s)`,
        ...where(loose[0]!.line),
      });
    }
    const split = splitLoose(loose, looseFormat);
    if (!groups.length) attribution = split.attribution;
    invocations.push(...split.invocations);
    warnings.push(...split.warnings.map((w) => ({ ...w, ...(fileName !== undefined ? { file: fileName } : {}) })));
  }
  for (const inv of invocations) {
    if (!inv.complete) {
      warnings.push({
        code: 'rustc-incomplete',
        // rustc prints "total" even when the compile fails with errors.
        message: `${describeInvocation(inv)}: no "total" line (rustc was killed or crashed, or the output is cut); ${inv.passes.length} pass(es) kept`,
        ...where(inv.firstLine),
      });
    }
  }
  return { invocations, attribution, warnings };
}

function describeInvocation(inv: RustcInvocation): string {
  return `rustc ${inv.crateName ?? 'invocation'}${inv.pid !== undefined ? ` (pid ${inv.pid})` : ''} at line ${inv.firstLine}`;
}

/** Unprefixed lines: one invocation, several one after the other, or an interleaved mix. */
function splitLoose(
  loose: TimePass[],
  format: 'text' | 'json',
): { invocations: RustcInvocation[]; attribution: Attribution; warnings: Warning[] } {
  const segments: TimePass[][] = [[]];
  for (const p of loose) {
    segments[segments.length - 1]!.push(p);
    if (p.name === 'total') segments.push([]);
  }
  if (!segments[segments.length - 1]!.length) segments.pop();
  const interleaved = segments.some((seg) => {
    const seen = new Set<string>();
    for (const p of seg) {
      if (!ONCE_PER_INVOCATION.has(p.name)) continue;
      if (seen.has(p.name)) return true;
      seen.add(p.name);
    }
    return false;
  });
  const totals = loose.filter((p) => p.name === 'total');
  if (interleaved) {
    // Nothing tells which process printed which line: only the "total" lines can be attributed.
    return {
      attribution: 'interleaved',
      invocations: totals.map((t) => ({ format, passes: [{ ...t, endOrder: 0 }], complete: true, firstLine: t.line })),
      warnings: [
        {
          code: 'rustc-interleaved',
          message:
            `the time-passes lines of several rustc invocations (${totals.length} finished, counted by their "total" lines) ` +
            `are interleaved (cargo -jN) with nothing to tell them apart: ` +
            `only each invocation's total time and RSS can be attributed, not its passes. ` +
            `Profile the build itself (the profiler's RUSTC_WRAPPER attributes every line), or use -j1.`,
          line: loose[0]!.line,
        },
      ],
    };
  }
  return {
    attribution: segments.length > 1 ? 'sequential' : 'single',
    invocations: segments.map((seg) => ({
      format,
      passes: seg.map((p, i) => ({ ...p, endOrder: i })),
      complete: seg[seg.length - 1]!.name === 'total',
      firstLine: seg[0]!.line,
    })),
    warnings: [],
  };
}

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
      let kMin = 0;
      if (stamped) {
        const pStart = start(i);
        let kNotBefore = 0;
        while (kNotBefore < m && end(stack[m - 1 - kNotBefore]!) > pStart - stallMs) kNotBefore++;
        while (kMin < m && start(stack[m - 1 - kMin]!) >= pStart + stallMs) kMin++;
        kMax = Math.min(kMax, kNotBefore);
        kMin = Math.min(kMin, kMax);
      }
      k = kMin === kMax ? kMin : chooseAdoption(passes, stack, p, kMin, kMax, durationTopMs, coarse);
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
 * How many of the most recent parentless passes (`stack`'s top) pass `p` adopts, between kMin and
 * kMax. Each choice implies an order of pass boundaries (p's start, its children's starts and ends,
 * p's end); the RSS readings along that order should change as little as possible, since RSS moves
 * only while time passes. Near-ties (within the RSS noise): a run that fills >= 90 % of a pass of a
 * few ms or more is a wrapping timer; otherwise the fewest.
 */
function chooseAdoption(
  passes: readonly TimePass[],
  stack: number[],
  p: TimePass,
  kMin: number,
  kMax: number,
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
  for (let k = kMin; k <= kMax; k++) {
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
