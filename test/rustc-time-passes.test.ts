// The rustc -Z time-passes importer on real rustc output (test/fixtures/rustc, see COMMAND.txt):
// text and JSON formats, a cargo build's interleaved stderr, the prefixed and wrapper-stamped forms,
// and broken inputs.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Phase } from '../server/src/core/model';
import { inferNesting, type PassTree } from '../server/src/core/importers/rustc-time-passes/nesting';
import { isRustcTimePasses, parseTimePasses } from '../server/src/core/importers/rustc-time-passes/parse';
import { importRustcTimePasses } from '../server/src/core/importers/rustc-time-passes/rustc-time-passes-importer';
import { ImportError } from '../server/src/core/importers/import-error';
import { ms } from '../server/src/core/units';
import { duration, phaseTree, rssAtBoundaries, text, thread } from './dump';

const dir = path.join(__dirname, 'fixtures', 'rustc');
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const TEXT = 'time-passes.regex-syntax.debug.txt';
const JSON_ = 'time-passes.regex-syntax.debug.json.txt';
const CARGO_J2 = 'cargo-build.debug.j2.stderr.txt';
const PREFIXED = 'cargo-build.debug.j2.wrapper-prefixed.stderr.txt';
const WRAPPER_PARSER = 'wrapper/cargo-std.parser.tp';

/** Parent name of every pass, by name ("-" for a top-level pass). */
function parentsByName(tree: PassTree): Map<string, string> {
  return new Map(tree.nodes.map((n) => [n.name, n.parent === null ? '-' : tree.nodes[n.parent]!.name]));
}

function treeOf(file: string): PassTree {
  return inferNesting(parseTimePasses(read(file), file).invocations[0]!.passes);
}

/** The name of every ancestor of a phase, nearest first. */
function ancestors(phases: Phase[], i: number): string[] {
  const out: string[] = [];
  for (let p = phases[i]!.parent; p !== null; p = phases[p]!.parent) out.push(phases[p]!.name);
  return out;
}

/** A readable dump of phases: indentation = nesting; duration and compiler-reported RSS. */
function dump(phases: Phase[]): string {
  return text(phaseTree(phases, [duration(3), rssAtBoundaries, thread]), { finalNewline: false });
}

describe('rustc time-passes: sniffing', () => {
  it('recognises every form of time-passes output, and nothing else', () => {
    for (const f of [
      TEXT,
      JSON_,
      CARGO_J2,
      PREFIXED,
      WRAPPER_PARSER,
      'time-passes.regex-syntax.debug.json.killed.txt',
    ]) {
      expect(isRustcTimePasses(read(f)), f).toBe(true);
    }
    expect(isRustcTimePasses(read('cargo-build.no-time-passes.stderr.txt'))).toBe(false);
    expect(isRustcTimePasses('')).toBe(false);
    expect(isRustcTimePasses('time: the tide waits for no one\n')).toBe(false);
  });
});

describe('rustc time-passes: one rustc invocation', () => {
  it('reads the text format: seconds with 3 decimals, MB = 10^6 bytes, diagnostics skipped', () => {
    const parsed = parseTimePasses(read(TEXT), TEXT);
    expect(parsed.attribution).toBe('single');
    expect(parsed.warnings).toEqual([]);
    const [inv] = parsed.invocations;
    expect(inv!.passes).toHaveLength(40);
    expect(inv!.complete).toBe(true);
    const expand = inv!.passes.find((p) => p.name === 'expand_crate')!;
    expect(expand).toMatchObject({ durationMs: 108, rssStartBytes: 42_000_000, rssEndBytes: 91_000_000, endOrder: 2 });
    expect(inv!.passes.at(-1)).toMatchObject({
      name: 'total',
      durationMs: 1649,
      rssStartBytes: 28e6,
      rssEndBytes: 95e6,
    });
  });

  it('reads the JSON format: seconds as f64, RSS in bytes, every pass (57)', () => {
    const [inv] = parseTimePasses(read(JSON_), JSON_).invocations;
    expect(inv!.passes).toHaveLength(57);
    expect(inv!.passes.find((p) => p.name === 'expand_crate')).toMatchObject({
      rssStartBytes: 42426368,
      rssEndBytes: 90951680,
    });
    expect(inv!.passes.find((p) => p.name === 'expand_crate')!.durationMs).toBeCloseTo(63.899369, 6);
  });

  it('infers the same pass tree from the text and the JSON output', () => {
    const text = parentsByName(treeOf(TEXT));
    const json = parentsByName(treeOf(JSON_));
    // What a rustc developer knows of these passes:
    for (const [child, parent] of [
      ['expand_crate', 'macro_expand_crate'],
      ['late_resolve_crate', 'resolve_crate'],
      ['coherence_checking', 'type_check_crate'],
      ['module_lints', 'lint_checking'],
      ['lint_checking', 'misc_checking_3'],
      ['monomorphization_collector_graph_walk', 'generate_crate_metadata'],
      ['codegen_to_LLVM_IR', 'codegen_crate'],
      ['link_rlib', 'link_binary'],
      ['link_binary', 'link_crate'],
      ['link_crate', 'link'],
      ['type_check_crate', 'total'],
      ['MIR_borrow_checking', 'total'],
      ['LLVM_passes', 'total'],
    ]) {
      expect([child, text.get(child)], 'text').toEqual([child, parent]);
      expect([child, json.get(child)], 'json').toEqual([child, parent]);
    }
    // Every pass of 5 ms or more (the text format's own threshold) has the same parent in both.
    const [textInv] = parseTimePasses(read(TEXT), TEXT).invocations;
    const big = textInv!.passes.filter((p) => p.durationMs >= 5).map((p) => p.name);
    expect(big.length).toBeGreaterThan(20);
    expect(big.map((n) => `${n} < ${text.get(n)}`)).toEqual(big.map((n) => `${n} < ${json.get(n)}`));
  });

  it('imports one crate phase whose duration is "total", the passes nested inside it in time', () => {
    const c = importRustcTimePasses(read(JSON_), JSON_);
    const phases = c.phases!;
    const root = phases[0]!;
    expect(root).toMatchObject({
      name: 'rustc #1',
      category: 'crate',
      parent: null,
      memStartBytes: 27897856,
      memEndBytes: 94855168,
      memKind: 'compiler-reported',
    });
    expect(root.endMs - root.startMs).toBeCloseTo(1302.480829, 6);
    expect(phases.filter((p) => p.category === 'crate')).toHaveLength(1);
    expect(phases.some((p) => p.name === 'total')).toBe(false); // the crate phase stands for it
    expect(phases).toHaveLength(57);
    phases.forEach((p, i) => {
      if (p.parent === null) return;
      const parent = phases[p.parent]!;
      expect(p.parent).toBeLessThan(i);
      expect(p.startMs).toBeGreaterThanOrEqual(parent.startMs - 1e-9);
      expect(p.endMs).toBeLessThanOrEqual(parent.endMs + 1e-9);
    });
    const llvm = phases.find((p) => p.name === 'LLVM_passes')!;
    expect(llvm.args).toEqual({ thread: 'codegen' });
    expect(phases[llvm.parent!]!.name).toBe('rustc #1');
    expect(c.warnings!.map((w) => w.code)).toEqual(['rustc-timeline-reconstructed']);
    expect(c.sources).toEqual(['rustc-time-passes']);
  });

  it('dumps the JSON tree as expected', async () => {
    await expect(`${dump(importRustcTimePasses(read(JSON_), JSON_).phases!)}\n`).toMatchFileSnapshot(
      'fixtures/rustc/expected/time-passes.regex-syntax.debug.json.tree.txt',
    );
  });
});

describe('rustc time-passes: cargo builds', () => {
  it('interleaved cargo -j2 output without prefixes: counts the invocations by their "total" lines and says the passes cannot be attributed', () => {
    const parsed = parseTimePasses(read(CARGO_J2), CARGO_J2);
    expect(parsed.attribution).toBe('interleaved');
    expect(parsed.invocations).toHaveLength(6);
    const c = importRustcTimePasses(read(CARGO_J2), CARGO_J2);
    const phases = c.phases!;
    expect(phases.map((p) => p.name)).toEqual([1, 2, 3, 4, 5, 6].map((k) => `rustc #${k} (unattributed)`));
    expect(phases.map((p) => Math.round(p.endMs - p.startMs))).toEqual([208, 336, 712, 1726, 1142, 293]);
    expect(phases.every((p) => p.category === 'crate' && p.parent === null)).toBe(true);
    const warning = c.warnings!.find((w) => w.code === 'rustc-interleaved')!;
    expect(warning.message).toContain(
      'several rustc invocations (6 finished, counted by their "total" lines) are interleaved',
    );
    expect(warning.file).toBe(CARGO_J2);
  });

  it('"[crate:pid]"-prefixed output: all 6 invocations attributed, each with its passes nested', () => {
    const parsed = parseTimePasses(read(PREFIXED), PREFIXED);
    expect(parsed.attribution).toBe('prefix');
    expect(parsed.invocations.map((i) => `${i.crateName}:${i.pid}`)).toEqual([
      'build_script_build:11762',
      'regex_syntax:11761',
      'memchr:11787',
      'aho_corasick:11813',
      'regex:11863',
      'rgrep:11938',
    ]);
    expect(parsed.invocations.every((i) => i.complete)).toBe(true);
    const phases = importRustcTimePasses(read(PREFIXED), PREFIXED).phases!;
    const crates = phases.filter((p) => p.category === 'crate');
    expect(crates.map((p) => p.name).sort()).toEqual([
      'aho_corasick',
      'build_script_build',
      'memchr',
      'regex',
      'regex_syntax',
      'rgrep',
    ]);
    for (const crate of crates) {
      const tc = phases.findIndex((p) => p.name === 'type_check_crate' && p.pid === crate.pid);
      expect(ancestors(phases, tc), crate.name).toEqual([crate.name]);
      expect(crate.args?.totalMs).toBeCloseTo(crate.endMs - crate.startMs, 6);
    }
    expect(crates.find((p) => p.name === 'build_script_build')!.args?.buildScript).toBe(true);
    // Without stamps the invocations are laid out in print order: rgrep, printed last, starts after memchr ended.
    const at = (name: string) => crates.find((p) => p.name === name)!;
    expect(at('rgrep').startMs).toBeGreaterThan(at('memchr').endMs);
  });

  it("our wrapper's stamped files: exact times, the crate and pid from the header", () => {
    const parsed = parseTimePasses(read(WRAPPER_PARSER), WRAPPER_PARSER);
    expect(parsed.attribution).toBe('wrapper');
    const [inv] = parsed.invocations;
    expect(inv).toMatchObject({
      crateName: 'parser',
      packageName: 'parser',
      pid: 6047,
      filterPid: 6051,
      format: 'json',
      complete: true,
    });
    expect(inv!.startEpochMs).toBeCloseTo(1795256201603.448, 3);
    expect(inv!.endEpochMs).toBeCloseTo(1795256202672.014, 3);
    expect(inv!.passes.every((p) => p.endEpochMs !== undefined)).toBe(true);
    const tree = inferNesting(inv!.passes);
    expect(tree.timeline).toBe('stamped');
    const parents = parentsByName(tree);
    expect(parents.get('type_check_crate')).toBe('total');
    expect(parents.get('late_resolve_crate')).toBe('resolve_crate');
    expect(parents.get('codegen_to_LLVM_IR')).toBe('codegen_crate');
    // misc_checking_1's line was stamped 8 ms after its children's end plus its 2.2 ms: a stall of the
    // filter, not a gap (its RSS at start is the first child's). Its children are still its own.
    expect(parents.get('looking_for_entry_point')).toBe('misc_checking_1');
    expect(parents.get('unused_lib_feature_checking')).toBe('misc_checking_1');
    // Stamps place the passes: "total" started after the wrapper did and ended before rustc exited.
    const total = tree.nodes[tree.total!]!;
    expect(tree.originEpochMs! + total.startMs).toBeGreaterThan(inv!.startEpochMs!);
    expect(tree.originEpochMs! + total.endMs).toBeLessThanOrEqual(inv!.endEpochMs!);

    const c = importRustcTimePasses(read(WRAPPER_PARSER), WRAPPER_PARSER);
    expect(c.phases![0]).toMatchObject({ name: 'parser', pid: 6047, category: 'crate', startMs: 0 });
    expect(c.phases![0]!.endMs).toBeCloseTo(1068.566, 2); // wrapper start to rustc's exit
    expect(c.warnings).toEqual([]);
  });

  it('a stall of the filter (the last lines read 30 ms late, together) does not change the nesting', () => {
    const passes = parseTimePasses(read(WRAPPER_PARSER), WRAPPER_PARSER).invocations[0]!.passes;
    const late = new Set(['link_binary', 'link_crate', 'link']);
    const stalled = passes.map((p) => (late.has(p.name) ? { ...p, endEpochMs: p.endEpochMs! + 30 } : p));
    const parents = parentsByName(inferNesting(stalled));
    expect(parents).toEqual(parentsByName(inferNesting(passes)));
    expect(parents.get('link_rlib')).toBe('link_binary');
    expect(parents.get('link_binary')).toBe('link_crate');
    // With the stall bound at the lag bound (5 ms), the stamps alone would have orphaned link_rlib:
    // rustc's known call sites keep it (a stall can outlast any bound on a loaded machine).
    expect(parentsByName(inferNesting(stalled, { stampStallMs: ms(5) })).get('link_rlib')).toBe('link_binary');

    // The other way: crate_injection read 17 ms late, with the line of the next pass (expand_crate,
    // 17.5 ms): the stamps would put it inside that pass, which started after it ended.
    const at = (name: string) => passes.findIndex((p) => p.name === name);
    expect(at('expand_crate')).toBe(at('crate_injection') + 1);
    const together = passes.map((p, i) =>
      i === at('crate_injection') ? { ...p, endEpochMs: passes[at('expand_crate')]!.endEpochMs } : p,
    );
    expect(parentsByName(inferNesting(together)).get('crate_injection')).toBe('total');
    expect(parentsByName(inferNesting(together, { stampStallMs: ms(5) })).get('crate_injection')).toBe('total');
    const unknown = together.map((p) => (p.name === 'crate_injection' ? { ...p, name: 'crate_injection_2' } : p));
    expect(parentsByName(inferNesting(unknown, { stampStallMs: ms(5) })).get('crate_injection_2')).toBe('expand_crate');
  });

  it('concatenated wrapper files: one invocation per header, on one time axis', () => {
    const text = read(WRAPPER_PARSER) + read('wrapper/cargo-std.build_script_build.tp');
    const phases = importRustcTimePasses(text, 'both.tp').phases!.filter((p) => p.category === 'crate');
    expect(phases.map((p) => [p.name, p.args?.package])).toEqual([
      ['build_script_build', 'tokenizer'],
      ['parser', 'parser'],
    ]);
    expect(phases[0]!.startMs).toBe(0);
    expect(phases[1]!.startMs).toBeGreaterThan(phases[0]!.endMs); // parser waited for the build script's crate
  });
});

describe('rustc time-passes: broken input', () => {
  it('a torn JSON line: a warning with file and line, every other pass kept', () => {
    const file = 'time-passes.regex-syntax.debug.json.torn-line.txt';
    const parsed = parseTimePasses(read(file), file);
    expect(parsed.warnings).toEqual([
      expect.objectContaining({
        code: 'rustc-bad-line',
        file,
        line: 29,
        message: expect.stringContaining('line 29: not a readable time-passes line'),
      }),
    ]);
    expect(parsed.invocations[0]!.passes).toHaveLength(56);
    expect(parsed.invocations[0]!.passes.some((p) => p.name === 'type_check_crate')).toBe(false);
    const parents = parentsByName(inferNesting(parsed.invocations[0]!.passes));
    expect(parents.get('coherence_checking')).toBe('total'); // its parent is the lost line
    expect(parents.get('late_resolve_crate')).toBe('resolve_crate');
  });

  it('the output of a killed rustc: the passes so far, marked incomplete', () => {
    const file = 'time-passes.regex-syntax.debug.json.killed.txt';
    const c = importRustcTimePasses(read(file), file);
    expect(c.warnings!.map((w) => w.code).sort()).toEqual([
      'rustc-bad-line',
      'rustc-incomplete',
      'rustc-timeline-reconstructed',
    ]);
    const root = c.phases![0]!;
    expect(root.args).toMatchObject({ incomplete: true, passes: 30 });
    expect(c.phases!.map((p) => p.name)).toContain('MIR_borrow_checking');
    expect(
      ancestors(
        c.phases!,
        c.phases!.findIndex((p) => p.name === 'expand_crate'),
      ),
    ).toEqual(['macro_expand_crate', 'rustc #1']);
  });

  it('input without any time-passes line is "not this format"', () => {
    const file = 'cargo-build.no-time-passes.stderr.txt';
    expect(() => importRustcTimePasses(read(file), file)).toThrowError(ImportError);
    try {
      importRustcTimePasses(read(file), file);
    } catch (e) {
      expect(e).toMatchObject({
        kind: 'not-this-format',
        file,
        message: `${file}: no rustc -Z time-passes line (\`time: ...\`) in this input`,
      });
    }
  });

  it('time-passes lines that are all unreadable: an error at the first one', () => {
    const text = 'warning: unused\ntime: {"pass":"parse_crate","time":0.0003\ntime: {"pass":\n';
    expect(() => parseTimePasses(text, 'cut.txt')).toThrowError(
      expect.objectContaining({ kind: 'broken', file: 'cut.txt', line: 2 }),
    );
  });
});
