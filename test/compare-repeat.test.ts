// Repeated runs (compare/repeat.ts) and the noise rule (compare/compare.ts), on three real runs of
// tsc over test/workspaces/tsc-small.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { compareProfiles, delta } from '../server/src/core/compare/compare';
import { comparisonMarkdown } from '../server/src/core/compare/markdown';
import { aggregateRuns, arenaGroupName, seriesKeys, statOf } from '../server/src/core/compare/repeat';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { readProfile, writeProfile } from '../server/src/core/profile-file';
import { repoRoot } from './helpers';

const TSC = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
let tmp: string;
let runs: Profile[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-compare-repeat-'));
  runs = [];
  for (let i = 0; i < 3; i++)
    runs.push(
      await profileBuild({
        argv: ['node', TSC, '-p', '.', '--noEmit'],
        cwd: path.join(repoRoot, 'test', 'workspaces', 'tsc-small'),
        noTraceFile: true,
      }),
    );
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('statistics of repeated runs', () => {
  it('median, minimum and maximum of the wall times', () => {
    const walls = runs.map((p) => p.run.wallMs);
    const s = statOf(walls);
    const sorted = [...walls].sort((a, b) => a - b);
    expect(s).toEqual({ median: sorted[1], min: sorted[0], max: sorted[2], n: 3 });
    expect(statOf(walls.slice(0, 2)).median).toBeCloseTo((walls[0]! + walls[1]!) / 2, 9);
  });

  it('keeps the run whose peak is the median, with the stats of all of them', () => {
    const agg = aggregateRuns(runs);
    const r = agg.repeat!;
    expect(r.runs).toBe(3);
    const peaks = runs.map((p) => analyze(p).peak!.bytes);
    expect(analyze(agg).peak!.bytes).toBe(statOf(peaks).median);
    expect(r.perRun.map((x) => x.peakBytes)).toEqual(peaks);
    expect(r.wallMs).toEqual(statOf(runs.map((p) => p.run.wallMs)));
    const check = r.phases.find((p) => p.path.at(-1) === 'Check')!;
    expect(check.durationMs.n).toBe(3);
    expect(check.durationMs.min).toBeLessThanOrEqual(check.durationMs.median);
    expect(check.durationMs.median).toBeLessThanOrEqual(check.durationMs.max);
    // series matched across runs although their pids differ
    expect(new Set(runs.map((p) => [...seriesKeys(p).values()].sort().join()))).toHaveProperty('size', 1);
    for (const s of r.series) expect(s.peakBytes.n).toBe(3);
    expect(r.series.some((s) => s.key.startsWith('js-heap:'))).toBe(true);
  });

  it('writes and reads `repeat` in the profile file; files without it still load', async () => {
    const agg = aggregateRuns(runs);
    const file = path.join(tmp, 'three-runs.json');
    await writeProfile(file, agg);
    expect((await readProfile(file)).repeat).toEqual(agg.repeat);
    await writeProfile(path.join(tmp, 'one.json'), runs[0]!);
    expect((await readProfile(path.join(tmp, 'one.json'))).repeat).toBeUndefined();
  });

  it('marks a difference within the spread of the runs as noise', () => {
    const agg = aggregateRuns(runs);
    const c = compareProfiles(agg, agg);
    expect(c.wall.delta).toBe(0);
    expect(c.wall.noise).toBe(true);
    expect(c.peaks.every((p) => p.peak.noise)).toBe(true);
    expect(comparisonMarkdown(c)).not.toMatch(/\*\*[-+]?[\d.]+ (MiB|KiB|ms|s|%)\*\*/);
    expect(c.warnings.join()).not.toMatch(/noise can't be judged/);
    // Against one of its own runs: that run lies within the spread, so no peak differs beyond noise.
    const single = compareProfiles(agg, runs[0]!);
    expect(single.peaks[0]!.peak.noise).toBe(true);
    expect(single.warnings.join()).toMatch(/one run on the head side/);
  });

  it('the noise rule: |Δ| ≤ the larger spread, never noise with one run per side', () => {
    const walls = runs.map((p) => p.run.wallMs);
    const s = statOf(walls);
    const spread = s.max - s.min;
    const shifted = (by: number) => ({ ...s, median: s.median + by, min: s.min + by, max: s.max + by });
    expect(delta(s, shifted(spread)).noise).toBe(true);
    expect(delta(s, shifted(spread * 1.5 + 1)).noise).toBe(false);
    const one = statOf([walls[0]!]);
    expect(delta(one, statOf([walls[0]!])).noise).toBe(false);
  });

  it('groups arenas by category and name with digit runs and hashes normalised', () => {
    expect(arenaGroupName('ast:feat_3_15')).toBe('ast:feat_#_#');
    expect(arenaGroupName('module 1f3a9c0d22')).toBe('module *');
    expect(arenaGroupName('deadbeefcafe')).toBe('deadbeefcafe');
  });
});
