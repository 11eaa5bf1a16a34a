// Damaged copies of real fixtures, made here from the real files: every importer either imports
// with a warning that says what is wrong and where, or fails with an ImportError that names the file
// and the line or byte. Nothing crashes, nothing hangs, nothing absurd passes without a word.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, importFile } from '../server/src/core/importers';
import { inflateZstd } from '../server/src/core/importers/decompress';
import { dropImplausible } from '../server/src/core/importers/drop-implausible';
import type { ImportResult } from '../server/src/core/importers/importer';
import { parseEsbuildTiming } from '../server/src/core/importers/esbuild-timing';
import { layoutReportTree } from '../server/src/core/importers/rollup-perf';
import { ms } from '../server/src/core/units';
import { cliPath, repoRoot } from './helpers';
import { phaseTree, seriesLines, startPlusDuration, text, warningLines } from './dump';

const fx = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-damage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes a damaged copy into the temp dir and returns its path. */
function copy(name: string, content: Buffer | string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, content);
  return f;
}

/** One real file of every text format. */
const TEXT_FIXTURES: [string, string][] = [
  [fx('chrome-trace', 'tsc6.rxjs.trace.json'), 'chrome-trace'],
  [fx('dhat', 'dhat-rs-pk_range_dhat.dhat-heap.json'), 'dhat'],
  [fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'esbuild-timing'],
  [fx('gcc', 'gxx.better_sqlite3.O2.ftime-report.txt'), 'gcc-time-report'],
  [fx('massif', 'gxx-O2.massif.out.4217'), 'massif'],
  [fx('rolldown', 'api.RD_LOG-stages-filter.NO_COLOR.stdout.txt'), 'rolldown-log'],
  [fx('rollup', 'rollup.three.perf.nocolor.stdout.txt'), 'rollup-perf'],
  [fx('rollup', 'rollup.three.api-getTimings.json'), 'rollup-perf'],
  [fx('rustc', 'time-passes.regex-syntax.debug.txt'), 'rustc-time-passes'],
  [fx('rustc', 'cargo-build.debug.j2.stderr.txt'), 'rustc-time-passes'],
  [fx('typescript', 'ts6-extendedDiagnostics.stdout.txt'), 'tsc-diagnostics'],
  [fx('voyd', 'markdown.emit-wasm.node22.perf.json'), 'voyd-perf'],
  [fx('go-gctrace', 'gctrace.go-types.stderr.txt'), 'go-gctrace'],
  [fx('jvm-gc-log', 'javac25.juc.Xlog-gc.log'), 'jvm-gc-log'],
];

/** What a user compares: the phase tree with times, the series, the warning codes. */
function dump(r: ImportResult): string {
  return text([
    ...phaseTree(r.phases ?? [], [startPlusDuration(3)], { nesting: 'parent-index', separator: ' ' }),
    ...seriesLines(r.series ?? [], { style: 'terse' }),
    ...warningLines(r.warnings ?? [], { codesOnly: true }),
  ]);
}

/** The import's result, or the ImportError it threw (anything else fails the test). */
async function attempt(file: string): Promise<ImportResult | ImportError> {
  try {
    return await importFile(file);
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
}

describe('text encodings', () => {
  for (const [file, format] of TEXT_FIXTURES) {
    const base = path.basename(file);
    it(`${base}: a UTF-8 BOM and CRLF line ends import as the original does`, async () => {
      const original = readFileSync(file);
      const expected = dump(await importFile(file));
      const bom = copy(`bom-${base}`, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), original]));
      expect(dump(await importFile(bom)), 'BOM').toBe(expected);
      const crlf = copy(`crlf-${base}`, original.toString('utf8').replace(/\n/g, '\r\n'));
      const r = await importFile(crlf);
      expect(r.sources, 'CRLF').toContain(format);
      expect(dump(r), 'CRLF').toBe(expected);
    });
  }

  it('refuses UTF-16 with a message that says how to convert it', async () => {
    const src = readFileSync(fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'utf8');
    const f = copy('esbuild.utf16le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(src, 'utf16le')]));
    await expect(importFile(f)).rejects.toThrow(`${f} (byte 0): the file is UTF-16 text: this tool reads UTF-8`);
  });
});

describe('compressed input', () => {
  it('a gzip cut in half: the prefix is kept with warnings naming the byte, or a clear error; never a crash', async () => {
    const seen: string[] = [];
    for (const [file] of TEXT_FIXTURES) {
      const gz = gzipSync(readFileSync(file));
      const cut = copy(`${path.basename(file)}.cut.gz`, gz.subarray(0, gz.length >> 1));
      const r = await attempt(cut);
      if (r instanceof ImportError) {
        expect(r.message.startsWith(cut), r.message).toBe(true);
        seen.push(`${path.basename(file)}: error`);
      } else {
        const w = r.warnings!.find((x) => x.code === 'gzip-truncated' || x.code === 'gzip')!;
        expect(w, path.basename(file)).toBeDefined();
        seen.push(`${path.basename(file)}: ${w.code}`);
      }
    }
    // The formats read whole (all but the streamed Trace Event files) say where the gzip data ends.
    const esbuild = await importFile(
      copy('esbuild.cut.gz', gzipSync(readFileSync(TEXT_FIXTURES[2]![0])).subarray(0, 500)),
    );
    const w = esbuild.warnings!.find((x) => x.code === 'gzip-truncated')!;
    expect(w.message).toMatch(/^the gzip data ends early \(cut\?\) near compressed byte 500: the \d+ bytes/);
    expect(w.byteOffset).toBe(500);
    expect(esbuild.warnings!.map((x) => x.code)).toContain('esbuild-timing-truncated');
    expect(seen.length).toBe(TEXT_FIXTURES.length);
  });

  it('a gzip with nothing decodable, or corrupt from its start, is an error naming the file and byte', async () => {
    const gz = gzipSync(readFileSync(fx('massif', 'gxx-O2.massif.out.4217')));
    const headerOnly = copy('massif.out.header-only.gz', gz.subarray(0, 10));
    await expect(importFile(headerOnly, { format: 'massif' })).rejects.toThrow(
      `${headerOnly} (byte 10): the gzip data ends early (cut?): nothing could be decoded`,
    );
    // The streamed Trace Event reader says the same of its gzip.
    const traceGz = gzipSync(readFileSync(fx('chrome-trace', 'tsc7.tsc-small.trace.json')));
    const traceHead = copy('trace.header-only.json.gz', traceGz.subarray(0, 15));
    await expect(importFile(traceHead, { format: 'chrome-trace' })).rejects.toThrow(
      `${traceHead} (byte 15): cannot gunzip (unexpected end of file) near compressed byte 15: no event could be read`,
    );
    const flipped = Buffer.from(gz);
    for (let i = 10; i < 40; i++) flipped[i] = flipped[i]! ^ 0xff;
    const corrupt = copy('massif.out.flipped.gz', flipped);
    const r = spawnSync(process.execPath, [cliPath, 'import', '--format', 'massif', corrupt], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^cmi: ${corrupt} \\(byte \\d+\\): the gzip data is damaged \\(`));
  });

  it('a zstd cut short keeps what decoded; every codec reports the byte near the damage', () => {
    const zst = readFileSync(fx('heaptrack', 'cc1-test_extension-O2.heaptrack.zst'));
    const whole = inflateZstd(zst);
    const cut = inflateZstd(zst.subarray(0, 60_000));
    expect(whole.error).toBeUndefined();
    expect(cut.cut).toBe(true);
    expect(cut.byteOffset).toBe(60_000);
    expect(cut.data.length).toBeGreaterThan(0);
    expect(Buffer.compare(cut.data, whole.data.subarray(0, cut.data.length))).toBe(0);
  });

  it.skipIf(!existsSync('/usr/bin/time'))(
    'a 1 GiB gzip bomb is refused with the process below 512 MB of RSS',
    async () => {
      // The real esbuild report, then 1 GiB of zeros: 64 gzip members of 16 MiB each (gunzip reads them
      // all as one stream), about 1 MB on disk.
      const member = gzipSync(Buffer.alloc(16 << 20), { level: 9 });
      const head = gzipSync(readFileSync(fx('esbuild', 'esbuild.three.timing.stderr.txt')));
      const bomb = copy('esbuild.bomb.gz', Buffer.concat([head, ...Array<Buffer>(64).fill(member)]));
      expect(readFileSync(bomb).length).toBeLessThan(2 << 20);
      const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb %M', process.execPath, cliPath, 'import', bomb], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(status).toBe(3);
      expect(stderr).toContain(`${bomb} (byte 268435456): the gzip data inflates to more than 256 MiB`);
      const kb = Number(/maxrss-kb (\d+)/.exec(stderr)![1]);
      expect(kb * 1024).toBeLessThan(512e6);
    },
    60_000,
  );
});

describe('truncation at a line boundary', () => {
  const cases: [string, string, string][] = [
    [fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'Compile phase: 148ms', 'esbuild-timing-truncated'],
    [fx('typescript', 'ts6-extendedDiagnostics.stdout.txt'), 'Bind time:', 'tsc-diagnostics-truncated'],
    [fx('rollup', 'rollup.three.perf.nocolor.stdout.txt'), '## sort and bind modules', 'rollup-perf-truncated'],
    [fx('massif', 'gxx-O2.massif.out.4217'), ' n0: ', 'massif-truncated'],
    [fx('rustc', 'time-passes.regex-syntax.debug.txt'), '\tMIR_borrow_checking', 'rustc-incomplete'],
    [fx('rustc', 'cargo-build.debug.j2.stderr.txt'), '\tlink_binary', 'rustc-incomplete'],
  ];
  for (const [file, before, code] of cases) {
    it(`${path.basename(file)} cut before "${before.trim()}" warns ${code} with the line`, async () => {
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.includes(before));
      expect(at).toBeGreaterThan(0);
      const cut = copy(`${path.basename(file)}.cut-at-line-${at}`, `${lines.slice(0, at).join('\n')}\n`);
      const r = await importFile(cut);
      const w = r.warnings!.find((x) => x.code === code)!;
      expect(w, r.warnings!.map((x) => x.code).join()).toBeDefined();
      expect(w.line).toBeGreaterThan(0);
      expect(w.line).toBeLessThanOrEqual(at);
      // The complete file does not warn so.
      expect((await importFile(file)).warnings!.some((x) => x.code === code)).toBe(false);
    });
  }
});

describe('absurd values and broken structure', () => {
  it('esbuild cut inside the indentation of a row (spaces, no newline) warns as cut, not as a finished table', async () => {
    const src = readFileSync(fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'utf8');
    const at = src.indexOf('    Link: 148ms');
    const r = await importFile(copy('esbuild.cut-in-indent.txt', src.slice(0, at + 3)));
    expect(r.warnings!.map((w) => w.code)).toContain('esbuild-timing-truncated');
  });

  it('a pid of 1e305 in a clang trace is removed from its phases with a counted warning', async () => {
    const src = readFileSync(fx('chrome-trace', 'clang14.better_sqlite3.O2.json'), 'utf8');
    const n = (src.match(/"pid":\s*\d+/g) ?? []).length;
    expect(n).toBeGreaterThan(10);
    const r = await importFile(copy('clang.huge-pid.json', src.replace(/"pid":\s*\d+/g, '"pid":1e305')));
    expect(r.phases!.length).toBeGreaterThan(10);
    expect(r.phases!.some((p) => p.pid !== undefined)).toBe(false);
    const w = r.warnings!.find((x) => x.code === 'dropped-implausible-pid')!;
    expect(w.message).toMatch(/^\d+ process ids that no system gives .* were removed \(first: pid 1e\+305 of "/);
  });

  it('a DHAT file whose "cmd" is not a string is an error naming the field, not a crash', () => {
    const src = readFileSync(fx('dhat', 'dhat-rs-pk_range_dhat.dhat-heap.json'), 'utf8');
    const f = copy('dhat.cmd-number.json', src.replace(/"cmd":\s*"[^"]*"/, '"cmd":42'));
    const r = spawnSync(process.execPath, [cliPath, 'import', f], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^cmi: ${f} \\(byte \\d+\\): "cmd" must be a string`));
  });

  it('a tsc trace with repeated begin/end lines: the spans ending before they begin are dropped and counted', async () => {
    const lines = readFileSync(fx('chrome-trace', 'tsc6.rxjs.trace.json'), 'utf8').split('\n');
    const out: string[] = [];
    // Every B/E line written again 50 lines later (a writer that replayed part of its buffer).
    for (let i = 0; i < lines.length; i++) {
      out.push(lines[i]!);
      if (i >= 50 && /"ph":"[BE]"/.test(lines[i - 50]!)) out.push(lines[i - 50]!);
    }
    const r = await importFile(copy('tsc6.rxjs.trace.repeated-be.json', out.join('\n')));
    expect(r.phases!.every((p) => p.endMs >= p.startMs)).toBe(true);
    const dropped = r.warnings!.filter((w) => w.code === 'dropped-negative-duration');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.message).toMatch(/^\d+ spans that end before they begin were dropped \(first: "/);
    expect(Number(dropped[0]!.message.split(' ')[0])).toBeGreaterThan(100);
  });

  it('a huge beginningOfTime is ignored with a warning instead of a RangeError', async () => {
    const src = readFileSync(fx('chrome-trace', 'clang14.better_sqlite3.O2.json'), 'utf8');
    const f = copy('clang.huge-beginning.json', src.replace(/"beginningOfTime":\s*\d+/, '"beginningOfTime":1e300'));
    const r = spawnSync(process.execPath, [cliPath, 'import', f, '--out', path.join(tmp, 'huge.json')], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[dropped-implausible-origin] 1 wall-clock origins outside 2000–2100 were ignored');
  });

  it('NaN in a Voyd summary is an error with the line, not a crash', () => {
    const src = readFileSync(fx('voyd', 'markdown.emit-wasm.node22.perf.json'), 'utf8');
    const f = copy('voyd.nan.json', src.replace('"analyzeBorrowing":1595.77', '"analyzeBorrowing":NaN'));
    const r = spawnSync(process.execPath, [cliPath, 'import', f], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^cmi: ${f}:1: the perf summary is not valid JSON`));
  });

  it('1e14 ms in a rustc report and 1e29 B in a massif file are dropped and counted', async () => {
    const rustc = readFileSync(fx('rustc', 'time-passes.regex-syntax.debug.txt'), 'utf8');
    const r1 = await importFile(
      copy('rustc.1e305.txt', rustc.replace(/time: +[\d.]+;(.*\ttype_check_crate)/, 'time: 99999999999.000;$1')),
    );
    const big = r1.warnings!.filter((w) => w.code.startsWith('dropped-'));
    expect(big.map((w) => w.code)).toEqual(['dropped-implausible-time']);
    expect(big[0]!.message).toMatch(/^\d+ times or durations that no build can have/);
    expect(r1.phases!.every((p) => p.endMs - p.startMs < 7 * 24 * 3600e3)).toBe(true);

    const massif = readFileSync(fx('massif', 'gxx-O2.massif.out.4217'), 'utf8');
    const r2 = await importFile(
      copy('massif.1e29.out', massif.replace(/mem_heap_B=\d+/, `mem_heap_B=${'1'.padEnd(30, '0')}`)),
    );
    const w = r2.warnings!.find((x) => x.code === 'dropped-implausible-bytes')!;
    expect(w.message).toMatch(/^1 memory figures that no machine can have .* \(first: 1e\+29 bytes in "heap of/);
    for (const s of r2.series!) expect(Math.max(...s.bytes)).toBeLessThan(2 ** 46);
  });

  it('a massif snapshot whose time goes back is dropped and counted: a series goes forward', async () => {
    const massif = readFileSync(fx('massif', 'gxx-O2.massif.out.4217'), 'utf8');
    const r = await importFile(copy('massif.time-back.out.4217', massif.replace('\ntime=558\n', '\ntime=5\n')));
    expect(r.warnings!.find((w) => w.code === 'dropped-out-of-order-sample')!.message).toBe(
      '1 memory samples earlier than the sample before them were dropped (a series goes forward in time) (first: a sample of "heap of as (pid 4217) (massif: useful + allocator overhead)" at 5 ms after one at 543 ms)',
    );
    for (const series of r.series!)
      for (let i = 1; i < series.tMs.length; i++) expect(series.tMs[i]).toBeGreaterThanOrEqual(series.tMs[i - 1]!);
  });

  it('a phase that is its own parent, or points past the end, becomes a root with a counted warning', async () => {
    const file = fx('rustc', 'time-passes.regex-syntax.debug.txt');
    const r = await importFile(file);
    const phases = r.phases!.map((p) => ({ ...p }));
    phases[3]!.parent = 3; // itself: a walk up from it would never end
    phases[5]!.parent = 10_000;
    const fixed = dropImplausible({ ...r, phases }, file);
    expect(fixed.phases!.map((p) => p.parent)).toEqual(r.phases!.map((p, i) => (i === 3 || i === 5 ? null : p.parent)));
    const w = fixed.warnings!.find((x) => x.code === 'invalid-parent')!;
    expect(w.message).toBe(
      `2 phases whose parent is not an earlier phase (out of range or a cycle) were made roots (first: "${phases[3]!.name}" (phase 3) has parent 3)`,
    );
    expect(w.file).toBe(file);
    // A result with nothing to drop comes back as it is.
    expect(dropImplausible(r, file)).toBe(r);
  });

  it('a report nested 1,500 levels deep imports with the phases past 1,000 levels dropped and counted', async () => {
    const lines = readFileSync(fx('esbuild', 'esbuild.three.timing.stderr.txt'), 'utf8').split('\n');
    const rows = Array.from({ length: 1500 }, (_, d) => `${'  '.repeat(d + 1)}Step ${d}: 1ms`);
    const f = copy('esbuild.deep.txt', [...lines.slice(0, 2), ...rows, '', '', '⚡ Done in 355ms', ''].join('\n'));
    const r = await importFile(f);
    expect(r.phases).toHaveLength(1001);
    expect(r.warnings!.find((w) => w.code === 'dropped-too-deep')!.message).toBe(
      '499 phases nested deeper than 1000 levels were dropped (first: "Step 1001" (phase 1001))',
    );
    // The layout of a report tree walks no recursion: 20,000 levels of esbuild's real rows.
    const real = parseEsbuildTiming(lines.join('\n')).timings;
    const deep = Array.from({ length: 20_000 }, (_, d) => ({ ...real[d % real.length]!, depth: d }));
    const laid = layoutReportTree(deep, ms(0), (t) => t.depth, { tool: 'esbuild' });
    expect(laid.placed[19_999]!.parent).toBe(19_998);
  });

  it('a cyclic heaptrack trace index is an error with its line, in well under a second; an absurd tick is dropped', async () => {
    const zst = readFileSync(fx('heaptrack', 'rustc-wordfreq-O.preload.heaptrack.zst'));
    const lines = Buffer.from(inflateZstd(zst).data).toString('utf8').split('\n');
    // A timestamp no run can have (2.8e14 ms) is skipped and counted, not an error.
    const c = lines.findIndex((l) => l.startsWith('c '));
    const absurd = [...lines];
    absurd[c] = 'c ffffffffffff';
    const r = await importFile(copy('heaptrack.absurd-tick', absurd.join('\n')));
    expect(r.warnings!.find((w) => w.code === 'dropped-implausible-time')!.message).toBe(
      `1 times or durations that no build can have (NaN, over a week) were dropped (first: line ${c + 1}: c ffffffffffff)`,
    );
    // The first trace line made its own parent: "t <ip> <parent>" with parent = its own index (1).
    const at = lines.findIndex((l) => l.startsWith('t '));
    lines[at] = `t ${lines[at]!.split(' ')[1]} 1`;
    const f = copy('heaptrack.cyclic', lines.join('\n'));
    const t0 = performance.now();
    await expect(importFile(f)).rejects.toThrow(`${f}:${at + 1}: trace parent is not an earlier trace (a cycle?)`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
