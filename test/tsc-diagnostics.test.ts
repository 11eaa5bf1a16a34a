// tsc's statistics table (--diagnostics / --extendedDiagnostics) from real TypeScript 6 and 7 runs on
// rxjs (test/fixtures/typescript/COMMAND.txt), including a table cut in the middle of a row.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../server/src/core/importers/import-error';
import {
  importTscDiagnostics,
  isTscDiagnostics,
  parseTscDiagnostics,
} from '../server/src/core/importers/tsc-diagnostics';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', 'typescript', name), 'utf8');

/** A readable dump of laid-out phases: "name start–end (duration)". */
function phaseDump(phases: { name: string; startMs: number; endMs: number }[]): string {
  return phases
    .map((p) => `${p.name} ${p.startMs.toFixed(0)}–${p.endMs.toFixed(0)} ms (${(p.endMs - p.startMs).toFixed(0)} ms)`)
    .join('\n');
}

describe('tsc statistics table', () => {
  it('sniffs the table after type errors, and nothing else', () => {
    for (const f of [
      'ts6-extendedDiagnostics.stdout.txt',
      'ts6-diagnostics.stdout.txt',
      'ts7-extendedDiagnostics.stdout.txt',
      'ts7-diagnostics.stdout.txt',
    ]) {
      expect(isTscDiagnostics(fixture(f)), f).toBe(true);
    }
    expect(isTscDiagnostics("src/a.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.\n")).toBe(
      false,
    );
    expect(isTscDiagnostics(fixture('COMMAND.txt'))).toBe(false);
  });

  it('reads TS 6 --extendedDiagnostics: every measure, seconds to ms, Memory used with K = 1000 B', () => {
    const d = parseTscDiagnostics(fixture('ts6-extendedDiagnostics.stdout.txt'), 'ts6-extendedDiagnostics.stdout.txt');
    expect(d.version).toBe(6);
    expect(d.rows.get('Files')).toBe('308');
    expect(d.rows.get('Lines of Library')).toBe('55727');
    expect(d.rows.size).toBe(28);
    expect(d.memoryUsedBytes).toBe(181_613_000);
    expect(d.timesMs).toEqual({
      'I/O Read': 20,
      Parse: 570,
      ResolveModule: 30,
      Program: 680,
      Bind: 330,
      Check: 3200,
      transformTime: 260,
      commentTime: 10,
      'I/O Write': 140,
      printTime: 650,
      Emit: 650,
      Total: 4860,
    });
  });

  it('reads TS 6 --diagnostics, whose "Parse time" is the Program measure', () => {
    const d = parseTscDiagnostics(fixture('ts6-diagnostics.stdout.txt'));
    expect(d.version).toBe(6);
    expect(d.memoryUsedBytes).toBe(172_621_000);
    expect(d.timesMs).toMatchObject({
      'I/O read': 40,
      'I/O write': 130,
      Parse: 530,
      Bind: 200,
      Check: 1960,
      Emit: 470,
      Total: 3160,
    });
    const c = importTscDiagnostics(fixture('ts6-diagnostics.stdout.txt'), 'ts6-diagnostics.stdout.txt');
    expect(phaseDump(c.phases!)).toBe(
      [
        'Program 0–530 ms (530 ms)',
        'Bind 530–730 ms (200 ms)',
        'Check 730–2690 ms (1960 ms)',
        'Emit 2690–3160 ms (470 ms)',
      ].join('\n'),
    );
    expect(c.phases!.at(-1)).toMatchObject({ memEndBytes: 172_621_000, memKind: 'js-heap' });
  });

  it('reads TS 7: 3-decimal times, Memory allocs, Memory used with K = 1024 B, phases laid out in order', () => {
    for (const f of ['ts7-extendedDiagnostics.stdout.txt', 'ts7-diagnostics.stdout.txt']) {
      const d = parseTscDiagnostics(fixture(f), f);
      expect(d.version, f).toBe(7);
      expect(d.rows.has('Memory allocs'), f).toBe(true);
    }
    const d = parseTscDiagnostics(fixture('ts7-extendedDiagnostics.stdout.txt'));
    expect(d.memoryUsedBytes).toBe(96_724 * 1024);
    expect(d.timesMs).toEqual({ Config: 1, Parse: 65, Bind: 28, Check: 298, Emit: 113, Total: 509 });

    const c = importTscDiagnostics(fixture('ts7-extendedDiagnostics.stdout.txt'), 'ts7-extendedDiagnostics.stdout.txt');
    expect(phaseDump(c.phases!)).toBe(
      [
        'Config 0–1 ms (1 ms)',
        'Parse 1–66 ms (65 ms)',
        'Bind 66–94 ms (28 ms)',
        'Check 94–392 ms (298 ms)',
        'Emit 392–505 ms (113 ms)',
      ].join('\n'),
    );
    expect(c.phases!.at(-1)).toMatchObject({ memEndBytes: 96_724 * 1024, memKind: 'compiler-reported' });
    expect(c.warnings!.map((w) => w.code)).toEqual(['tsc-phases-reconstructed']);
    expect(c.warnings![0]!.message).toContain('placement is reconstructed');
    expect(c.sources).toEqual(['tsc-diagnostics']);
  });

  it('names the file and line of a table cut in the middle of a row', () => {
    const name = 'ts6-extendedDiagnostics.cut-mid-row.stdout.txt';
    const text = fixture(name);
    expect(isTscDiagnostics(text)).toBe(true);
    let error: unknown;
    try {
      parseTscDiagnostics(text, name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ file: name, line: 29 });
    expect((error as Error).message).toBe(
      `${name}:29: row "Check time": "3." is not a time in seconds like "3.20s" (the table is cut or damaged)`,
    );
    expect(() => importTscDiagnostics(text, name)).toThrow(ImportError);
  });

  it('rejects text without a table with a typed error', () => {
    expect(() => parseTscDiagnostics('Version 6.0.3\n', 'version.txt')).toThrow(/version\.txt:1: no tsc/);
  });
});
