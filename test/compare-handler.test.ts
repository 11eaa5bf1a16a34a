// What the language server tells the extension about repeated runs and the baseline
// (server/src/lsp/summarize.ts, compare-handler.ts): the digests the status bar shows, from real tsc
// runs on test/workspaces/tsc-small (once as the baseline, twice as the head, once with
// --declaration for a flag that differs), and the baseline kept in `<storageDir>/baseline/`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBaseline } from '../server/src/core/compare/baseline';
import { compareProfiles } from '../server/src/core/compare/compare';
import { aggregateRuns } from '../server/src/core/compare/repeat';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { writeProfile } from '../server/src/core/profile-file';
import { baselineDir, digestAgainstBaseline } from '../server/src/lsp/compare-handler';
import { baselineDigest, repeatDigest } from '../server/src/lsp/summarize';
import { repoRoot } from './helpers';

const TSC_SMALL = path.join(repoRoot, 'test', 'workspaces', 'tsc-small');
const TSC = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
let tmp: string;
let base: Profile;
let head: Profile;
let declaration: Profile;

/** A connection stand-in that keeps what the handler logs. */
const logged: string[] = [];
const connection = {
  console: { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(`warn: ${m}`) },
} as unknown as Connection;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-compare-handler-'));
  if (!existsSync(path.join(repoRoot, 'dist', 'preload.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
  const run = (i: number, extra: string[] = []) =>
    profileBuild({
      argv: ['node', TSC, '-p', '.', '--outDir', path.join(tmp, `out${i}`), ...extra],
      cwd: TSC_SMALL,
      noTraceFile: true,
    });
  base = await run(0);
  head = aggregateRuns([await run(1), await run(2)]);
  declaration = await run(3, ['--declaration']);
}, 240_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('repeated runs in the summary', () => {
  it('gives the run count, the statuses and the peak as median (min–max)', () => {
    expect(head.repeat?.runs).toBe(2);
    const d = repeatDigest(head.repeat!);
    expect(d.runs).toBe(2);
    expect(d.statuses).toEqual(['ok', 'ok']);
    expect(d.peakMedianBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(d.peakText).toMatch(/^\d+\.\d MiB \(\d+\.\d MiB–\d+\.\d MiB\)$/);
    expect(d.wallText).toMatch(/\(.+–.+\)$/);
    console.log(`tsc-small ×2: wall ${d.wallText}, peak ${d.peakText}`);
  });
});

describe('the change against the baseline', () => {
  it("is the primary peak's change, with a true minus sign, judged against the spread", () => {
    const c = compareProfiles(base, head);
    const d = baselineDigest(c);
    expect(d.peakDeltaPct).toBe(c.peaks[0]!.peak.deltaPct);
    expect(d.peakDeltaText).toMatch(/^[+\u2212]?\d+\.\d %$/);
    expect(d.peakDeltaText.startsWith('-')).toBe(false);
    expect(d.baseRuns).toBe(1);
    expect(d.baseCommand).toEqual(base.run.command);
    // One run on the base side, two on the head: the head's spread judges the noise.
    expect(d.noise).toBe(
      Math.abs(c.peaks[0]!.peak.delta!) <=
        head.repeat!.series.find((s) => s.key === c.peaks[0]!.key)!.peakBytes.max -
          head.repeat!.series.find((s) => s.key === c.peaks[0]!.key)!.peakBytes.min,
    );
    console.log(`tsc-small: head vs base ${d.peakDeltaText} (${d.peakDeltaBytesText})${d.noise ? ', noise' : ''}`);
  });

  it('warns when the flags differ', () => {
    const d = baselineDigest(compareProfiles(base, declaration));
    expect(d.warnings.join('\n')).toMatch(/flags differ: .* → .*--declaration/);
    expect(d.warnings.join('\n')).toMatch(/noise can't be judged/);
  });
});

describe("the baseline in the extension's storage", () => {
  it('is read from <storageDir>/baseline/ and compared with a new build; none set: no digest', async () => {
    const storage = path.join(tmp, 'storage');
    const headPath = path.join(tmp, 'head.cmi-profile.json');
    await writeProfile(headPath, head);
    expect(await digestAgainstBaseline(connection, storage, head, headPath)).toBeUndefined();

    const basePath = path.join(tmp, 'base.cmi-profile.json');
    await writeProfile(basePath, base);
    await setBaseline(baselineDir(storage), basePath);
    expect(readdirSync(path.join(storage, 'baseline')).sort()).toEqual(['baseline.cmi.json', 'baseline.meta.json']);
    const d = await digestAgainstBaseline(connection, storage, head, headPath);
    expect(d?.baseSource).toBe(basePath);
    expect(d?.peakDeltaPct).toBeCloseTo(compareProfiles(base, head).peaks[0]!.peak.deltaPct!, 10);
  });
});
