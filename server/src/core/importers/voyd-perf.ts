// Voyd's compiler perf summary (format `voyd-perf`), one line per compile on stderr when
// VOYD_COMPILER_PERF=1:
//
//   [voyd:compiler:perf] {"schemaVersion":1,"entryPath":"/abs/main.voyd","success":true,"diagnostics":0,
//     "phasesMs":{"analyzeBorrowing":1595.77,"analyzeBorrowing.finiteLocal":1581.493,…,"total":12460.068},
//     "counters":{"borrowing.builder.calls":147,…}[,"overlapped":true]}
//
// phasesMs: ms per phase name SUMMED over the compile, keys sorted alphabetically (not in execution
// order), phases of 0 ms omitted, no start times. The file may also be the JSON part alone.
//
// How they are ordered and nested (dotted names are not a strict tree):
//   1. Known pipeline (Voyd's compileProgramWithLoader and the SDK; the sums agree with it): `total`
//      holds sdkSetup.total, loadModuleGraph, analyzeModules, emitProgram, sdk.finalizeCompile in that
//      order; analyzeModules holds analyzeBorrowing; emitProgram holds lowerProgram,
//      monomorphizeProgram, buildProgramCodegenView, loadCodegen, codegenProgram, emitBinary (the order
//      inside emitProgram follows the pipeline's names: it is not in the report); codegenProgram holds
//      codegen; optimizeProgram and binaryen.* (with --opt) sit under emitProgram after codegen.
//   2. Any other dotted name "a.b.c" goes under the longest existing prefix ("a.b", else "a"), or under
//      "a.total" when that exists (sdkSetup.createHost under sdkSetup.total) — only when it fits in it.
//   3. What is left goes under `total`, after the known phases, in the file's (alphabetical) order.
// Known siblings come in pipeline order, others after them alphabetically. Siblings are laid out one
// after another from their parent's start (a warning says so); children that add up to more than
// their parent are laid out overlapping and warned about. Counters become args of the `total` phase.

import type { Ms, Phase, Warning } from '../model';
import { ms } from '../units';
import { defineImporter, type ImportResult } from './importer';
import { ImportError } from './import-error';
import { layoutReportTree } from './rollup-perf';

export const VOYD_PERF_FORMAT = 'voyd-perf';
export const VOYD_PERF_PREFIX = '[voyd:compiler:perf] ';

export interface VoydPerfSummary {
  schemaVersion?: number;
  entryPath?: string;
  success?: boolean;
  diagnostics?: number;
  phasesMs: Record<string, number>;
  counters: Record<string, number>;
  overlapped?: boolean;
  /** 1-based line of the summary in the input. */
  line: number;
  /** True when the line was cut short and only its phasesMs could be read. */
  truncated?: boolean;
}

/** parent → children in pipeline order. */
const KNOWN_CHILDREN: Record<string, string[]> = {
  total: ['sdkSetup.total', 'loadModuleGraph', 'analyzeModules', 'emitProgram', 'sdk.finalizeCompile'],
  analyzeModules: ['analyzeBorrowing'],
  emitProgram: [
    'lowerProgram',
    'monomorphizeProgram',
    'buildProgramCodegenView',
    'loadCodegen',
    'codegenProgram',
    'optimizeProgram',
    'emitBinary',
  ],
  codegenProgram: ['codegen'],
};

export function isVoydPerf(text: string): boolean {
  return (
    text.includes(`${VOYD_PERF_PREFIX}{`) ||
    /^\s*\{\s*("schemaVersion"\s*:\s*\d+\s*,\s*)?"entryPath"\s*:[^\n]*"phasesMs"\s*:\s*\{/.test(text)
  );
}

/** Every summary of the input: lines starting with the prefix, or the file as one JSON object. */
export function parseVoydPerf(text: string, file = '<input>', warnings: Warning[] = []): VoydPerfSummary[] {
  const lines = text.split('\n');
  const found: { json: string; line: number; last: boolean }[] = [];
  lines.forEach((l, i) => {
    const at = l.indexOf(`${VOYD_PERF_PREFIX}{`);
    if (at >= 0)
      found.push({
        json: l.slice(at + VOYD_PERF_PREFIX.length).trimEnd(),
        line: i + 1,
        last: lines.slice(i + 1).every((x) => x.trim() === ''),
      });
  });
  if (!found.length && /^\s*\{/.test(text)) found.push({ json: text.trim(), line: 1, last: true });
  if (!found.length)
    throw new ImportError('not-this-format', `no Voyd perf summary (no "${VOYD_PERF_PREFIX.trim()}" line)`, file);
  return found.map((f) => readSummary(f.json, f.line, f.last, file, warnings));
}

/** The value of a JSON text, or undefined when it does not parse (NaN, a cut number …). */
function parseOrUndefined(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function readSummary(json: string, line: number, last: boolean, file: string, warnings: Warning[]): VoydPerfSummary {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch (e) {
    // A line cut short (a killed compile) still holds its phasesMs, which come before the counters.
    const phases = /"phasesMs":(\{[^{}]*\})/.exec(json);
    const phasesJson = phases ? parseOrUndefined(phases[1]!) : undefined;
    if (last && phasesJson !== undefined) {
      warnings.push({
        code: 'voyd-perf-truncated',
        message: `${file}:${line}: the perf summary is cut short after ${json.length} characters: kept its phasesMs, lost its counters`,
        file,
        line,
      });
      return {
        phasesMs: checkPhases(phasesJson, file, line),
        counters: {},
        line,
        truncated: true,
        ...fieldsBefore(json),
      };
    }
    throw new ImportError(
      'broken',
      `the perf summary is not valid JSON (${(e as Error).message})${phasesJson !== undefined ? '' : ' and has no complete "phasesMs"'}`,
      file,
      line,
    );
  }
  if (!o || typeof o !== 'object' || typeof o.phasesMs !== 'object' || o.phasesMs === null)
    throw new ImportError('broken', 'the perf summary has no "phasesMs" object', file, line);
  const s: VoydPerfSummary = {
    phasesMs: checkPhases(o.phasesMs, file, line),
    counters: (o.counters ?? {}) as Record<string, number>,
    line,
  };
  if (typeof o.schemaVersion === 'number') s.schemaVersion = o.schemaVersion;
  if (typeof o.entryPath === 'string') s.entryPath = o.entryPath;
  if (typeof o.success === 'boolean') s.success = o.success;
  if (typeof o.diagnostics === 'number') s.diagnostics = o.diagnostics;
  if (o.overlapped === true) s.overlapped = true;
  return s;
}

function checkPhases(p: unknown, file: string, line: number): Record<string, number> {
  for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ImportError('broken', `phasesMs["${k}"] is ${JSON.stringify(v)}, not a duration in ms`, file, line);
  }
  return p as Record<string, number>;
}

function fieldsBefore(json: string): Partial<VoydPerfSummary> {
  const out: Partial<VoydPerfSummary> = {};
  const entry = /"entryPath":("(?:[^"\\]|\\.)*")/.exec(json);
  if (entry) out.entryPath = JSON.parse(entry[1]!) as string;
  const success = /"success":(true|false)/.exec(json);
  if (success) out.success = success[1] === 'true';
  return out;
}

/** The parent of each phase name (undefined for the root `total`), per the rules in the header. */
export function voydPhaseParents(phasesMs: Record<string, number>): Map<string, string | undefined> {
  const names = Object.keys(phasesMs);
  const has = (n: string) => n in phasesMs;
  const parents = new Map<string, string | undefined>();
  const fits = (child: string, parent: string) => phasesMs[child]! <= phasesMs[parent]! + 0.001;
  for (const [parent, kids] of Object.entries(KNOWN_CHILDREN))
    for (const k of kids) if (has(k) && has(parent)) parents.set(k, parent);
  for (const n of names) {
    if (parents.has(n) || n === 'total') continue;
    let parent: string | undefined;
    const parts = n.split('.');
    for (let len = parts.length - 1; len >= 1 && !parent; len--) {
      const prefix = parts.slice(0, len).join('.');
      for (const cand of [prefix, `${prefix}.total`]) if (cand !== n && has(cand) && fits(n, cand)) parent = cand;
    }
    parents.set(n, parent ?? (has('total') ? 'total' : undefined));
  }
  if (has('total')) parents.set('total', undefined);
  return parents;
}

/** Pre-order list of (name, depth), root first, siblings in pipeline order then alphabetically. */
function voydPreOrder(phasesMs: Record<string, number>): { name: string; depth: number; ms: Ms }[] {
  const parents = voydPhaseParents(phasesMs);
  const kids = new Map<string | undefined, string[]>();
  for (const n of Object.keys(phasesMs)) kids.set(parents.get(n), [...(kids.get(parents.get(n)) ?? []), n]);
  const rank = (parent: string | undefined, n: string) => {
    const i = parent ? (KNOWN_CHILDREN[parent]?.indexOf(n) ?? -1) : -1;
    return i < 0 ? Infinity : i;
  };
  const out: { name: string; depth: number; ms: Ms }[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const list = [...(kids.get(parent) ?? [])].sort((a, b) => rank(parent, a) - rank(parent, b) || a.localeCompare(b));
    for (const n of list) {
      out.push({ name: n, depth, ms: ms(phasesMs[n]!) });
      walk(n, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

export function voydPerfPhases(
  summaries: VoydPerfSummary[],
  opts: { startMs: Ms; pid?: number; file?: string },
): { phases: Phase[]; warnings: Warning[]; totalMs: Ms } {
  const phases: Phase[] = [];
  const file = opts.file ? { file: opts.file } : {};
  const warnings: Warning[] = [
    {
      code: 'voyd-phases-reconstructed',
      message:
        "Voyd's perf summary gives per-phase totals sorted alphabetically, without start times: the phases are nested by Voyd's pipeline and their dotted names and laid out one after another in pipeline order; their durations are Voyd's, their placement is reconstructed",
      ...file,
    },
  ];
  let at = opts.startMs;
  for (const s of summaries) {
    const laid = layoutReportTree(voydPreOrder(s.phasesMs), at, (n) => n.depth, { tool: 'voyd', ...file });
    warnings.push(...laid.warnings);
    if (s.overlapped)
      warnings.push({
        code: 'voyd-perf-overlapped',
        message: `Voyd compile of ${s.entryPath ?? '?'} overlapped another compile in the same process: its phase times and counters mix both`,
        ...file,
        line: s.line,
      });
    const base = phases.length;
    for (const p of laid.placed) {
      const ph: Phase = {
        name: p.node.name,
        parent: p.parent === null ? null : p.parent + base,
        startMs: p.startMs,
        endMs: ms(p.startMs + p.node.ms),
        category: 'voyd',
        args: { reconstructed: true },
      };
      if (opts.pid !== undefined) ph.pid = opts.pid;
      if (p.parent === null) {
        if (s.entryPath !== undefined) ph.args!.entryPath = s.entryPath;
        if (s.success !== undefined) ph.args!.success = s.success;
        if (s.diagnostics !== undefined) ph.args!.diagnostics = s.diagnostics;
        if (s.overlapped) ph.args!.overlapped = true;
        for (const [k, v] of Object.entries(s.counters)) ph.args![`counter:${k}`] = v;
      }
      phases.push(ph);
    }
    at = laid.endMs;
  }
  return { phases, warnings, totalMs: ms(at - opts.startMs) };
}

export function importVoydPerf(text: string, file = '<input>'): ImportResult {
  const warnings: Warning[] = [];
  const summaries = parseVoydPerf(text, file, warnings);
  const laid = voydPerfPhases(summaries, { startMs: ms(0), file });
  return { phases: laid.phases, warnings: [...laid.warnings, ...warnings], sources: [VOYD_PERF_FORMAT] };
}

export const voydPerfImporter = defineImporter({
  format: VOYD_PERF_FORMAT,
  description:
    "Voyd's compiler perf summary (VOYD_COMPILER_PERF=1): [voyd:compiler:perf] {json} lines or the JSON alone",
  sniff: isVoydPerf,
  importText: importVoydPerf,
});
