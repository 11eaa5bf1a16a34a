// The heaptrack importer on real heaptrack 1.4.0 files (test/fixtures/heaptrack, see COMMAND.txt):
// zstd decoding, the live-heap and RSS series, the peak against heaptrack_print run on the same file,
// the sites live at the peak, a cut .zst, the RAW format, sniffing, and decoding throughput.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectImporter, readHead } from '../server/src/core/importers';
import type { ImportResult } from '../server/src/core/importers/importer';
import {
  decompressZstd,
  heaptrackImporter,
  importHeaptrackBytes,
  isHeaptrack,
} from '../server/src/core/importers/heaptrack';
import { markerLines, seriesLines, text, warningLines } from './dump';

const dir = path.join(__dirname, 'fixtures', 'heaptrack');
const bytesOf = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
const CC1 = 'cc1-test_extension-O2.heaptrack.zst';
const RUSTC = 'rustc-wordfreq-O.preload.heaptrack.zst';
const RAW = 'cc1-test_extension-O2.RAW.heaptrack.raw.zst';
const CUT = 'cc1-test_extension-O2.heaptrack.cut-60000.zst';

const hasHeaptrackPrint = spawnSync('heaptrack_print', ['--version']).error === undefined;

/** heaptrack_print's figure, e.g. "peak heap memory consumption: 2.84M" (SI prefixes, 1000-based). */
function heaptrackPrintPeak(file: string): string {
  const out = execFileSync('heaptrack_print', ['-f', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return /peak heap memory consumption: ([\d.]+[KMG]?B?)/.exec(out)![1]!;
}

/** heaptrack's own formatting of a byte count: 1000-based, 2 decimals, K/M/G. */
function asHeaptrackPrints(bytes: number): string {
  const units = ['', 'K', 'M', 'G'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(2)}${units[u]}`;
}

/** Readable dump: the series (samples, range, max), the peak and its sites, the warnings. */
function dump(r: ImportResult): string {
  return text([
    ...seriesLines(r.series!, { label: 'kind-and-name', timeRange: true }),
    ...markerLines(r.markers!, { time: true, detailChars: 160 }),
    ...warningLines(r.warnings!),
  ]);
}

describe('heaptrack: sniffing', () => {
  it('recognises heaptrack data by its content, whatever the file is called', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-heaptrack-'));
    try {
      for (const f of [CC1, RUSTC, CUT, RAW]) {
        // RAW recordings are recognised too: importing one says to run heaptrack_interpret.
        const renamed = path.join(tmp, 'data.bin');
        copyFileSync(path.join(dir, f), renamed);
        const { head, bytes } = await readHead(renamed);
        expect(heaptrackImporter.sniff(head, 'data.bin', bytes), f).toBe(true);
        expect((await detectImporter(renamed)).format, f).toBe('heaptrack');
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    for (const f of [
      '../dhat/tsc6-trace.head64k.json',
      '../massif/gxx-O2.massif.out.700',
      '../gcc/gxx.better_sqlite3.O2.ftime-report.txt',
      'cc1-test_extension-O2.heaptrack_print.txt',
    ]) {
      const b = bytesOf(f).subarray(0, 65536);
      expect(isHeaptrack(Buffer.from(b).toString('utf8')), f).toBe(false);
    }
  });
});

describe('heaptrack: real files', () => {
  it.skipIf(!hasHeaptrackPrint)('finds the peak heap_print reports, on both fixtures', () => {
    for (const f of [CC1, RUSTC]) {
      const r = importHeaptrackBytes(bytesOf(f), f);
      const peak = Number(r.markers!.find((m) => m.kind === 'peak')!.detail!.split(' ')[0]);
      expect(asHeaptrackPrints(peak), f).toBe(heaptrackPrintPeak(path.join(dir, f)));
      expect(Math.max(...r.series![0]!.bytes), f).toBe(peak);
    }
  });
  if (!hasHeaptrackPrint) it.skip('heaptrack_print is not installed: the peak is not cross-checked', () => {});

  it('cc1: heap and RSS series, every allocation counted, sites resolved to function names', () => {
    const r = importHeaptrackBytes(bytesOf(CC1), CC1);
    const [heap, rss] = r.series!;
    expect(heap).toMatchObject({ kind: 'allocator-heap', source: 'heaptrack' });
    expect(rss).toMatchObject({ kind: 'rss-process', source: 'heaptrack' });
    expect(rss!.tMs.length).toBe(5); // 5 R lines
    expect(r.tools).toEqual({ heaptrack: '1.4.0' });
    // heaptrack_print: "calls to allocation functions: 13438"
    expect(r.markers![0]!.detail).toMatch(/\(13438 allocations, 10105 frees in the file\)$/);
    const sites = r.markers!.filter((m) => m.kind === 'peak-site');
    expect(sites.length).toBeGreaterThan(5);
    for (const s of sites) expect(s.name).not.toMatch(/^(?:xmalloc|xcalloc|malloc|operator new|\?\?)$/);
    expect(r.warnings).toEqual([]);
  });

  it('matches the snapshot of both files', async () => {
    for (const f of [CC1, RUSTC])
      await expect(dump(importHeaptrackBytes(bytesOf(f), f))).toMatchFileSnapshot(
        path.join(dir, 'expected', `${f}.dump.txt`),
      );
  });

  it('decodes fast enough to report a throughput (MB of text per second)', () => {
    const b = bytesOf(CC1);
    const t0 = performance.now();
    const { data } = decompressZstd(b);
    const t1 = performance.now();
    importHeaptrackBytes(b, CC1);
    const t2 = performance.now();
    const mb = data.length / 1e6;
    // Printed for the record (timings belong in bench/, so nothing is asserted on them).
    process.stdout.write(
      `heaptrack ${CC1}: ${mb.toFixed(2)} MB text; zstd ${(mb / ((t1 - t0) / 1000)).toFixed(1)} MB/s; import ${(mb / ((t2 - t1) / 1000)).toFixed(1)} MB/s\n`,
    );
    expect(data.length).toBe(457500);
  });
});

describe('heaptrack: cut and broken files', () => {
  it('a cut .zst keeps what decoded, with warnings naming where it stops', () => {
    const r = importHeaptrackBytes(bytesOf(CUT), CUT);
    expect(r.warnings!.map((w) => w.code)).toEqual(['zstd-truncated', 'heaptrack-truncated', 'heaptrack-incomplete']);
    expect(r.warnings![0]!.message).toMatch(
      /^the zstd data ends early \(cut\?\) near compressed byte 60000: the \d+ bytes decoded before it are kept$/,
    );
    expect(r.series![0]!.tMs.length).toBeGreaterThan(0);
  });

  it('a RAW recording is refused with the way out', () => {
    expect(() => importHeaptrackBytes(bytesOf(RAW), RAW)).toThrow(
      `${RAW}:2: this is a RAW heaptrack recording (heaptrack -r): run heaptrack_interpret on it first`,
    );
  });

  it('an unknown record is broken, with its line', () => {
    const text = Buffer.from(decompressZstd(bytesOf(CC1)).data)
      .toString('utf8')
      .replace('\nc 2d\n', '\nc 2d\nQ oops\n');
    const line = text.split('\n').indexOf('Q oops') + 1;
    expect(() => importHeaptrackBytes(Buffer.from(text), CC1)).toThrow(`${CC1}:${line}: unknown record: "Q oops"`);
  });

  it('no such file', async () => {
    await expect(heaptrackImporter.importFile(path.join(dir, 'heaptrack.x.1.zst'))).rejects.toThrow(
      'heaptrack.x.1.zst: no such file',
    );
  });
});
