// The gcc -ftime-report importer on real g++ 12.2 output (test/fixtures/gcc, see COMMAND.txt):
// the block's root equals gcc's TOTAL, phase rows partition it, the `|` and "`-" rows, GGC units,
// truncated and broken inputs, sniffing.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Phase } from '../server/src/core/model';
import { ImportError } from '../server/src/core/importers/import-error';
import {
  gccTimeReportImporter,
  importGccTimeReport,
  isGccTimeReport,
  parseGccTimeReport,
} from '../server/src/core/importers/gcc-time-report';
import { ggcAllocated, offsetAndDuration, phaseTree, text } from './dump';

const dir = path.join(__dirname, 'fixtures', 'gcc');
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const O0 = 'gxx.better_sqlite3.O0.ftime-report.txt';
const O2 = 'gxx.better_sqlite3.O2.ftime-report.txt';
const DETAILS = 'gxx.better_sqlite3.O2.ftime-report-details.txt';
const MEM = 'gxx.better_sqlite3.O2.fmem-report.txt';
const CUT = 'gxx.better_sqlite3.O2.ftime-report.cut-mid-row.txt';
const TWO = 'gxx.better_sqlite3.O0+O2.two-blocks.txt';

/** Readable dump: nesting by indentation, reconstructed start and duration, GGC allocated volume. */
function dumpPhases(phases: Phase[]): string {
  return text(phaseTree(phases, [offsetAndDuration, ggcAllocated]));
}

function totalLine(text: string): string[] {
  return text
    .split('\n')
    .find((l) => l.startsWith(' TOTAL'))!
    .split(/\s+/);
}

describe('gcc -ftime-report: sniffing', () => {
  it('accepts its own fixtures and rejects others', () => {
    for (const f of [O0, O2, DETAILS, CUT, TWO])
      expect(gccTimeReportImporter.sniff(read(f), f, new Uint8Array()), f).toBe(true);
    expect(isGccTimeReport(read(MEM))).toBe(false);
    const others = [
      path.join(__dirname, 'fixtures', 'massif', 'gxx-O2.massif.out.701'),
      path.join(__dirname, 'fixtures', 'dhat', 'gcc-test_extension-O2.dhat.out.17922'),
      path.join(__dirname, 'fixtures', 'dhat', 'tsc6-trace.head64k.json'),
      path.join(__dirname, 'fixtures', 'heaptrack', 'cc1-test_extension-O2.heaptrack_print.txt'),
    ];
    for (const f of others) expect(isGccTimeReport(readFileSync(f, 'utf8').slice(0, 65536)), f).toBe(false);
  });
});

describe('gcc -ftime-report: one cc1plus block', () => {
  it('the root lasts exactly TOTAL wall, and the phase rows partition it', () => {
    for (const f of [O0, O2, DETAILS]) {
      const text = read(f);
      const wallS = Number(totalLine(text)[5]);
      const { phases } = importGccTimeReport(text, f);
      const root = phases![0]!;
      expect(root.name).toBe('cc1plus #1');
      expect(root.endMs - root.startMs).toBe(Math.round(wallS * 1000));
      const kids = phases!.filter((p) => p.parent === 0 && p.category === 'gcc-phase');
      expect(kids.map((p) => p.name)).toEqual([
        'phase setup',
        'phase parsing',
        'phase lang. deferred',
        'phase opt and generate',
      ]);
      // Back to back from the root's start.
      for (let i = 1; i < kids.length; i++) expect(kids[i]!.startMs).toBe(kids[i - 1]!.endMs);
      const sum = kids.reduce((s, p) => s + (p.endMs - p.startMs), 0);
      expect(Math.abs(sum - (root.endMs - root.startMs))).toBeLessThanOrEqual(20); // 2-decimal rounding per row
    }
  });

  it('reads O0: usr/sys/wall in ms and GGC allocated volume with binary units as args', () => {
    const { phases, warnings } = importGccTimeReport(read(O0), O0);
    const byName = (n: string) => phases!.find((p) => p.name === n)!;
    expect(byName('cc1plus #1').args).toMatchObject({
      usrMs: 1940,
      sysMs: 2250,
      wallMs: 12540,
      ggcAllocatedBytes: 276 * 1024 * 1024,
    });
    expect(byName('phase parsing').args).toEqual({
      usrMs: 980,
      sysMs: 1710,
      wallMs: 7520,
      ggcAllocatedBytes: 175 * 1024 * 1024,
      reconstructed: true, // laid out from its duration: never given a peak
    });
    expect(byName('cc1plus #1').args!.reconstructed).toBeUndefined();
    expect(byName('phase setup').args!.ggcAllocatedBytes).toBe(1448 * 1024); // "1448k"
    expect(byName('tree CFG cleanup').args!.ggcAllocatedBytes).toBe(3160); // "3160 " (bytes, blank unit)
    expect(byName('dump files').args!.ggcAllocatedBytes).toBe(0);
    // `|` rows are overlapping timers, kept apart from the main list.
    const lookup = byName('|name lookup');
    expect(phases![lookup.parent!]!.name).toBe('| overlapping timers');
    expect(lookup.endMs - lookup.startMs).toBe(2130);
    expect(warnings!.map((w) => w.code)).toEqual(['placement-reconstructed']);
  });

  it('nests the "`-" rows of -ftime-report-details under the timevar above them', () => {
    const { phases } = importGccTimeReport(read(DETAILS), DETAILS);
    const parse = phases!.findIndex((p) => p.name === 'parser (global)' && p.category === 'gcc-timevar');
    const kids = phases!.filter((p) => p.parent === parse).map((p) => p.name);
    expect(kids.slice(0, 4)).toEqual([
      'parser struct body',
      'preprocessing',
      'parser inl. func. body',
      'parser function body',
    ]);
    for (const p of phases!)
      if (p.parent !== null) {
        const parent = phases![p.parent]!;
        expect(p.startMs).toBeGreaterThanOrEqual(parent.startMs);
        expect(p.endMs).toBeLessThanOrEqual(parent.endMs);
      }
  });

  it('matches the snapshot of its phase tree', async () => {
    for (const f of [O0, DETAILS])
      await expect(dumpPhases(importGccTimeReport(read(f), f).phases!)).toMatchFileSnapshot(
        path.join(dir, 'expected', `${f}.phases.txt`),
      );
  });
});

describe('gcc -ftime-report: several blocks, cut and broken files', () => {
  it('gives one root per block, back to back', () => {
    const { phases } = importGccTimeReport(read(TWO), TWO);
    const roots = phases!.filter((p) => p.parent === null);
    expect(roots.map((r) => [r.name, r.startMs, r.endMs])).toEqual([
      ['cc1plus #1', 0, 12540],
      ['cc1plus #2', 12540, 12540 + 7480],
    ]);
  });

  it('keeps what a file cut in the middle of a row holds, with a warning', () => {
    const parsed = parseGccTimeReport(read(CUT), CUT);
    expect(parsed.blocks[0]!.total).toBeUndefined();
    expect(parsed.warnings.map((w) => w.message)).toEqual([
      'the last row is cut: "tree CFG cleanup                   :   0.04 (  1%)   0.02 (  1%)   0.0" (skipped)',
      'block 1 has no TOTAL row (the output was cut): its total is the sum of its phase rows',
    ]);
    const { phases } = importGccTimeReport(read(CUT), CUT);
    expect(phases![0]!.endMs).toBe(10 + 4130 + 340 + 3000);
  });

  it('reports a row that is not a row, with its line', () => {
    const text = read(O2).replace(' dump files ', ' dump files oops 1.0\nsomething else\n');
    expect(() => importGccTimeReport(text, O2)).toThrow(ImportError);
    expect(() => importGccTimeReport(text, O2)).toThrow(
      `${O2}:9: not a row of gcc's time report: "dump files oops 1.0"`,
    );
  });

  it('says "not this format" for a file without the header', async () => {
    await expect(gccTimeReportImporter.importFile(path.join(dir, MEM))).rejects.toMatchObject({
      kind: 'not-this-format',
    });
    await expect(gccTimeReportImporter.importFile(path.join(dir, 'nope.txt'))).rejects.toThrow(
      'nope.txt: no such file',
    );
  });
});
