// Arena inference (server/src/core/analysis/arena-rules.ts) on real heap-profiler data of rustc
// (test/fixtures/arena-inference, made by run.sh there, see COMMAND.txt) and of gcc (the massif and
// heaptrack fixtures): the lanes' bytes are checked against the tools' own per-site figures —
// heaptrack_print's per-stack peak consumption (its flame-graph output, names demangled by c++filt)
// and ms_print's allocation tree of the peak snapshot — classified by the same rules, independently
// of the importers' tables. Also: the rule syntax, merging, and the importers' wiring.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportResult } from '../server/src/core/importers/importer';
import { decompressZstd, importHeaptrackBytes, parseHeaptrack } from '../server/src/core/importers/heaptrack';
import { importMassif, parseMassif } from '../server/src/core/importers/massif';
import {
  ArenaRuleError,
  DEFAULT_ARENA_RULES,
  inferArenas,
  mergeRules,
  parseArenaRule,
  rustV0Path,
  type ArenaRule,
} from '../server/src/core/analysis/arena-rules';
import { arenaBytesAt as at, arenaMaxBytes as maxOf, arenaSummary, text, warningLines } from './dump';

const dir = path.join(__dirname, 'fixtures', 'arena-inference');
const HEAPTRACK = 'heaptrack.rustc-tokenizer.zst';
// massif.out.<pid>, stored as .zst.
const MASSIF = readdirSync(dir)
  .find((f) => /^rustc-tokenizer\.massif\.out\.\d+\.zst$/.test(f))!
  .slice(0, -'.zst'.length);
const MASSIF_PID = Number(MASSIF.split('.').pop());
const GCC_MASSIF = path.join(__dirname, 'fixtures', 'massif', 'gxx-O2.massif.out.701');
const GCC_HEAPTRACK = path.join(__dirname, 'fixtures', 'heaptrack', 'cc1-test_extension-O2.heaptrack.zst');

const bytesOf = (file: string) => new Uint8Array(readFileSync(file));
const unzst = (file: string) => Buffer.from(decompressZstd(bytesOf(file)).data).toString('utf8');
const rules = { arenaRules: DEFAULT_ARENA_RULES };

const hasHeaptrackPrint = spawnSync('heaptrack_print', ['--version']).error === undefined;
const hasCxxFilt = spawnSync('c++filt', ['--version']).error === undefined;

const peakMs = (r: ImportResult) => r.markers!.find((m) => m.kind === 'peak')!.tMs;
const lanes = (r: ImportResult) => Object.fromEntries((r.arenas ?? []).map((a) => [a.name, a]));

/** The best (first) rule matching any of the frames, or -1: the same semantics as the inference, written again. */
function classify(frames: string[], rs: readonly ArenaRule[]): number {
  for (let r = 0; r < rs.length; r++) if (frames.some((f) => rs[r]!.match.test(f))) return r;
  return -1;
}

/**
 * heaptrack_print's own per-stack figures at the peak: `--print-flamegraph` with cost type `peak`
 * writes "frame;frame;…;frame cost" (outermost first). Frames are demangled with c++filt (Rust v0
 * symbols are left mangled by heaptrack), crate hashes ("rustc_arena[d48484139d67bb2f]") dropped.
 * Returns the bytes per rule, the total, and how many stacks there were.
 */
function heaptrackPrintPeakByRule(
  file: string,
  rs: readonly ArenaRule[],
): { byRule: number[]; total: number; stacks: number } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-arena-'));
  try {
    const fg = path.join(tmp, 'peak.stacks');
    execFileSync(
      'heaptrack_print',
      ['-f', file, '-p', '0', '-a', '0', '-T', '0', '-F', fg, '--flamegraph-cost-type', 'peak'],
      { stdio: 'ignore' },
    );
    const lines = readFileSync(fg, 'utf8').split('\n').filter(Boolean);
    const stacks = lines.map((l) => {
      const sp = l.lastIndexOf(' ');
      return {
        frames: l
          .slice(0, sp)
          .split(';')
          .filter(Boolean)
          .map((f) => f.replace(/ \([^()]*\)$/, '')),
        bytes: Number(l.slice(sp + 1)),
      };
    });
    const names = [...new Set(stacks.flatMap((s) => s.frames))];
    const demangled = execFileSync('c++filt', [], {
      input: `${names.join('\n')}\n`,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    }).split('\n');
    const clean = new Map(names.map((n, i) => [n, demangled[i]!.replace(/\[[0-9a-f]+\]/g, '')]));
    const byRule = rs.map(() => 0);
    let total = 0;
    for (const s of stacks) {
      total += s.bytes;
      const r = classify(
        s.frames.map((f) => clean.get(f)!),
        rs,
      );
      if (r >= 0) byRule[r]! += s.bytes;
    }
    return { byRule, total, stacks: stacks.length };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * ms_print's allocation tree of the peak snapshot ("->12.34% (1,234B) 0xADDR: fn (in module)", one "| "
 * or "  " per level), classified by the rules: each byte counted where its stack ends in the tree (a
 * node less its children), for the best rule on its path.
 */
function msPrintPeakByRule(
  text: string,
  rs: readonly ArenaRule[],
): { byRule: number[]; snapshot: number; timeMs: number } {
  const snapshot = Number(/Detailed snapshots: \[(?:.*?, )?(\d+) \(peak\)/.exec(text)![1]);
  const lines = text.split('\n');
  const row = lines.findIndex((l) => new RegExp(`^\\s+${snapshot}\\s+[\\d,]+\\s+[\\d,]+\\s`).test(l));
  const timeMs = Number(lines[row]!.trim().split(/\s+/)[1]!.replace(/,/g, ''));
  let i = row + 1;
  while (!/^\d+\.\d+% \([\d,]+B\) \(heap allocation functions\)/.test(lines[i]!)) i++;
  const nodes: { depth: number; bytes: number; fn: string }[] = [];
  for (i++; i < lines.length; i++) {
    const m = /^([| ]*)->\d+\.\d+% \(([\d,]+)B\) (?:0x[0-9A-F]+: )?(.*)$/.exec(lines[i]!);
    if (!m) {
      if (/^[| ]*$/.test(lines[i]!)) continue;
      break;
    }
    nodes.push({
      depth: m[1]!.length / 2 + 1,
      bytes: Number(m[2]!.replace(/,/g, '')),
      fn: m[3]!.replace(/ \((?:in [^()]*|[^()]*:\d+)\)$/, ''),
    });
  }
  const byRule = rs.map(() => 0);
  const path: string[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    path.length = n.depth - 1;
    path.push(n.fn);
    let children = 0;
    for (let j = k + 1; j < nodes.length && nodes[j]!.depth > n.depth; j++)
      if (nodes[j]!.depth === n.depth + 1) children += nodes[j]!.bytes;
    const r = classify(path, rs);
    if (r >= 0) byRule[r]! += n.bytes - children;
  }
  return { byRule, snapshot, timeMs };
}

/** Readable dump of the lanes. */
function dump(r: ImportResult): string {
  return text([...(r.arenas ?? []).map((a) => arenaSummary(a, peakMs(r))), ...warningLines(r.warnings ?? [])]);
}

describe('arena rules', () => {
  it('parses NAME=REGEX and NAME[CATEGORY]=REGEX, and says what is wrong', () => {
    const r = parseArenaRule('typeck=rustc_hir_typeck::');
    expect(r).toMatchObject({ name: 'typeck', category: 'arena' });
    expect(r.match.test('<rustc_hir_typeck::fn_ctxt::FnCtxt>::check_expr')).toBe(true);
    const pool = parseArenaRule('my pool[pool]=Pool::(alloc|grow)=x');
    expect(pool).toMatchObject({ name: 'my pool', category: 'pool' });
    expect(pool.match.test('Pool::grow=x')).toBe(true);
    expect(pool.match.test('Pool::grow')).toBe(false);
    expect(() => parseArenaRule('no-equals')).toThrow('arena rule "no-equals": expected NAME=REGEX');
    expect(() => parseArenaRule('=x')).toThrow(ArenaRuleError);
    expect(() => parseArenaRule('a=')).toThrow('the regular expression after "=" is empty');
    expect(() => parseArenaRule('a=(')).toThrow(/arena rule "a": not a valid regular expression for RE2 .*: /);
  });

  it('merges: user rules first, replacing defaults of the same name', () => {
    const mine = parseArenaRule('rustc_arena=rustc_arena::.*::alloc');
    const merged = mergeRules([mine, parseArenaRule('x=y')]);
    expect(merged.map((r) => r.name)).toEqual([
      'rustc_arena',
      'x',
      ...DEFAULT_ARENA_RULES.map((r) => r.name).filter((n) => n !== 'rustc_arena'),
    ]);
    expect(merged[0]).toBe(mine);
    expect(mergeRules([], DEFAULT_ARENA_RULES)).toEqual([...DEFAULT_ARENA_RULES]);
  });

  it('reads Rust v0 symbols as heaptrack stores them (real names from the fixture)', () => {
    expect(rustV0Path('_RNvMs6_Csife2kuN9Z4V_11rustc_arenaNtB5_13DroplessArena4grow')).toBe(
      'rustc_arena::DroplessArena::grow',
    );
    const typed =
      '_RNvMs1_Csife2kuN9Z4V_11rustc_arenaINtB5_10TypedArenaINtNtCsdoLGDhjbLAL_13rustc_type_ir10const_kind11ValTreeKindNtNtNtCsdadwybgsbvk_12rustc_middle2ty7context6TyCtxtEE4growB1R_';
    expect(rustV0Path(typed)).toBe(
      'rustc_arena::TypedArena::rustc_type_ir::const_kind::ValTreeKind::rustc_middle::ty::context::TyCtxt::grow',
    );
    expect(rustV0Path('ggc_internal_alloc(unsigned long)')).toBeUndefined();
    // Which default rule takes each form: valgrind's demangling, the v0 path form.
    const first = (fn: string) =>
      DEFAULT_ARENA_RULES.find((r) => r.match.test(fn) || r.match.test(rustV0Path(fn) ?? ''))?.name;
    expect(first('<rustc_arena::DroplessArena>::grow')).toBe('rustc_arena::DroplessArena');
    expect(first('_RNvMs6_Csife2kuN9Z4V_11rustc_arenaNtB5_13DroplessArena4grow')).toBe('rustc_arena::DroplessArena');
    expect(
      first(
        '<rustc_arena::TypedArena<rustc_resolve::ref_mut::CmRefCell<rustc_resolve::imports::NameResolution>>>::grow',
      ),
    ).toBe('rustc_arena::TypedArena');
    expect(first(typed)).toBe('rustc_arena::TypedArena');
    expect(first('<rustc_arena::DroplessArena>::alloc_from_iter::<rustc_hir::hir::Arm, …>')).toBe('rustc_arena');
    expect(first('<bumpalo::Bump>::alloc_layout_slow')).toBe('bumpalo::Bump');
    expect(
      first(
        'llvm::BumpPtrAllocatorImpl<llvm::MallocAllocator, 4096ul, 4096ul, 128ul>::Allocate(unsigned long, llvm::Align)',
      ),
    ).toBe('llvm::BumpPtrAllocator');
    expect(first('clang::ASTContext::Allocate(unsigned long, unsigned int) const')).toBe('clang::ASTContext');
    expect(first('ggc_internal_cleared_alloc(unsigned long, void (*)(void*), unsigned long, unsigned long)')).toBe(
      'gcc GGC',
    );
    expect(first('std::vector<int>::_M_realloc_insert')).toBeUndefined();
  });
});

describe('arena inference: rustc under heaptrack --use-inject', () => {
  const file = path.join(dir, HEAPTRACK);
  const r = importHeaptrackBytes(bytesOf(file), HEAPTRACK, rules);

  it('gives rustc_arena lanes, with no uses, and says why once', () => {
    const l = lanes(r);
    expect(Object.keys(l)).toEqual(['rustc_arena::DroplessArena', 'rustc_arena::TypedArena', 'rustc_arena']);
    for (const a of r.arenas!) {
      expect(a.id).toBe(`inferred:${a.name}:rustc`); // no pid in the file name: the process's label
      expect(a.category).toBe('arena');
      expect(a.uses).toEqual([]);
      expect(a.startMs).toBeLessThan(peakMs(r));
      for (let i = 1; i < a.tMs.length; i++) expect(a.tMs[i]).toBeGreaterThanOrEqual(a.tMs[i - 1]!);
      // rustc drops its arenas before exiting: the lanes end, at 0 bytes.
      expect(a.endMs).toBe(a.tMs[a.tMs.length - 1]);
      expect(a.bytes[a.bytes.length - 1]).toBe(0);
    }
    expect(r.warnings!.filter((w) => w.code === 'arenas-inferred')).toHaveLength(1);
  });

  it.skipIf(!hasHeaptrackPrint || !hasCxxFilt)(
    "agrees with heaptrack_print's per-stack peak bytes, to the byte, for every rule",
    () => {
      const ht = heaptrackPrintPeakByRule(file, DEFAULT_ARENA_RULES);
      const peakBytes = Number(r.markers!.find((m) => m.kind === 'peak')!.detail!.split(' ')[0]);
      expect(ht.total).toBe(peakBytes); // the same peak
      const ours = DEFAULT_ARENA_RULES.map((rule) => {
        const a = r.arenas!.find((x) => x.name === rule.name);
        return a ? at(a, peakMs(r)) : 0;
      });
      expect(ours).toEqual(ht.byRule);
      // The DroplessArena holds megabytes at the peak, the TypedArenas about one.
      expect(ht.byRule[0]).toBeGreaterThan(2e6);
      expect(ht.byRule[1]).toBeGreaterThan(1e6);
    },
  );
  if (!hasHeaptrackPrint || !hasCxxFilt)
    it.skip('heaptrack_print or c++filt is not installed: not cross-checked', () => {});

  it('matches the snapshot', async () => {
    await expect(dump(r)).toMatchFileSnapshot(path.join(dir, 'expected', `${HEAPTRACK}.arenas.txt`));
  });
});

describe('arena inference: rustc under valgrind massif', () => {
  const text = unzst(path.join(dir, `${MASSIF}.zst`));
  const r = importMassif(text, MASSIF, rules);

  it("agrees with ms_print's tree of the peak snapshot for every rule, and says the resolution", () => {
    const ms = msPrintPeakByRule(unzst(path.join(dir, `${MASSIF}.ms_print.txt.zst`)), DEFAULT_ARENA_RULES);
    expect(peakMs(r)).toBe(ms.timeMs);
    const ours = DEFAULT_ARENA_RULES.map((rule) => {
      const a = r.arenas!.find((x) => x.name === rule.name);
      return a ? at(a, ms.timeMs) : 0;
    });
    expect(ours).toEqual(ms.byRule);
    expect(ms.byRule[0]).toBeGreaterThan(2e6); // DroplessArena
    const l = lanes(r);
    expect(l['rustc_arena::DroplessArena']).toMatchObject({
      id: `inferred:rustc_arena::DroplessArena:${MASSIF_PID}`,
      pid: MASSIF_PID,
      endMs: null,
    });
    // One sample per detailed snapshot from the lane's first.
    const parsed = parseMassif(text, MASSIF);
    const detailedTimes = parsed.snapshots.filter((s) => s.heapTree).map((s) => s.time);
    expect([...l['rustc_arena::DroplessArena']!.tMs]).toEqual(
      detailedTimes.filter((t) => t >= l['rustc_arena::DroplessArena']!.startMs),
    );
    const w = r.warnings!.filter((x) => x.code === 'arenas-inferred');
    expect(w).toHaveLength(1);
    expect(w[0]!.message).toContain(
      `from massif's ${detailedTimes.length} detailed snapshots (of ${parsed.snapshots.length}): the lanes have only their resolution`,
    );
  });

  it('matches the snapshot', async () => {
    await expect(dump(r)).toMatchFileSnapshot(path.join(dir, 'expected', `${MASSIF}.arenas.txt`));
  });
});

describe('arena inference: GCC GGC on the gcc fixtures', () => {
  it.skipIf(!hasHeaptrackPrint || !hasCxxFilt)(
    "cc1 under heaptrack: a GGC lane agreeing with heaptrack_print's peak bytes",
    () => {
      const r = importHeaptrackBytes(bytesOf(GCC_HEAPTRACK), path.basename(GCC_HEAPTRACK), rules);
      const ggc = lanes(r)['gcc GGC']!;
      expect(ggc).toMatchObject({ category: 'gc-heap', endMs: null }); // GGC memory is never freed
      const ht = heaptrackPrintPeakByRule(GCC_HEAPTRACK, DEFAULT_ARENA_RULES);
      const ggcRule = DEFAULT_ARENA_RULES.findIndex((x) => x.name === 'gcc GGC');
      expect(at(ggc, peakMs(r))).toBe(ht.byRule[ggcRule]);
      expect(ht.byRule[ggcRule]).toBeGreaterThan(0);
    },
  );

  it("cc1plus under massif: a GGC lane agreeing with ms_print's peak tree", () => {
    const r = importMassif(readFileSync(GCC_MASSIF, 'utf8'), GCC_MASSIF, rules);
    const ggc = lanes(r)['gcc GGC']!;
    expect(ggc).toMatchObject({ id: 'inferred:gcc GGC:701', category: 'gc-heap' });
    const ms = msPrintPeakByRule(readFileSync(`${GCC_MASSIF}.ms_print.txt`, 'utf8'), DEFAULT_ARENA_RULES);
    const ggcRule = DEFAULT_ARENA_RULES.findIndex((x) => x.name === 'gcc GGC');
    expect(at(ggc, ms.timeMs)).toBe(ms.byRule[ggcRule]);
    expect(ms.byRule[ggcRule]).toBeGreaterThan(0);
  });
});

describe('arena inference: wiring', () => {
  it('the importers infer nothing without rules (and warn of nothing)', () => {
    const h = importHeaptrackBytes(bytesOf(path.join(dir, HEAPTRACK)), HEAPTRACK);
    expect(h.arenas).toBeUndefined();
    expect(h.warnings!.map((w) => w.code)).not.toContain('arenas-inferred');
    const m = importMassif(unzst(path.join(dir, `${MASSIF}.zst`)), MASSIF);
    expect(m.arenas).toBeUndefined();
  });

  it('a user rule gets a lane of its own, ahead of the defaults', () => {
    // rustc's type checker: interned types are allocated in the DroplessArena from typeck.
    const user = parseArenaRule('typeck interning[query]=rustc_hir_typeck::.*|rustc_hir_typeck::');
    const r = importHeaptrackBytes(bytesOf(path.join(dir, HEAPTRACK)), HEAPTRACK, { arenaRules: mergeRules([user]) });
    const l = lanes(r);
    expect(l['typeck interning']).toMatchObject({ id: 'inferred:typeck interning:rustc', category: 'query' });
    // What the user rule took is no longer in the defaults' lanes: the lanes partition the bytes.
    const without = lanes(importHeaptrackBytes(bytesOf(path.join(dir, HEAPTRACK)), HEAPTRACK, rules));
    expect(maxOf(l['rustc_arena::DroplessArena']!)).toBeLessThan(maxOf(without['rustc_arena::DroplessArena']!));
  });

  it('inferArenas returns nothing for no rules, and nothing for rules that match nothing', () => {
    const d = parseHeaptrack(unzst(GCC_HEAPTRACK), GCC_HEAPTRACK);
    expect(inferArenas({ kind: 'heaptrack', heaptrack: d }, [])).toEqual({ arenas: [], warnings: [] });
    expect(inferArenas({ kind: 'heaptrack', heaptrack: d }, [parseArenaRule('none=^no_such_function$')])).toEqual({
      arenas: [],
      warnings: [],
    });
  });
});
