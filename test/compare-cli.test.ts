// `cmi compare`, `cmi baseline` and `cmi profile --runs` through dist/cli.js as a process: the CI
// gate's exit codes on an increase above and below its threshold, the baseline store, usage errors.
// The profiles are real runs of node programs that hold a chosen amount of memory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '../server/src/core/profile-file';
import { cliPath } from './helpers';

let tmp: string;
const cmi = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 });
/** A node program that fills `mib` MiB, holds it for a moment and exits. */
const hold = (mib: number, ms = 300) => [
  'node',
  '-e',
  `const b = Buffer.alloc(${mib} * 2 ** 20, 1); setTimeout(() => b.length, ${ms});`,
];

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-compare-cli-'));
  for (const [name, mib, runs, ms] of [
    ['small', 40, '1', 300],
    ['large', 160, '1', 300],
    ['small3', 40, '3', 300],
    ['slow', 40, '1', 2500],
  ] as const) {
    const r = cmi('profile', '--quiet', '--runs', runs, '--out', `${name}.json`, '--', ...hold(mib, ms));
    if (r.status !== 0) throw new Error(`cmi profile ${name}: ${r.status}\n${r.stderr}`);
  }
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cmi compare: the CI gate', () => {
  it('exits 5 when the peak grows beyond the threshold, and says so', () => {
    const r = cmi('compare', 'small.json', 'large.json', '--fail-on-peak-increase', '10');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(
      /gate failed: the peak \(RSS of the process tree\) grew by [\d.]+ %, more than the allowed 10\.0 %/,
    );
    expect(r.stdout).toContain('peak · RSS of the process tree');
  });

  it('exits 0 when the increase is below the threshold, or a decrease', () => {
    expect(cmi('compare', 'small.json', 'large.json', '--fail-on-peak-increase', '100000').status).toBe(0);
    expect(cmi('compare', 'large.json', 'small.json', '--fail-on-peak-increase', '1').status).toBe(0);
    expect(
      cmi('compare', 'large.json', 'large.json', '--fail-on-peak-increase', '0', '--fail-on-time-increase', '0').status,
    ).toBe(0);
  });

  it('exits 5 when the wall time grows beyond --fail-on-time-increase, 0 below it', () => {
    const r = cmi('compare', 'small.json', 'slow.json', '--fail-on-time-increase', '50');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/gate failed: the wall time grew by [\d.]+ %, more than the allowed 50\.0 %/);
    expect(cmi('compare', 'small.json', 'slow.json', '--fail-on-time-increase', '100000').status).toBe(0);
    expect(cmi('compare', 'slow.json', 'small.json', '--fail-on-time-increase', '0').status).toBe(0);
  });

  it('prints Markdown with the growth in bold, and JSON', () => {
    const md = cmi('compare', 'small.json', 'large.json', '--markdown');
    expect(md.status).toBe(0);
    expect(md.stdout).toMatch(
      /^\| peak · RSS of the process tree \| [\d.]+ MiB \| [\d.]+ MiB \| \*\*\+[\d.]+ MiB\*\* \| \*\*\+[\d.]+ %\*\* \|$/m,
    );
    const js = cmi('compare', 'small.json', 'large.json', '--json', '--fail-on-peak-increase', '10');
    expect(js.status).toBe(5);
    const c = JSON.parse(js.stdout);
    expect(c.format).toBe('compiler-memory-insight/comparison');
    expect(c.peaks[0].key).toBe('rss-tree');
    expect(c.peaks[0].peak.delta).toBeGreaterThan(100 * 2 ** 20);
    expect(c.gate.failures).toHaveLength(1);
  });

  it('exits 2 on wrong arguments and 3 on an unreadable profile', () => {
    expect(cmi('compare', 'small.json').status).toBe(2);
    expect(cmi('compare', 'small.json', 'large.json', '--fail-on-peak-increase', 'x').status).toBe(2);
    writeFileSync(
      path.join(tmp, 'broken.json'),
      '{"format": "compiler-memory-insight/profile", "version": 1, "run": {',
    );
    const r = cmi('compare', 'small.json', 'broken.json');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('broken.json');
    expect(cmi('compare', 'small.json', 'missing.json').status).toBe(3);
  });
});

describe('cmi profile --runs', () => {
  it('writes one profile with the statistics of every run', async () => {
    const p = await readProfile(path.join(tmp, 'small3.json'));
    expect(p.repeat!.runs).toBe(3);
    expect(p.repeat!.perRun.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    const r = cmi('compare', 'small3.json', 'large.json', '--markdown');
    expect(r.stdout).toContain('— 3 runs (ok)');
    expect(r.stdout).toContain('— 1 run (ok)');
  });
});

describe('cmi baseline', () => {
  it('sets, shows, compares against and clears the baseline', () => {
    const dir = path.join(tmp, 'store');
    expect(cmi('baseline', 'show', '--dir', dir).stdout).toMatch(/No baseline is set/);
    expect(cmi('compare', 'baseline', 'large.json', '--dir', dir).status).toBe(3);
    expect(cmi('baseline', 'set', 'small.json', '--dir', dir).status).toBe(0);
    expect(existsSync(path.join(dir, 'baseline.cmi.json'))).toBe(true);
    const show = cmi('baseline', 'show', '--dir', dir);
    expect(show.stdout).toContain('small.json');
    expect(show.stdout).toMatch(/Build: node -e/);
    const r = cmi('compare', 'baseline', 'large.json', '--dir', dir, '--fail-on-peak-increase', '10');
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/Base: node -e .* · baseline \(/);
    expect(cmi('baseline', 'clear', '--dir', dir).status).toBe(0);
    expect(existsSync(path.join(dir, 'baseline.cmi.json'))).toBe(false);
    expect(cmi('baseline', 'bogus').status).toBe(2);
  });
});
