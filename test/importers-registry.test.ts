// The importer registry and `cmi import`: sniffing picks the right importer, a forced format is
// obeyed, "not this format" differs from "broken", and the CLI writes a profile from real files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { detectImporter, importFiles, ImportError } from '../server/src/core/importers';
import { readProfile } from '../server/src/core/profile-file';
import { cliPath, repoRoot } from './helpers';

const fx = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-import-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('importer registry', () => {
  it('sniffs each format from its real files', async () => {
    expect((await detectImporter(fx('rustc', 'time-passes.regex-syntax.debug.json.txt'))).format).toBe(
      'rustc-time-passes',
    );
    expect((await detectImporter(fx('rustc', 'time-passes.regex-syntax.debug.txt'))).format).toBe('rustc-time-passes');
    expect((await detectImporter(fx('typescript', 'ts6-extendedDiagnostics.stdout.txt'))).format).toBe(
      'tsc-diagnostics',
    );
  });

  it('reads gzip files as their content', async () => {
    const gz = path.join(tmp, 'tp.json.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(fx('rustc', 'time-passes.regex-syntax.debug.json.txt'))));
    expect((await detectImporter(gz)).format).toBe('rustc-time-passes');
    const p = await importFiles([gz]);
    expect(p.phases.some((ph) => ph.name === 'type_check_crate')).toBe(true);
  });

  it('says "not a format this tool reads" for a file of no known format, and names it', async () => {
    const err = await detectImporter(path.join(repoRoot, 'package.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).kind).toBe('not-this-format');
    expect((err as Error).message).toMatch(
      /package\.json: not a format this tool reads \(tried .*rustc-time-passes.*\); pass --format NAME to force one/,
    );
  });

  it('merges files of one run into one profile that names its sources', async () => {
    const files = [
      fx('rustc', 'time-passes.regex-syntax.debug.json.txt'),
      fx('typescript', 'ts6-extendedDiagnostics.stdout.txt'),
    ];
    const p = await importFiles(files);
    expect(p.run.importedFrom).toEqual(files);
    expect(p.run.sources).toEqual(expect.arrayContaining(['rustc-time-passes', 'tsc-diagnostics']));
    expect(p.phases.map((ph) => ph.name)).toEqual(expect.arrayContaining(['type_check_crate', 'Check']));
  });
});

describe('cmi import', () => {
  it('writes a profile and prints its summary', async () => {
    const out = path.join(tmp, 'imported.json');
    const r = spawnSync(
      process.execPath,
      [cliPath, 'import', fx('rustc', 'time-passes.regex-syntax.debug.json.txt'), '--out', out],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Imported from:');
    expect(r.stdout).toContain('type_check_crate');
    const p = await readProfile(out);
    expect(p.phases.length).toBeGreaterThan(40);
    // No sampler here: the RSS rustc reported at its pass boundaries is the memory curve, and its
    // peak is the largest figure in the file (rss_end of codegen, 297.7 MiB).
    const series = p.series.find((s) => s.kind === 'compiler-reported')!;
    const text = readFileSync(fx('rustc', 'time-passes.regex-syntax.debug.json.txt'), 'utf8');
    const largest = Math.max(...[...text.matchAll(/"rss_(?:start|end)":(\d+)/g)].map((m) => Number(m[1])));
    expect(Math.max(...series.bytes)).toBe(largest);
    expect(r.stdout).toMatch(
      /Peak: 297\.7 MiB \(memory reported by the compiler at phase boundaries\) at [\d.]+ s in rustc #1 › codegen_crate/,
    );
  });

  it('exits 3 with the file named for a file it cannot read, and 2 without files', () => {
    const bad = spawnSync(
      process.execPath,
      [cliPath, 'import', path.join(repoRoot, 'package.json'), '--out', path.join(tmp, 'x.json')],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/^cmi: .*package\.json: not a format this tool reads/);
    const none = spawnSync(process.execPath, [cliPath, 'import'], { encoding: 'utf8' });
    expect(none.status).toBe(2);
  });

  it("infers arena lanes from heap-profiler data with the built-in rules, and takes the user's rules first", async () => {
    const file = fx('arena-inference', 'heaptrack.rustc-tokenizer.zst');
    const out = path.join(tmp, 'arenas.json');
    const r = spawnSync(process.execPath, [cliPath, 'import', file, '--out', out, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout) as { arenas: { name: string }[] }).arenas.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['rustc_arena::DroplessArena', 'rustc_arena::TypedArena']));
    // A user rule claims the TypedArena chunks under a name of its own.
    const u = spawnSync(
      process.execPath,
      [cliPath, 'import', file, '--out', out, '--json', '--arena-rule', 'typed chunks=TypedArena.*grow'],
      { encoding: 'utf8' },
    );
    expect(u.status, u.stderr).toBe(0);
    const userNames = (JSON.parse(u.stdout) as { arenas: { name: string }[] }).arenas.map((a) => a.name);
    expect(userNames).toContain('typed chunks');
    expect(userNames).not.toContain('rustc_arena::TypedArena');
    const bad = spawnSync(process.execPath, [cliPath, 'import', file, '--out', out, '--arena-rule', 'no-equals-sign'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^cmi: --arena-rule: /);
  });

  it('lists the formats it reads', () => {
    const r = spawnSync(process.execPath, [cliPath, 'import', '--list-formats'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^rustc-time-passes\s+rustc -Z time-passes/m);
    expect(r.stdout).toMatch(/^tsc-diagnostics\s+/m);
    expect(r.stdout).toMatch(/^ninja-log\s+Ninja's \.ninja_log/m);
    expect(r.stdout).toMatch(/^go-gctrace\s+the Go runtime's GC trace \(GODEBUG=gctrace=1/m);
    expect(r.stdout).toMatch(/^jvm-gc-log\s+the JVM's unified GC log \(-Xlog:gc/m);
  });
});
