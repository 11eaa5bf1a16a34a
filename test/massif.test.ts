// The valgrind massif importer on real massif 3.19 files (test/fixtures/massif, see COMMAND.txt): the
// heap series per process, the peak cross-checked against ms_print run on the same file, the sites
// live at the peak, --pages-as-heap, a cut file, sniffing.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportResult } from '../server/src/core/importers/importer';
import { importMassif, isMassif, massifImporter, parseMassif } from '../server/src/core/importers/massif';
import { markerLines, processLines, seriesLines, text, warningLines } from './dump';

const dir = path.join(__dirname, 'fixtures', 'massif');
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const DRIVER = 'gxx-O2.massif.out.700';
const CC1PLUS = 'gxx-O2.massif.out.701';
const AS = 'gxx-O2.massif.out.4217';
const PAGES = 'cc1plus-O2.pages-as-heap.massif.out.5882';
const CUT = 'gxx-O2.massif.out.701.cut-200000';
const ALL = [DRIVER, CC1PLUS, AS, PAGES];

// ms_print --version exits 255 (after printing its version): only ask whether it runs.
const hasMsPrint = spawnSync('ms_print', ['--version']).error === undefined;

/** The peak as ms_print reports it: the total(B) of the snapshot marked "(peak)". */
function msPrintPeak(file: string): { snapshot: number; timeMs: number; totalBytes: number } {
  const out = execFileSync('ms_print', [file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const snapshot = Number(/Detailed snapshots: \[(?:.*?, )?(\d+) \(peak\)/.exec(out)![1]);
  const row = new RegExp(`^\\s+${snapshot}\\s+([\\d,]+)\\s+([\\d,]+)\\s`, 'm').exec(out)!;
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { snapshot, timeMs: n(row[1]!), totalBytes: n(row[2]!) };
}

/** Readable dump: the series (samples, range, max), the peak marker and the top sites. */
function dump(r: ImportResult): string {
  return text([
    ...seriesLines(r.series!, { label: 'kind-and-name', pid: true, timeRange: true }),
    ...markerLines(r.markers!, { time: true, detailChars: 140, wholePeakDetail: true }),
    ...processLines(r.processes!, { lifetime: true }),
    ...warningLines(r.warnings!),
  ]);
}

describe('massif: sniffing', () => {
  it('accepts massif files and rejects the others', () => {
    for (const f of [...ALL, CUT])
      expect(massifImporter.sniff(read(f).slice(0, 65536), f, new Uint8Array()), f).toBe(true);
    for (const f of [
      `${CC1PLUS}.ms_print.txt`,
      '../heaptrack/cc1-test_extension-O2.heaptrack_print.massif.out', // heaptrack's massif-like output has no header
      '../gcc/gxx.better_sqlite3.O2.ftime-report.txt',
      '../dhat/gcc-test_extension-O2.dhat.out.17922',
      '../dhat/tsc6-trace.head64k.json',
    ])
      expect(isMassif(read(f).slice(0, 65536)), f).toBe(false);
  });
});

describe('massif: real files', () => {
  it.skipIf(!hasMsPrint)('finds the same peak as ms_print on every file', () => {
    for (const f of ALL) {
      const parsed = parseMassif(read(f), f);
      const peak = parsed.snapshots[parsed.peak!]!;
      const ms = msPrintPeak(path.join(dir, f));
      expect(
        {
          snapshot: peak.index,
          timeMs: peak.time,
          totalBytes: peak.heapBytes + peak.heapExtraBytes + peak.stacksBytes,
        },
        f,
      ).toEqual(ms);
      // The series' maximum is the peak, except that massif's peak is approximate (--peak-inaccuracy,
      // 1 %): with --pages-as-heap a later snapshot measured 311,701,504 B against the peak's 311,017,472.
      const { series, markers } = importMassif(read(f), f);
      const max = Math.max(...series![0]!.bytes);
      expect(max, f).toBeGreaterThanOrEqual(ms.totalBytes);
      expect(max / ms.totalBytes, f).toBeLessThan(1.01);
      if (f !== PAGES) expect(max, f).toBe(ms.totalBytes);
      expect(markers!.find((m) => m.kind === 'peak')!.tMs).toBe(ms.timeMs);
    }
  });
  if (!hasMsPrint) it.skip('ms_print is not installed: the peak is not cross-checked', () => {});

  it('cc1plus: 62 snapshots in ms, pid from the file name, 17.45 MB peak at 88,861 ms with its sites', () => {
    const r = importMassif(read(CC1PLUS), CC1PLUS);
    const [heap] = r.series!;
    expect(heap).toMatchObject({
      id: 'massif-heap:701',
      kind: 'allocator-heap',
      pid: 701,
      name: 'heap of cc1plus (pid 701) (massif: useful + allocator overhead)',
    });
    expect(heap!.tMs.length).toBe(62);
    expect(r.series).toHaveLength(1); // no --stacks=yes
    const peak = r.markers!.find((m) => m.kind === 'peak')!;
    expect(peak).toMatchObject({
      tMs: 88861,
      pid: 701,
      detail: '17454784 bytes (heap 16575269 + extra 879515 + stacks 0) at snapshot 59',
    });
    const sites = r.markers!.filter((m) => m.kind === 'peak-site');
    expect(sites.length).toBeGreaterThan(5);
    // Sites are frames above the allocator (xcalloc, ggc_internal_alloc, operator new …), biggest first.
    for (const s of sites)
      expect(s.name).not.toMatch(/^(?:xmalloc|xcalloc|malloc|operator new|ggc_internal_alloc|\?\?\?)/);
    for (let i = 1; i < sites.length; i++)
      expect(Number(sites[i]!.detail!.split(' ')[0])).toBeLessThanOrEqual(Number(sites[i - 1]!.detail!.split(' ')[0]));
    expect(r.processes).toEqual([
      {
        pid: 701,
        argv: expect.arrayContaining(['-O2', 'src/better_sqlite3.cpp']),
        label: 'cc1plus',
        startMs: 0,
        endMs: 90922,
      },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('--pages-as-heap: mapped pages, named so, 296.6 MiB peak (the snapshot massif marks as peak)', () => {
    const r = importMassif(read(PAGES), PAGES);
    expect(r.series![0]).toMatchObject({
      id: 'massif-pages:5882',
      name: 'mapped pages of cc1plus (pid 5882) (massif --pages-as-heap, closer to RSS)',
    });
    expect(r.markers!.find((m) => m.kind === 'peak')!.detail).toMatch(/^311017472 bytes/);
    expect((311017472 / 1024 / 1024).toFixed(1)).toBe('296.6');
  });

  it('matches the snapshot of each file', async () => {
    for (const f of ALL)
      await expect(dump(importMassif(read(f), f))).toMatchFileSnapshot(path.join(dir, 'expected', `${f}.dump.txt`));
  });
});

describe('massif: cut and broken files', () => {
  it('keeps the snapshots of a file cut inside a heap tree, with warnings', () => {
    const r = importMassif(read(CUT), CUT);
    expect(r.series![0]!.tMs.length).toBe(50);
    expect(r.warnings!.map((w) => `${w.line}: ${w.message}`)).toEqual([
      `${read(CUT).split('\n').length}: the file ends in the middle of a line (cut?): "         n1: 249368 0xCB5071: ??? (in /usr/lib/gcc/x86_64-linu" is skipped`,
      'undefined: no peak snapshot (heap_tree=peak) in the file',
    ]);
  });

  it('reports a broken field with its line', () => {
    const text = read(DRIVER).replace('mem_heap_B=', 'mem_heap_B=x');
    expect(() => importMassif(text, DRIVER)).toThrow(`${DRIVER}:8: mem_heap_B is not a number: "x0"`);
  });

  it('says "not this format" and "no such file"', async () => {
    await expect(massifImporter.importFile(path.join(dir, `${CC1PLUS}.ms_print.txt`))).rejects.toMatchObject({
      kind: 'not-this-format',
    });
    await expect(massifImporter.importFile(path.join(dir, 'massif.out.1'))).rejects.toThrow(
      'massif.out.1: no such file',
    );
  });
});
