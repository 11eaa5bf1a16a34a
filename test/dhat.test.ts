// The DHAT importer on real valgrind 3.19 DHAT files of one gcc run (driver, cc1, as; see
// test/fixtures/dhat/COMMAND.txt): the t-gmax peak against valgrind's own summary, the sites live at
// it, a cut file, sniffing.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportResult } from '../server/src/core/importers/importer';
import { dhatImporter, importDhat, isDhat, parseDhat, summarizeDhat } from '../server/src/core/importers/dhat';
import { markerLines, processLines, text, warningLines } from './dump';

const dir = path.join(__dirname, 'fixtures', 'dhat');
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const FILES = [
  'gcc-test_extension-O2.dhat.out.17922',
  'gcc-test_extension-O2.dhat.out.17923',
  'gcc-test_extension-O2.dhat.out.17924',
];
const CUT = 'gcc-test_extension-O2.dhat.out.17923.cut-500000';

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

/** Readable dump: the processes, the peak and its sites, the warnings. */
function dump(r: ImportResult): string {
  return text([
    ...processLines(r.processes!, { argvCount: true }),
    ...markerLines(r.markers!),
    ...warningLines(r.warnings!),
  ]);
}

describe('dhat: sniffing', () => {
  it('accepts DHAT files and rejects the others', () => {
    for (const f of [...FILES, CUT])
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

  it('cc1: the peak and its sites as markers, the process from cmd and pid, no timeline', () => {
    const r = importDhat(read(FILES[1]!), FILES[1]);
    expect(r.series).toBeUndefined();
    expect(r.processes).toEqual([
      { pid: 17923, argv: expect.arrayContaining(['deps/test_extension.c', '-O2']), label: 'cc1', startMs: 0 },
    ]);
    const peak = r.markers!.find((m) => m.kind === 'peak')!;
    expect(peak.detail).toBe(
      '2762039 bytes in 3608 blocks at 101270077 instrs of 103345646; total allocated 10360015 bytes; live at end 1922687 bytes',
    );
    const sites = r.markers!.filter((m) => m.kind === 'peak-site');
    expect(sites.length).toBe(20);
    for (const s of sites) expect(s.name).not.toMatch(/^(?:malloc|calloc|realloc|xmalloc|xcalloc|operator new)/);
    expect(r.warnings!.map((w) => w.code)).toEqual(['no-timeline']);
  });

  it('matches the snapshot of each file', async () => {
    for (const f of FILES)
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
    expect(() => importDhat(text, FILES[2])).toThrow(
      `${FILES[2]}: program point 0 has a frame index outside ftbl (186 frames)`,
    );
  });

  it('says "not this format" and "no such file"', async () => {
    await expect(dhatImporter.importFile(path.join(dir, 'tsc6-trace.head64k.json'))).rejects.toMatchObject({
      kind: 'not-this-format',
    });
    await expect(dhatImporter.importFile(path.join(dir, 'dhat.out.1'))).rejects.toThrow('dhat.out.1: no such file');
  });
});
