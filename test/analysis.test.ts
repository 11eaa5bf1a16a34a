// The analysis rules on small profiles built in the test: where the peak is attributed, how spans of
// one path add up, self time. Real builds are analysed in the end-to-end tests.
import { describe, expect, it } from 'vitest';
import { analyze, maxInRange } from '../server/src/core/analysis/analyze';
import { summaryJson, summaryText } from '../server/src/core/analysis/summary';
import type { MemorySeries, Phase, Profile } from '../server/src/core/model';
import { emptyProfile } from '../server/src/core/model';
import { ms } from '../server/src/core/units';
import { blankRunFacts } from './helpers';

function series(id: string, kind: MemorySeries['kind'], pts: [number, number][], pid?: number): MemorySeries {
  return {
    id,
    name: id,
    kind,
    source: 'test',
    unit: 'bytes',
    ...(pid !== undefined ? { pid } : {}),
    tMs: Float64Array.from(pts.map((p) => p[0])),
    bytes: Float64Array.from(pts.map((p) => p[1])),
  };
}

function profile(phases: Phase[], s: MemorySeries[]): Profile {
  const p = emptyProfile(blankRunFacts({ command: ['build'], cwd: '/', wallMs: ms(100) }));
  p.phases = phases;
  p.series = s;
  return p;
}

const MiB = 1024 * 1024;

describe('analyze', () => {
  // Two processes; the tree peaks at t=50 while process 2 holds most of it, inside b › b2.
  const p = profile(
    [
      { name: 'a', parent: null, startMs: ms(0), endMs: ms(100), pid: 1 },
      { name: 'b', parent: null, startMs: ms(10), endMs: ms(90), pid: 2 },
      { name: 'b1', parent: 1, startMs: ms(10), endMs: ms(40), pid: 2 },
      { name: 'b2', parent: 1, startMs: ms(40), endMs: ms(80), pid: 2 },
      { name: 'b2', parent: 1, startMs: ms(85), endMs: ms(88), pid: 2 },
    ],
    [
      series('rss-tree', 'rss-tree', [
        [0, 10 * MiB],
        [30, 40 * MiB],
        [50, 90 * MiB],
        [70, 60 * MiB],
        [100, 0],
      ]),
      series(
        'rss:1',
        'rss-process',
        [
          [0, 10 * MiB],
          [30, 20 * MiB],
          [50, 20 * MiB],
          [100, 0],
        ],
        1,
      ),
      series(
        'rss:2',
        'rss-process',
        [
          [10, 5 * MiB],
          [30, 20 * MiB],
          [50, 70 * MiB],
          [70, 40 * MiB],
          [100, 0],
        ],
        2,
      ),
    ],
  );
  const a = analyze(p);

  it('finds the peak of the tree and the innermost phase of the process holding it', () => {
    expect(a.peak).toMatchObject({ bytes: 90 * MiB, atMs: 50, series: 'rss-tree', pid: 2, phasePath: ['b', 'b2'] });
  });

  it('adds up spans of the same path into one row', () => {
    const b2 = a.phases.find((r) => r.path.join('/') === 'b/b2')!;
    expect(b2.count).toBe(2);
    expect(b2.durationMs).toBe(43);
    expect(b2.holdsPeak).toBe(true);
    expect(b2.memPeakBytes).toBe(70 * MiB); // from process 2's own series
    expect(b2.shareOfPeak).toBeCloseTo(70 / 90);
  });

  it('computes self time as the time not covered by children', () => {
    const b = a.phases.find((r) => r.path.join('/') === 'b')!;
    expect(b.durationMs).toBe(80);
    expect(b.selfMs).toBe(80 - 30 - 40 - 3);
    expect(a.phases.find((r) => r.name === 'a')!.holdsPeak).toBe(false);
  });

  it('takes the value in force at a phase start into its peak', () => {
    expect(maxInRange(p.series[0]!, ms(55), ms(65))).toBe(90 * MiB);
  });

  it('reports no peak and no crash for an empty profile', () => {
    const e = analyze(profile([], []));
    expect(e.peak).toBeNull();
    expect(summaryText(e)).toContain('no memory was recorded');
    expect(summaryJson(e)).toMatchObject({ peak: null, phases: [], series: [] });
  });

  it('prints the peak with its phase path in the text summary', () => {
    expect(summaryText(a)).toContain('Peak: 90.0 MiB (rss-tree) at 50.0 ms in b › b2 [pid 2]');
  });
});

describe("the peak of one process is never given to another process's phase", () => {
  // make -j2: cc1 (pid 11) compiles big.cc until 50 ms (gcc's reported TOTAL) and exits at 61 ms;
  // cc1 (pid 12) compiles small.cc from 30 to 90 ms. The tree peaks at 50.5 ms, while pid 11 holds most.
  const p = profile(
    [
      // gcc's TOTAL covers most of the process's life: no process row is added above it.
      { name: 'big.cc', parent: null, startMs: ms(0), endMs: ms(50), pid: 11, category: 'translation-unit' },
      { name: 'phase parsing', parent: 0, startMs: ms(0), endMs: ms(20), pid: 11, args: { reconstructed: true } },
      { name: 'small.cc', parent: null, startMs: ms(30), endMs: ms(90), pid: 12, category: 'translation-unit' },
    ],
    [
      series('rss-tree', 'rss-tree', [
        [0, 10 * MiB],
        [50.5, 200 * MiB],
        [70, 80 * MiB],
      ]),
      series(
        'rss:11',
        'rss-process',
        [
          [0, 10 * MiB],
          [50.5, 127 * MiB],
          [61, 0],
        ],
        11,
      ),
      series(
        'rss:12',
        'rss-process',
        [
          [0, 0],
          [50.5, 73 * MiB],
          [70, 80 * MiB],
        ],
        12,
      ),
    ],
  );

  it('names the last phase of the process holding it, not the compile running beside it', () => {
    const peak = analyze(p).peak!;
    expect(peak.pid).toBe(11);
    expect(peak.phasePath).toEqual([]);
    expect(peak.afterPhasePath).toEqual(['big.cc']);
    expect(summaryText(analyze(p))).toContain('at exit, after big.cc [pid 11]');
  });
});
