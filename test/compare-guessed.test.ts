// Compare never matches a time laid out by guess with a measured one (issue 18 item 2). Real data: two
// rollup --perf runs of one bundle (durations only on both sides: compared as totals), tsc 6's
// --extendedDiagnostics table (durations only) against a tsc run whose phases the preload timed. The
// durations rows (`Phase.durations`) and the file checks use small hand-made profiles.
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { compareProfiles } from '../server/src/core/compare/compare';
import { comparisonMarkdown, comparisonText } from '../server/src/core/compare/markdown';
import { alignPhases, buildOverlayModel } from '../server/src/core/compare/overlay';
import { aggregateRuns } from '../server/src/core/compare/repeat';
import { importFiles } from '../server/src/core/importers';
import type { Phase, PhaseDuration, Profile } from '../server/src/core/model';
import { parseProfile, serializeProfile } from '../server/src/core/profile-file';
import { bytes, ms } from '../server/src/core/units';
import { repoRoot } from './helpers';

const fx = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);

describe('two real rollup --perf runs of three.js: guessed on both sides', () => {
  it('compares their times as totals and says so', async () => {
    const base = await importFiles([fx('rollup', 'rollup.three.perf.stdout.txt')]);
    const head = await importFiles([fx('rollup', 'rollup.three.perf.nocolor.stdout.txt')]);
    const c = compareProfiles(base, head);
    const treeshake = c.phases.find(
      (p) => p.path.join(' › ') === 'BUILD › mark included statements › treeshaking pass 2',
    );
    expect(treeshake?.placedByGuess).toBe('both');
    // rollup's own totals: 5.72 s and 5.25 s in these two runs.
    expect(treeshake!.time.delta).toBeCloseTo(-468, 0);
    expect(c.phases.every((p) => p.placedByGuess === 'both')).toBe(true);
    const md = comparisonMarkdown(c);
    expect(md).toMatch(
      /\| BUILD › mark included statements › treeshaking pass 2 · time \(totals\) \| 5\.72 s \| 5\.25 s \|/,
    );
    expect(md).not.toContain('times not compared');
    expect(comparisonText(c)).toContain('treeshaking pass 2 · time (totals)');
  });
});

describe('tsc: a table of totals against a run whose phases were timed', () => {
  // tsc 6 --extendedDiagnostics on rxjs (Program, Bind, Check, Emit laid out by guess) and the same
  // names measured by the preload: the timed side is the same import with the guess flag taken off,
  // as a tsc whose phases were timed at the top level would give.
  const timed = (p: Profile): Profile => ({
    ...p,
    phases: p.phases.map((ph) => ({ ...ph, args: { ...ph.args, reconstructed: false } })),
  });

  it('gives no time delta for a guessed row, and the Markdown says why', async () => {
    const guessed = await importFiles([fx('typescript', 'ts6-extendedDiagnostics.stdout.txt')]);
    expect(guessed.phases.map((ph) => ph.name)).toEqual(['Program', 'Bind', 'Check', 'Emit']);
    const c = compareProfiles(guessed, timed(guessed));
    const check = c.phases.find((p) => p.path.join() === 'Check')!;
    expect(check.placedByGuess).toBe('base');
    expect(check.time.base?.median).toBe(3200);
    expect(check.time.head?.median).toBe(3200);
    expect(check.time.delta).toBeNull();
    expect(check.memPeak.delta).toBeNull();
    for (const p of c.phases) expect(p.time.delta).toBeNull();
    const md = comparisonMarkdown(c);
    expect(md).toContain('Phases placed by guess on one side: times not compared: `Program` (guessed in base)');
    expect(md).not.toMatch(/Check · time/);
    // The other way round, the head is the guessed side.
    expect(compareProfiles(timed(guessed), guessed).phases[0]!.placedByGuess).toBe('head');
  });

  it('the real preload-timed tsc profile never matches the guessed rows (its phases are under the process)', async () => {
    const guessed = await importFiles([fx('typescript', 'ts6-extendedDiagnostics.stdout.txt')]);
    const preload = parseProfile(readFileSync(fx('cmi-profile', 'tsc-small.profile.json'), 'utf8'), 'tsc-small');
    const c = compareProfiles(guessed, preload);
    expect(c.phases.filter((p) => p.placedByGuess && p.time.delta !== null)).toEqual([]);
    expect(c.unmatched.baseOnly).toContainEqual(['Check']);
  });

  it('a guessed span anchors nothing in the phase-aligned overlay', async () => {
    const guessed = await importFiles([fx('typescript', 'ts6-extendedDiagnostics.stdout.txt')]);
    expect(alignPhases(guessed, timed(guessed)).segments).toEqual([]);
    expect(alignPhases(timed(guessed), timed(guessed)).segments.length).toBeGreaterThan(0);
    const model = buildOverlayModel(guessed, timed(guessed), compareProfiles(guessed, timed(guessed)));
    expect(model.warnings).toContain(
      'phases placed by guess (their source gives durations only) anchor nothing; their times are totals, not compared with timed spans',
    );
  });
});

/** A hand-made compile: one translation unit whose passes gcc gave as totals (as without the plugin). */
function compile(passes: [name: string, msValue: number, depth?: number][], wallMs = 1000): Profile {
  const durations: PhaseDuration[] = passes.map(([name, v, depth]) => ({
    name,
    ms: ms(v),
    ...(depth ? { depth } : {}),
    count: 1,
    bytes: bytes(1024 * v),
    bytesMeaning: 'GGC allocated',
  }));
  const tu: Phase = {
    name: 'sqlite3.c',
    parent: null,
    startMs: ms(0),
    endMs: ms(wallMs),
    pid: 7,
    category: 'cc',
    durations,
  };
  return {
    run: {
      command: ['gcc', '-c', 'sqlite3.c'],
      cwd: '/src',
      startedAt: '2026-12-07T00:00:00.000Z',
      startEpochMs: 0,
      wallMs: ms(wallMs),
      status: 'ok',
      exitCode: 0,
      signal: null,
      tools: {},
      sources: ['cc'],
    },
    processes: [],
    series: [],
    phases: [tu],
    markers: [],
    arenas: [],
    warnings: [],
  } as unknown as Profile;
}

describe('durations rows', () => {
  const base = compile([
    ['phase parsing', 200],
    ['phase opt and generate', 700],
    ['tree PTA', 120, 1],
    ['expand', 300, 1],
  ]);
  const head = compile([
    ['phase parsing', 210],
    ['phase opt and generate', 600],
    ['tree PTA', 60, 1],
    ['expand', 290, 1],
    ['phase finalize', 5],
  ]);

  it('the analysis lists them in the phase row with their share of the phase', () => {
    const row = analyze(base).phases[0]!;
    expect(row.placedByGuess).toBe(false);
    expect(row.durations!.map((d) => [d.path.join(' › '), d.ms, d.shareOfPhase])).toEqual([
      ['phase parsing', 200, 0.2],
      ['phase opt and generate', 700, 0.7],
      ['phase opt and generate › tree PTA', 120, 0.12],
      ['phase opt and generate › expand', 300, 0.3],
    ]);
    expect(row.durations![2]!.bytes).toBe(120 * 1024);
  });

  it('spans of one path add up, row by row', () => {
    const p = compile([['phase parsing', 200]]);
    p.phases.push({
      ...p.phases[0]!,
      startMs: ms(1000),
      endMs: ms(1500),
      durations: [{ name: 'phase parsing', ms: ms(50), count: 2 }],
    });
    const row = analyze(p).phases[0]!;
    expect(row.count).toBe(2);
    expect(row.durations).toEqual([
      expect.objectContaining({ name: 'phase parsing', ms: 250, count: 3, shareOfPhase: 250 / 1500 }),
    ]);
  });

  it('compare matches them by their path in the table, as totals', () => {
    const c = compareProfiles(base, head);
    const tu = c.phases.find((p) => p.path.join() === 'sqlite3.c')!;
    expect(tu.placedByGuess).toBeUndefined();
    const byPath = new Map(tu.durations!.map((d) => [d.path.join(' › '), d.time]));
    expect(byPath.get('phase opt and generate › tree PTA')!.delta).toBe(-60);
    expect(byPath.get('phase parsing')!.delta).toBe(10);
    expect(byPath.get('phase finalize')).toMatchObject({ base: null, delta: null });
    const md = comparisonMarkdown(c);
    expect(md).toContain(
      'Parts known by their totals only (totals the compiler reports for parts of a phase, never placed in time):',
    );
    expect(md).toContain('| sqlite3.c › phase opt and generate | 700.0 ms | 600.0 ms | **-100.0 ms** | **-14.3 %** |');
    // The largest change comes first.
    const rows = md.split('\n').filter((l) => l.startsWith('| sqlite3.c › '));
    expect(rows[0]).toContain('phase opt and generate |');
    expect(comparisonText(c)).toContain('sqlite3.c › phase opt and generate › tree PTA');
  });

  it('repeated runs keep each row with its spread', () => {
    const runs = [base, head, compile([['phase parsing', 190]])];
    const p = aggregateRuns(runs);
    const parsing = p.repeat!.phases[0]!.durations!.find((d) => d.path.join() === 'phase parsing')!;
    expect(parsing.ms).toEqual({ median: 200, min: 190, max: 210, n: 3 });
  });

  it('the profile reader keeps plausible rows and drops absurd ones, counted', () => {
    const p = compile([
      ['phase parsing', 200],
      ['tree PTA', 1e305, 1],
      ['expand', -3, 1],
      ['phase finalize', 5],
    ]);
    p.phases[0]!.durations![3]!.bytes = bytes(1e30);
    p.phases[0]!.durations![0]!.depth = 7; // deeper than the row above allows: becomes a top row
    const back = parseProfile(serializeProfile(p), 'run.json');
    expect(back.phases[0]!.durations!.map((d) => [d.name, d.ms, d.depth ?? 0])).toEqual([
      ['phase parsing', 200, 0],
      ['phase finalize', 5, 0],
    ]);
    expect(back.phases[0]!.durations![1]!.bytes).toBeUndefined();
    expect(back.warnings.map((w) => w.message)).toEqual([
      '2 phase durations rows with an absurd or negative time dropped: outside what a build can report (see plausible.ts bounds)',
      '1 phase durations row byte figures dropped: outside what a build can report (see plausible.ts bounds)',
    ]);
  });

  it('a table that is not an array, or a row without a name, is refused at its JSON path', () => {
    const doc = JSON.parse(serializeProfile(compile([['phase parsing', 200]])));
    doc.phases[0].durations = { name: 'x' };
    expect(() => parseProfile(JSON.stringify(doc), 'run.json')).toThrow(
      'run.json: phases[0].durations: must be an array',
    );
    doc.phases[0].durations = [{ ms: 3 }];
    expect(() => parseProfile(JSON.stringify(doc), 'run.json')).toThrow(
      'run.json: phases[0].durations[0].name: must be a string',
    );
  });
});
