// The headline answer: the peak of the live heap where one was measured, the RSS peak beside it, and a
// peak after the last phase of its process said as such. Through dist/cli.js, as a user runs it, on
// real heap profiles (valgrind's DHAT on gcc's cc1, the Rust dhat crate) and on real Node processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './helpers';

interface PeakJson {
  bytes: number;
  measure: 'live-heap' | 'retained';
  seriesKind: string;
  pid: number | null;
  phasePath: string[];
  afterPhasePath: string[] | null;
}
interface SummaryJson {
  peak: PeakJson | null;
  retainedPeak: PeakJson | null;
  peakSites: { bytes: number; function: string; location: string | null; pid: number | null }[];
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-headline-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cmi(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dhatDir = path.join(repoRoot, 'test', 'fixtures', 'dhat');

describe('an imported heap profile: its own peak is the headline, with what is live at it', () => {
  it("valgrind's DHAT on cc1: the peak is t-gmax as valgrind printed it, its sites listed biggest first", () => {
    const file = path.join(dhatDir, 'gcc-test_extension-O2.dhat.out.17923');
    const r = cmi('import', file, '--json', '--out', path.join(tmp, 'cc1.json'));
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as SummaryJson;
    // valgrind's own log of the same run: "==17923== At t-gmax: 2,762,039 bytes in 3,608 blocks".
    const log = readFileSync(path.join(dhatDir, 'gcc-test_extension-O2.valgrind.log'), 'utf8');
    const tgmax = Number(/==17923== At t-gmax: ([\d,]+) bytes/.exec(log)![1]!.replace(/,/g, ''));
    expect(s.peak).toMatchObject({ bytes: tgmax, measure: 'live-heap', seriesKind: 'allocator-heap', pid: 17923 });
    expect(s.retainedPeak).toBeNull(); // nothing sampled RSS: there is no retained peak to set beside it
    expect(s.peakSites.length).toBeGreaterThan(5);
    const bytes = s.peakSites.map((x) => x.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    expect(bytes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(tgmax);
    expect(s.peakSites[0]!.location).toMatch(/cc1/);

    const text = cmi('summary', path.join(tmp, 'cc1.json'));
    expect(text.stdout).toMatch(/^Peak of the live heap: 2\.6 MiB \(heap of cc1 \(pid 17923\)/m);
    expect(text.stdout).toContain('Live at the peak, by allocation site');
    expect(text.stdout).not.toContain('no memory was recorded');
  });

  it('the Rust dhat crate: the peak is its t-gmax, and the two sites live then', () => {
    const file = path.join(dhatDir, 'dhat-rs-pk_range_dhat.dhat-heap.json');
    const r = cmi('import', file, '--json', '--out', path.join(tmp, 'dhat-rs.json'));
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as SummaryJson;
    // Summed by hand from the file: the program points' "gb" (bytes at t-gmax).
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { pps: { gb: number }[] };
    const atTgmax = doc.pps.reduce((sum, pp) => sum + pp.gb, 0);
    expect(s.peak).toMatchObject({ bytes: atTgmax, measure: 'live-heap' });
    expect(s.peakSites.reduce((sum, x) => sum + x.bytes, 0)).toBe(atTgmax);
    expect(s.peakSites.map((x) => x.function).join('\n')).toMatch(/try_create/);
  });
});

describe('a peak after the last phase of its process is said as such', () => {
  it('a Node program that measures its phase, then fills 200 MiB while it writes its output: "at exit, after compile"', () => {
    const program = [
      "const { performance } = require('node:perf_hooks');",
      "performance.mark('c0');",
      'let x = 0; for (let i = 0; i < 2e7; i++) x += i;',
      "performance.measure('compile', 'c0');",
      // After the last phase: a big buffer, held a while (a sampler tick or more), as an emitter's output.
      'const out = Buffer.alloc(200 * 2 ** 20, x & 1 ? 1 : 2);',
      'setTimeout(() => out.length, 400);',
    ].join('\n');
    const r = cmi('profile', '--json', '--out', path.join(tmp, 'after.json'), '--', process.execPath, '-e', program);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as SummaryJson;
    const peak = s.retainedPeak ?? s.peak!;
    expect(peak.measure).toBe('retained');
    expect(peak.bytes).toBeGreaterThan(200 * 2 ** 20);
    expect(peak.afterPhasePath?.at(-1)).toBe('compile');
    const text = cmi('summary', path.join(tmp, 'after.json'));
    expect(text.stdout).toMatch(
      /Peak( of RSS)?: [\d.]+ MiB \(RSS of the process tree\) at [\d.]+ m?s at exit, after .*compile/,
    );
  });
});
