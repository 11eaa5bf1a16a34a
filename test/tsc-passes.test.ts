// tsc's passes as a user reads them, from real runs of TypeScript 6's tsc on test/workspaces/tsc-small:
// one Bind and one Check per program, and the checks its emitter triggers (program.emit →
// getEmitResolver → checkSourceFile, once per emitted file in incremental and build mode) inside the
// Emit they serve, so that a peak during the emit is not given to Check.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { parseTscDiagnostics } from '../server/src/core/importers/tsc-diagnostics';
import type { Phase, Profile } from '../server/src/core/model';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { compareProfiles } from '../server/src/core/compare/compare';

const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');
const SMALL = path.join(ROOT, 'test', 'workspaces', 'tsc-small');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-tsc-passes-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The phases of a program (Program, Bind, Check, Emit): tsc's phases outside any other but `Build`. */
function programLevel(phases: Phase[]): Phase[] {
  return phases.filter((p) => {
    if (p.category !== 'tsc') return false;
    const parent = p.parent === null ? undefined : phases[p.parent]!;
    return parent?.category !== 'tsc' || parent.name === 'Build';
  });
}

const named = (phases: Phase[], name: string) => phases.filter((p) => p.name === name);

async function run(argv: string[], opts: { preciseHeap?: boolean } = {}) {
  const r = await profileBuildWithOutput({
    argv: [process.execPath, TSC, ...argv],
    cwd: ROOT,
    noTraceFile: true,
    ...opts,
  });
  expect(r.profile.run.status).toBe('ok');
  return r;
}

/** tsc's own "Check time" from its --extendedDiagnostics table, in ms. */
function tscCheckMs(stdout: string): number {
  return parseTscDiagnostics(stdout).timesMs.Check!;
}

describe('tsc: the emitter asks the checker again for every file it emits', () => {
  let p: Profile;
  let stdout: string;
  beforeAll(async () => {
    const out = path.join(tmp, 'incremental');
    // --incremental emits file by file, with declarations (tsc-small's tsconfig): a Check before each Emit.
    const r = await run(
      [
        '-p',
        SMALL,
        '--outDir',
        out,
        '--incremental',
        '--tsBuildInfoFile',
        path.join(out, 'tsbuildinfo'),
        '--extendedDiagnostics',
      ],
      { preciseHeap: true },
    );
    p = r.profile;
    stdout = r.stdout;
  });

  it('has one Check, the real pass, and no top-level Check once the emit has begun', () => {
    const top = programLevel(p.phases);
    const emits = named(top, 'Emit');
    expect(emits.length).toBeGreaterThan(10);
    expect(named(top, 'Check')).toHaveLength(1);
    expect(named(top, 'Bind')).toHaveLength(1);
    const check = named(top, 'Check')[0]!;
    expect(check.endMs).toBeLessThanOrEqual(emits[0]!.startMs);
    // The pass checked every source file the program bound (tsc-small and its lib files).
    const bind = named(top, 'Bind')[0]!;
    expect(bind.args?.['Bind spans']).toBeGreaterThan(50);
    expect(check.args?.['Check spans']).toBeGreaterThanOrEqual(bind.args!['Bind spans'] as number);
  });

  it("puts the emitter's checks inside the Emit they serve, and they add up with the pass to tsc's Check time", () => {
    const lazy = named(p.phases, 'Check (lazy)');
    expect(lazy.length).toBeGreaterThan(10);
    for (const l of lazy) {
      const parent = p.phases[l.parent!]!;
      expect(parent.name).toBe('Emit');
      expect(l.startMs).toBeGreaterThanOrEqual(parent.startMs);
      expect(l.endMs).toBeLessThanOrEqual(parent.endMs);
    }
    // tsc times these re-entries as Check too: the pass and the lazy checks together are its total.
    const checkMs = [...named(p.phases, 'Check'), ...lazy].reduce((s, x) => s + Number(x.args!['Check ms']), 0);
    expect(Math.abs(checkMs - tscCheckMs(stdout))).toBeLessThanOrEqual(15);
  });

  it('does not give Check the peak of the emit', () => {
    const a = analyze(p);
    const check = named(programLevel(p.phases), 'Check')[0]!;
    // tsc-small's live heap peaks while it emits (the emitted text is held until the end).
    expect(a.peak!.atMs).toBeGreaterThan(check.endMs);
    expect(a.peak!.phasePath).not.toContain('Check');
    expect(a.peak!.phasePath).not.toContain('Check (lazy)');
    const row = a.phases.find((r) => r.path.at(-1) === 'Check')!;
    expect(row.holdsPeak).toBe(false);
    expect(row.shareOfPeak!).toBeLessThan(0.9);
    expect(row.count).toBe(1);
  });
});

describe('tsc --build: one Check per program', () => {
  it('two projects: two Checks, each before the emit of its program, and compare matches every row of two runs', async () => {
    // A solution of two composite projects, each a copy of tsc-small.
    const dir = path.join(tmp, 'solution');
    const base = JSON.parse(readFileSync(path.join(SMALL, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    for (const name of ['a', 'b']) {
      cpSync(path.join(SMALL, 'src'), path.join(dir, name, 'src'), { recursive: true });
      writeFileSync(
        path.join(dir, name, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { ...base.compilerOptions, composite: true }, include: ['src'] }),
      );
    }
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ files: [], references: [{ path: './a' }, { path: './b' }] }),
    );
    const build = async (n: number) => {
      rmSync(path.join(dir, 'a', 'out'), { recursive: true, force: true });
      rmSync(path.join(dir, 'b', 'out'), { recursive: true, force: true });
      for (const name of ['a', 'b']) rmSync(path.join(dir, name, 'tsconfig.tsbuildinfo'), { force: true });
      const r = await run(['-b', dir]);
      expect(r.profile.run.status, `run ${n}`).toBe('ok');
      return r.profile;
    };
    const first = await build(1);
    const top = programLevel(first.phases);
    expect(named(top, 'Program')).toHaveLength(2);
    expect(named(top, 'Check')).toHaveLength(2);
    // Each program's Check ends before the first Emit after its Program.
    const programs = named(top, 'Program');
    for (const [i, prog] of programs.entries()) {
      const next = programs[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
      const inIt = top.filter((x) => x.startMs >= prog.startMs && x.startMs < next);
      const checks = named(inIt, 'Check');
      expect(checks, `program ${i + 1}`).toHaveLength(1);
      const firstEmit = named(inIt, 'Emit')[0]!;
      expect(checks[0]!.endMs).toBeLessThanOrEqual(firstEmit.startMs);
    }

    const second = await build(2);
    const c = compareProfiles(first, second);
    expect(c.unmatched).toEqual({ baseOnly: [], headOnly: [] });
    expect(c.phases.map((r) => r.path.at(-1))).toEqual(
      expect.arrayContaining(['Bind', 'Check', 'Emit', 'Check (lazy)']),
    );
    // The same rows, each summing as many spans.
    const rows = (x: Profile) =>
      analyze(x)
        .phases.map((r) => `${r.path.join(' › ')} ×${r.count}`)
        .sort();
    expect(rows(second)).toEqual(rows(first));
  });
});
