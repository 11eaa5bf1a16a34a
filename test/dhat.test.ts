// The DHAT importer on real valgrind 3.19 DHAT files of one gcc run (driver, cc1, as) and a real
// dhat-rs 0.3.3 file (see test/fixtures/dhat/COMMAND.txt): the t-gmax peak against valgrind's own
// summary, the heap series whose maximum is that peak (what `cmi import` then calls the peak), the
// sites live at it, a cut file, sniffing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPeak } from '../server/src/core/analysis/analyze';
import { emptyProfile, mergeContribution } from '../server/src/core/model';
import type { ImportResult } from '../server/src/core/importers/importer';
import { dhatImporter, importDhat, isDhat, parseDhat, summarizeDhat } from '../server/src/core/importers/dhat';
import { formatBytes } from '../common/format';
import { markerLines, processLines, seriesLines, text, warningLines } from './dump';
import { blankRunFacts, cliPath } from './helpers';

const dir = path.join(__dirname, 'fixtures', 'dhat');
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const FILES = [
  'gcc-test_extension-O2.dhat.out.17922',
  'gcc-test_extension-O2.dhat.out.17923',
  'gcc-test_extension-O2.dhat.out.17924',
];
const CUT = 'gcc-test_extension-O2.dhat.out.17923.cut-500000';
/** dhat-rs 0.3.3 ("mode": "rust-heap", times in µs) on a Rust program of the Azure SDK, made on Windows. */
const RUST = 'dhat-rs-pk_range_dhat.dhat-heap.json';

/** valgrind's own summary per pid: "==PID== At t-gmax: 2,762,039 bytes in 3,608 blocks", and Total / At t-end. */
function valgrindSummary(pid: number): { peakBytes: number; peakBlocks: number; totalBytes: number; endBytes: number } {
  const log = read('gcc-test_extension-O2.valgrind.log');
  const get = (label: string) => {
    const m = new RegExp(`==${pid}== ${label}\\s+([\\d,]+) bytes(?: in ([\\d,]+) blocks)?`).exec(log)!;
    return [Number(m[1]!.replace(/,/g, '')), Number((m[2] ?? '0').replace(/,/g, ''))] as const;
  };
  return {
    peakBytes: get('At t-gmax:')[0],
    peakBlocks: get('At t-gmax:')[1],
    totalBytes: get('Total:')[0],
    endBytes: get('At t-end:')[0],
  };
}

/** Readable dump: the processes, the heap series, the peak and its sites, the warnings. */
function dump(r: ImportResult): string {
  return text([
    ...processLines(r.processes!, { argvCount: true, lifetime: true }),
    ...seriesLines(r.series!, { label: 'kind-and-name', timeRange: true }),
    ...markerLines(r.markers!, { time: true }),
    ...warningLines(r.warnings!),
  ]);
}

/** The profile's peak once the import is merged into an empty profile, as `cmi import` / `cmi summary` find it. */
function peakOf(r: ImportResult) {
  const p = emptyProfile(blankRunFacts());
  mergeContribution(p, r);
  return findPeak(p);
}

describe('dhat: sniffing', () => {
  it('accepts DHAT files and rejects the others', () => {
    for (const f of [...FILES, CUT, RUST])
      expect(dhatImporter.sniff(read(f).slice(0, 65536), f, new Uint8Array()), f).toBe(true);
    for (const f of [
      'tsc6-trace.head64k.json',
      '../massif/gxx-O2.massif.out.700',
      '../gcc/gxx.better_sqlite3.O2.ftime-report.txt',
      '../heaptrack/cc1-test_extension-O2.heaptrack_print.txt',
    ]) {
      expect(isDhat(read(f).slice(0, 65536)), f).toBe(false);
    }
  });
});

describe('dhat: real files', () => {
  it('JSON.parse reads the leading-comma layout; the t-gmax total equals valgrind\'s "At t-gmax"', () => {
    for (const f of FILES) {
      const d = parseDhat(read(f), f);
      const s = summarizeDhat(d);
      const v = valgrindSummary(d.pid);
      expect(
        { peakBytes: s.peakBytes, peakBlocks: s.peakBlocks, totalBytes: s.totalBytes, endBytes: s.endBytes },
        f,
      ).toEqual(v);
      // The sites partition the peak.
      expect(
        s.peakSites.reduce((a, x) => a + x.bytes, 0),
        f,
      ).toBe(s.peakBytes);
    }
  });

  it('cc1: a heap series whose maximum is t-gmax, at tg on a pseudo-time axis; the sites live at it', () => {
    const r = importDhat(read(FILES[1]!), FILES[1]);
    const v = valgrindSummary(17923);
    // Three points DHAT knows: nothing at the start, t-gmax at tg, t-end at te (instructions: 1 ms per million).
    expect(r.series).toHaveLength(1);
    const heap = r.series![0]!;
    expect(heap).toMatchObject({ id: 'dhat-heap:17923', kind: 'allocator-heap', source: 'valgrind DHAT', pid: 17923 });
    expect([...heap.tMs]).toEqual([0, 101.270077, 103.345646]);
    expect([...heap.bytes]).toEqual([0, v.peakBytes, v.endBytes]);
    expect(peakOf(r)).toMatchObject({ bytes: v.peakBytes, atMs: 101.270077, series: 'dhat-heap:17923' });
    expect(r.processes).toEqual([
      {
        pid: 17923,
        argv: expect.arrayContaining(['deps/test_extension.c', '-O2']),
        label: 'cc1',
        startMs: 0,
        endMs: 103.345646,
      },
    ]);
    const peak = r.markers!.find((m) => m.kind === 'peak')!;
    expect(peak.tMs).toBe(101.270077);
    expect(peak.detail).toBe(
      '2762039 bytes in 3608 blocks at 101270077 instrs of 103345646; total allocated 10360015 bytes; live at end 1922687 bytes',
    );
    const sites = r.markers!.filter((m) => m.kind === 'peak-site');
    expect(sites.length).toBe(20);
    for (const s of sites) {
      expect(s.name).not.toMatch(/^(?:malloc|calloc|realloc|xmalloc|xcalloc|operator new)/);
      expect(s.tMs).toBe(101.270077);
    }
    expect(r.warnings!.map((w) => w.code)).toEqual(['no-timeline']);
    expect(r.warnings![0]!.message).toContain('pseudo-time, 1 ms per million instructions');
  });

  it('dhat-rs: the peak is t-gmax at tg µs, and the sites are the code above the standard library', () => {
    const d = parseDhat(read(RUST), RUST);
    const s = summarizeDhat(d);
    // The file's own figures: the sum of "gb" over the program points, at "tg": 1085 µs.
    const gb = d.pps.reduce((n, pp) => n + (pp.gb ?? 0), 0);
    expect(gb).toBe(106564);
    expect(s.peakBytes).toBe(gb);
    expect(s.peakSites.reduce((n, x) => n + x.bytes, 0)).toBe(gb);
    const r = importDhat(read(RUST), RUST);
    expect(r.series![0]).toMatchObject({ id: 'dhat-heap:9360', kind: 'allocator-heap', source: 'dhat crate' });
    expect([...r.series![0]!.tMs]).toEqual([0, 1.085, 1.247]);
    expect(peakOf(r)).toMatchObject({ bytes: gb, atMs: 1.085 });
    // What is live at the peak: no frame of alloc::, core::, hashbrown:: or dhat's own allocator. By hand
    // from the file: try_create holds the hashbrown table (71952) and five small vectors; main the rest.
    const sites = r.markers!.filter((m) => m.kind === 'peak-site');
    expect(sites.map((m) => m.name)).toEqual([
      'azure_data_cosmos_driver::driver::cache::container_routing_map::ContainerRoutingMap::try_create',
      'pk_range_dhat::main',
    ]);
    expect(sites.map((m) => m.detail!.split(' ')[0])).toEqual(['73012', '33552']);
    expect(r.warnings!.map((w) => w.message)).toEqual([
      'DHAT records the heap only at its peak (t-gmax) and at the end: the heap of pk_range_dhat.exe (pid 9360) is 3 points (start, t-gmax, end), not a timeline; times are µs since the program started',
    ]);
  });

  it('cmi import prints the peak: t-gmax, with its series (valgrind DHAT and dhat-rs)', () => {
    for (const [f, bytes] of [
      [FILES[1]!, 2762039],
      [RUST, 106564],
    ] as const) {
      const out = execFileSync(process.execPath, [cliPath, 'import', path.join(dir, f)], { encoding: 'utf8' });
      expect(out, f).toMatch(
        new RegExp(
          `^Peak of the live heap: ${formatBytes(bytes).replace('.', '\\.')} \\(heap of .* \\(DHAT: live bytes at t-gmax and at the end\\)\\) at `,
          'm',
        ),
      );
      expect(out, f).not.toContain('no memory was recorded');
    }
  });

  it('matches the snapshot of each file', async () => {
    for (const f of [...FILES, RUST])
      await expect(dump(importDhat(read(f), f))).toMatchFileSnapshot(path.join(dir, 'expected', `${f}.dump.txt`));
  });
});

describe('dhat: cut and broken files', () => {
  it('a cut file is broken, with the byte offset where the JSON ends', () => {
    const text = read(CUT);
    expect(() => importDhat(text, CUT)).toThrow(`${CUT} (byte 500000): not valid JSON (the file ends early: cut?)`);
  });

  it('a frame index outside ftbl is broken', () => {
    const text = read(FILES[2]!).replace('"fs":[1,2,3', '"fs":[9999,2,3');
    const at = Buffer.byteLength(text.slice(0, text.indexOf('"fs":[9999,2,3')));
    expect(() => importDhat(text, FILES[2])).toThrow(
      `${FILES[2]} (byte ${at}): program point 0 has a frame index outside ftbl (186 frames)`,
    );
  });

  it('says "not this format" and "no such file"', async () => {
    await expect(dhatImporter.importFile(path.join(dir, 'tsc6-trace.head64k.json'))).rejects.toMatchObject({
      kind: 'not-this-format',
    });
    await expect(dhatImporter.importFile(path.join(dir, 'dhat.out.1'))).rejects.toThrow('dhat.out.1: no such file');
  });
});
