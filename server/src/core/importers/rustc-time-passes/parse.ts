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
// This file reads the lines into invocations of passes (what rustc printed, attributed); nesting.ts
// infers how the passes nest and when they ran; phases.ts turns a tree into profile phases; the
// importer (rustc-time-passes-importer.ts) places several invocations on one axis.

import type { Bytes, Ms, Warning } from '../../model';
import { bytes, epochSecondsToMs, ms, secondsToMs } from '../../units';
import { isPlausibleBytes, isPlausibleDurationMs } from '../../plausible';
import { DROP_CODES, droppedWarning } from '../drop-implausible';
import { ImportError } from '../import-error';

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
export const MB = 1_000_000;

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
export const OFF_THREAD = /^LLVM_/;

/** Whether a pass's RSS figures, when it has them, are amounts a machine can have. */
function plausibleRss(p: { rssStartBytes: Bytes | null; rssEndBytes: Bytes | null }): boolean {
  return (
    (p.rssStartBytes === null || isPlausibleBytes(p.rssStartBytes)) &&
    (p.rssEndBytes === null || isPlausibleBytes(p.rssEndBytes))
  );
}

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
  let implausible = 0;
  let firstImplausible: string | undefined;

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
    // A duration or RSS no build can have would be clamped out of sight by the nesting: dropped here.
    if (!isPlausibleDurationMs(body.pass.durationMs) || !plausibleRss(body.pass)) {
      implausible++;
      firstImplausible ??= `line ${lineNo}: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`;
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

  if (implausible)
    warnings.push({
      ...droppedWarning(DROP_CODES.time, implausible, firstImplausible!),
      ...(fileName !== undefined ? { file: fileName } : {}),
    });
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
    // Pass lines after the last "total" belong to an invocation that never finished (killed, or cut).
    const tail = loose[loose.length - 1]!;
    const unfinished: Warning[] =
      tail.name === 'total'
        ? []
        : [
            {
              code: 'rustc-incomplete',
              message: `the output ends with a pass ("${tail.name}") after the last "total" line: an invocation did not finish (rustc was killed or crashed, or the output is cut); only the ${totals.length} finished one(s) are kept`,
              line: tail.line,
            },
          ];
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
        ...unfinished,
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
